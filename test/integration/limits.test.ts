/**
 * Every limit ends the request with a clear error that names it, and the gateway keeps serving:
 * SQL length, number of params, request message size, rows and bytes per Query, transaction
 * lifetime, and concurrent streams per client connection.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import {
  type AnyMessage,
  errorDetails,
  execute,
  type GatewayStub,
  query,
  TxStream,
  v,
} from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway({
    server: { maxReceiveMessageBytes: 64 * 1024, maxConcurrentStreamsPerConnection: 2 },
    limits: { maxSqlBytes: 1000, maxParams: 3, maxRowsPerQuery: 100, maxBytesPerQuery: 20_000 },
    transactions: { maxLifetimeMs: 1500 },
  });
});

test.after.always(async () => {
  await gw?.stop();
});

async function failure(p: Promise<unknown>): Promise<{ code: number; reason: string; details: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) return { code: Code.OK, reason: '', details: '' };
  const d = errorDetails(err);
  return { code: (err as { code: number }).code, reason: d.reason, details: d.details };
}

const seq = (n: number) => `SELECT seq FROM seq_1_to_${n}`;

test.serial('SQL longer than limits.maxSqlBytes: INVALID_ARGUMENT naming the limit', async (t) => {
  const f = await failure(query(gw.client, { sql: `SELECT '${'x'.repeat(1000)}'` }));
  t.is(f.code, Code.INVALID_ARGUMENT);
  t.is(f.reason, 'SQL_TOO_LONG');
  t.regex(f.details, /limits\.maxSqlBytes|1000/);
});

test.serial('more params than limits.maxParams: INVALID_ARGUMENT', async (t) => {
  const f = await failure(
    query(gw.client, { sql: 'SELECT ?, ?, ?, ?', params: [1, 2, 3, 4].map((i) => v.i64(i)) }),
  );
  t.is(f.code, Code.INVALID_ARGUMENT);
  t.is(f.reason, 'TOO_MANY_PARAMS');
});

test.serial(
  'a request above server.maxReceiveMessageBytes: RESOURCE_EXHAUSTED from gRPC itself',
  async (t) => {
    const f = await failure(query(gw.client, { sql: 'SELECT ?', params: [v.str('x'.repeat(100 * 1024))] }));
    t.is(f.code, Code.RESOURCE_EXHAUSTED);
    t.regex(f.details, /larger than max|message/i);
  },
);

test.serial(
  'a result above limits.maxRowsPerQuery: RESOURCE_EXHAUSTED / ROW_LIMIT; at the limit it passes',
  async (t) => {
    t.is((await query(gw.client, { sql: seq(100) })).rows.length, 100);
    const f = await failure(query(gw.client, { sql: seq(101) }));
    t.is(f.code, Code.RESOURCE_EXHAUSTED);
    t.is(f.reason, 'ROW_LIMIT');
    t.regex(f.details, /limits\.maxRowsPerQuery/);
  },
);

test.serial('a result above limits.maxBytesPerQuery: RESOURCE_EXHAUSTED / BYTE_LIMIT', async (t) => {
  const small = await query(gw.client, { sql: `SELECT REPEAT('x', 1000) FROM seq_1_to_10` });
  t.is(small.rows.length, 10);
  const f = await failure(query(gw.client, { sql: `SELECT REPEAT('x', 1000) FROM seq_1_to_50` }));
  t.is(f.code, Code.RESOURCE_EXHAUSTED);
  t.is(f.reason, 'BYTE_LIMIT');
  t.regex(f.details, /limits\.maxBytesPerQuery/);
  await gw.assertNoLeaks();
});

test.serial(
  'a transaction open past transactions.maxLifetimeMs is rolled back, whatever it does',
  async (t) => {
    const tx = new TxStream(gw.client);
    await tx.begin();
    await tx.execute('DO 1');
    const status = await tx.status;
    t.is(status?.code, Code.DEADLINE_EXCEEDED);
    t.is(status?.metadata.get('gateway-reason')[0], 'TRANSACTION_LIFETIME');
    await gw.assertNoLeaks();
  },
);

test.serial('streams beyond server.maxConcurrentStreamsPerConnection wait for a free one', async (t) => {
  const client: GatewayStub = gw.newClient();
  const a = new TxStream(client);
  const b = new TxStream(client);
  await a.begin();
  await b.begin();
  // A third stream on the same connection is held by HTTP/2 flow control, not run.
  let settled = false;
  const third = execute(client, { sql: 'DO 1' }).finally(() => {
    settled = true;
  });
  // Round trips on an open stream: an unheld third call would have finished long before these.
  for (let i = 0; i < 5; i++) await a.execute('DO 2');
  t.false(settled, 'the third call did not run while two streams were open');
  await a.rollback();
  a.call.end();
  await a.status;
  const done: AnyMessage = await third;
  t.is(done.affected_rows, '0', 'it ran once a stream was free');
  await b.rollback();
  b.call.end();
  await b.status;
});
