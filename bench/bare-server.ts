/**
 * Two baselines for `make bench`, run as child processes by bench/run.ts (which reads their CPU
 * time from /proc like the gateway's); each prints `"address":"127.0.0.1:<port>"` once it serves,
 * as the gateway's log does.
 *
 * - floor: the Gateway service's Query on grpc-js and proto-loader's generic codec over a mysql2
 *   pool's `execute`, and nothing else (no routing, limits, flow control, deadlines, exact value
 *   mapping or telemetry); and a Transaction stream on one pooled connection, as scenario (b)
 *   drives it.
 * - echo: grpc-js alone. Query and Execute answer one pre-encoded response (identity serializers)
 *   and do no work at all: with direct mysql2's cost for the statement, the stack limit a gateway
 *   call is measured against.
 * - echo3: the same, but Query answers the three messages the contract gives a point select
 *   (metadata, one row, stats), pre-encoded: what the shape of the answer costs grpc-js alone.
 *
 * Usage: node dist/bench/bare-server.js <mysql port> <user> <password file> <pool size>
 *        node dist/bench/bare-server.js echo|echo3
 */
import { readFileSync } from 'node:fs';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import mysql from 'mysql2/promise';
import { LOADER_OPTIONS, PROTO_FILES } from '../src/wire/proto.js';

type Param = { int64_value?: string; string_value?: string };

const [port, user, passwordFile, poolSize] = process.argv.slice(2);
// biome-ignore lint/suspicious/noExplicitAny: dynamic stubs
const pkg = loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as any;
const server = new Server({ 'grpc.enable_channelz': 0 });
if (port === 'echo' || port === 'echo3') serveEcho(port === 'echo3');
else serveFloor();
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => {
  if (err) throw err;
  console.log(`{"address":"127.0.0.1:${bound}"}`);
});

/**
 * grpc-js answering pre-encoded messages, with no work at all: one per call, or (`threeMessages`)
 * a point select's metadata, row and stats for Query.
 */
function serveEcho(threeMessages: boolean): void {
  const service = pkg.mysqlgateway.v1.Gateway.service;
  const identity = (b: Buffer) => b;
  const row = service.Query.responseSerialize({
    rows: { rows: [{ values: [{ string_value: 'x'.repeat(120) }] }] },
  }) as Buffer;
  const query: Buffer[] = threeMessages
    ? [
        service.Query.responseSerialize({
          metadata: {
            columns: [
              {
                name: 'c',
                org_name: 'c',
                table: 'sbtest1',
                org_table: 'sbtest1',
                schema: 'gwtest',
                type: 'COLUMN_TYPE_STRING',
                type_name: 'CHAR',
              },
            ],
          },
        }) as Buffer,
        row,
        service.Query.responseSerialize({
          stats: { row_count: '1', backend: '127.0.0.1:3306', elapsed_us: '150', backend_role: 'primary' },
        }) as Buffer,
      ]
    : [row];
  const executed = service.Execute.responseSerialize({
    affected_rows: '0',
    info: 'Rows matched: 1  Changed: 0',
  }) as Buffer;
  server.addService(
    {
      Query: { ...service.Query, responseSerialize: identity },
      Execute: { ...service.Execute, responseSerialize: identity },
    },
    {
      Query: (call: ServerWritableStream<unknown, Buffer>) => {
        for (const message of query) call.write(message);
        call.end();
      },
      Execute: (_call: unknown, callback: (err: null, res: Buffer) => void) => callback(null, executed),
    },
  );
  process.on('SIGTERM', () => server.forceShutdown());
}

type TxRequest = {
  request_id: string;
  begin?: unknown;
  query?: { sql: string; params?: Param[]; accept_single_message?: boolean };
  rollback?: unknown;
};

/**
 * The floor of a Transaction stream: one pooled connection for the stream, each query run on it
 * as it arrives (mysql2 queues them: at most one on the wire at a time, as the gateway's session
 * runs them) and answered with proto-loader's generic codec: `query_result` when the request asks
 * for one message, else metadata, rows and done. Only what scenario (b) sends.
 */
function serveTransaction(pool: mysql.Pool, call: ServerDuplexStream<TxRequest, unknown>): void {
  const conn = pool.getConnection();
  const fail = (err: Error) => call.destroy(err);
  call.on('data', (req: TxRequest) => {
    const id = req.request_id;
    if (req.begin) {
      conn
        .then((c) => c.query('START TRANSACTION READ ONLY'))
        .then(() => call.write({ request_id: id, begun: { backend: 'primary' } }), fail);
    } else if (req.query) {
      const { sql, params, accept_single_message: single } = req.query;
      const values = (params ?? []).map((p) => p.int64_value ?? p.string_value ?? null);
      conn
        .then((c) => c.execute(sql, values))
        .then(([rows, fields]) => {
          const metadata = { columns: (fields ?? []).map((f) => ({ name: f.name })) };
          const batch = {
            rows: (rows as unknown[][]).map((r) => ({ values: r.map((v) => ({ string_value: String(v) })) })),
          };
          const stats = { row_count: String((rows as unknown[]).length) };
          if (single) call.write({ request_id: id, query_result: { metadata, rows: batch, stats } });
          else {
            call.write({ request_id: id, metadata });
            call.write({ request_id: id, rows: batch });
            call.write({ request_id: id, done: stats });
          }
        }, fail);
    } else if (req.rollback) {
      conn.then((c) => c.query('ROLLBACK')).then(() => call.end(), fail);
    }
  });
  call.on('end', () => {
    conn.then((c) => c.release(), fail);
  });
}

/** The floor: Query (and Transaction, see serveTransaction) over a mysql2 pool with proto-loader's generic codec. */
function serveFloor(): void {
  const pool = mysql.createPool({
    host: '127.0.0.1',
    port: Number(port),
    user,
    password: readFileSync(String(passwordFile), 'utf8').trim(),
    database: 'gwtest',
    connectionLimit: Number(poolSize),
    supportBigNumbers: true,
    bigNumberStrings: true,
    rowsAsArray: true,
  });
  server.addService(pkg.mysqlgateway.v1.Gateway.service, {
    Transaction: (call: ServerDuplexStream<TxRequest, unknown>) => serveTransaction(pool, call),
    Query: (call: ServerWritableStream<{ sql: string; params?: Param[] }, unknown>) => {
      const params = (call.request.params ?? []).map((p) => p.int64_value ?? p.string_value ?? null);
      pool.execute(call.request.sql, params).then(
        ([rows, fields]) => {
          call.write({ metadata: { columns: fields.map((f) => ({ name: f.name })) } });
          call.write({
            rows: {
              rows: (rows as unknown[][]).map((r) => ({
                values: r.map((v) => ({ string_value: String(v) })),
              })),
            },
          });
          call.write({ stats: { row_count: String((rows as unknown[]).length) } });
          call.end();
        },
        (err: Error) => call.destroy(err),
      );
    },
  });
  process.on('SIGTERM', () => {
    server.forceShutdown();
    void pool.end();
  });
}
