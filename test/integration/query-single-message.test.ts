/**
 * QueryRequest.accept_single_message: a result whose rows fit in one batch arrives as ONE
 * `result` message (columns, rows and stats), a larger one as the usual stream, and a request
 * without the field gets the usual stream whatever the size. Real gateway, real MariaDB, the
 * generated stub (as any language's client) and the project's TS client.
 */
import test from 'ava';
import { GatewayClient } from '../../src/client/index.js';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, type GatewayStub, query, TxStream, v } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const TABLE = 'single_message';
let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
  await rootQuery(sandbox.primaryPort, `DROP TABLE IF EXISTS gwtest.${TABLE}`);
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE gwtest.${TABLE} (id INT PRIMARY KEY, d DECIMAL(30,10), s VARCHAR(20) NULL)`,
  );
  await rootQuery(
    sandbox.primaryPort,
    `INSERT INTO gwtest.${TABLE} VALUES (1,'12345678901234567890.0123456789','one'),(2,'-0.5',NULL),(3,'0','three'),(4,'1','four'),(5,'2','five'),(6,'3','six'),(7,'4','seven')`,
  );
});

test.after.always(async () => {
  await rootQuery(sandbox.primaryPort, `DROP TABLE IF EXISTS gwtest.${TABLE}`).catch(() => {});
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** Every message of one Query, as the generated stub receives them. */
function messages(client: GatewayStub, req: AnyMessage): Promise<AnyMessage[]> {
  return new Promise((resolve, reject) => {
    const out: AnyMessage[] = [];
    const call = client.Query(req);
    call.on('data', (m: AnyMessage) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

test.serial('a small result comes as one message holding what the three would', async (t) => {
  const req = {
    sql: `SELECT id, d, s FROM ${TABLE} WHERE id IN (?, ?) ORDER BY id`,
    params: [v.i64(1), v.i64(2)],
  };
  const single = await messages(gw.client, { ...req, accept_single_message: true });
  t.is(single.length, 1);
  const [m] = single;
  t.is(m.payload, 'result');
  const streamed = await query(gw.client, req);
  t.is(streamed.batches, 1, 'without the field: metadata, one rows message, stats');
  t.deepEqual(m.result.metadata.columns, streamed.columns);
  t.deepEqual(
    m.result.rows.rows.map((r: AnyMessage) => r.values),
    streamed.rows,
  );
  t.is(m.result.rows.rows[0].values[1].string_value, '12345678901234567890.0123456789', 'DECIMAL exact');
  t.is(m.result.stats.row_count, '2');
  t.is(m.result.stats.backend, streamed.stats.backend);
});

test.serial('an empty result is one message without rows', async (t) => {
  const [m, ...rest] = await messages(gw.client, {
    sql: `SELECT id FROM ${TABLE} WHERE id = ?`,
    params: [v.i64(99)],
    accept_single_message: true,
  });
  t.is(rest.length, 0);
  t.is(m.payload, 'result');
  t.is(m.result.rows, undefined);
  t.is(m.result.stats.row_count, '0');
  t.is(m.result.metadata.columns[0].name, 'id');
});

test.serial('a result larger than one batch streams as usual, in order', async (t) => {
  const out = await messages(gw.client, {
    sql: `SELECT id FROM ${TABLE} ORDER BY id`,
    max_rows_per_batch: 2,
    accept_single_message: true,
  });
  t.deepEqual(
    out.map((m) => m.payload),
    ['metadata', 'rows', 'rows', 'rows', 'rows', 'stats'],
  );
  const ids = out.flatMap((m) => (m.rows?.rows ?? []).map((r: AnyMessage) => r.values[0].int64_value));
  t.deepEqual(ids, ['1', '2', '3', '4', '5', '6', '7']);
  t.is(out[5].stats.row_count, '7');
});

test.serial('a failing statement answers its status and no message', async (t) => {
  const out: AnyMessage[] = [];
  const err = await t.throwsAsync(
    new Promise((resolve, reject) => {
      const call = gw.client.Query({ sql: `SELECT nope FROM ${TABLE}`, accept_single_message: true });
      call.on('data', (m: AnyMessage) => out.push(m));
      call.on('error', reject);
      call.on('end', resolve);
    }),
  );
  t.is((err as AnyMessage).code, Code.INVALID_ARGUMENT);
  t.is(errorDetails(err).errno, '1054');
  t.deepEqual(out, []);
});

test.serial('the TS client asks for it and reads both shapes to the same values', async (t) => {
  const client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 20_000 });
  try {
    const small = client.query(`SELECT id, d, s FROM ${TABLE} WHERE id <= 2 ORDER BY id`);
    t.deepEqual(await small.all(), [
      [1, '12345678901234567890.0123456789', 'one'],
      [2, '-0.5000000000', null],
    ]);
    t.is(small.stats?.rowCount, 2);
    t.is(small.columns?.map((c) => c.name).join(), 'id,d,s');
    const large = client.query(`SELECT id FROM ${TABLE} ORDER BY id`, [], { maxRowsPerBatch: 3 });
    t.deepEqual(
      (await large.all()).map((r) => (r as unknown[])[0]),
      [1, 2, 3, 4, 5, 6, 7],
    );
    t.is(large.stats?.rowCount, 7);
  } finally {
    await client.close();
  }
});

test.serial(
  'in a Transaction stream: one query_result per accepting query that fits a batch, in order',
  async (t) => {
    const tx = new TxStream(gw.client);
    try {
      await tx.begin({});
      // Pipelined: three queries sent at once, answered in order.
      const a = tx.send({
        query: {
          sql: `SELECT id, s FROM ${TABLE} WHERE id = ?`,
          params: [v.i64(1)],
          accept_single_message: true,
        },
      });
      const b = tx.send({ query: { sql: `SELECT id FROM ${TABLE} WHERE id = ?`, params: [v.i64(2)] } });
      const c = tx.send({
        query: {
          sql: `SELECT id FROM ${TABLE} ORDER BY id`,
          max_rows_per_batch: 3,
          accept_single_message: true,
        },
      });
      const ra = await tx.until(a, ['query_result']);
      t.is(ra.all.length, 1);
      t.deepEqual(
        ra.last.query_result.rows.rows[0].values.map((x: AnyMessage) => x.int64_value ?? x.string_value),
        ['1', 'one'],
      );
      t.is(ra.last.query_result.stats.row_count, '1');
      t.is(ra.last.query_result.metadata.columns[1].name, 's');
      const rb = await tx.until(b, ['done']);
      t.deepEqual(
        rb.all.map((m) => m.result),
        ['metadata', 'rows', 'done'],
      );
      const rc = await tx.until(c, ['done', 'query_result']);
      t.deepEqual(
        rc.all.map((m) => m.result),
        ['metadata', 'rows', 'rows', 'rows', 'done'],
      );
      t.is(rc.rows.length, 7);
      // A failing accepting query answers its error alone; the transaction goes on.
      const d = tx.send({ query: { sql: `SELECT nope FROM ${TABLE}`, accept_single_message: true } });
      const rd = await tx.until(d, ['query_result', 'done']);
      t.deepEqual(
        rd.all.map((m) => m.result),
        ['error'],
      );
      t.is((await tx.rollback()).result, 'rolled_back');
    } finally {
      tx.call.end();
      await tx.status;
    }
  },
);
