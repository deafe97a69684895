/**
 * Batch with an idempotency key, through the TS client on the real sandbox: the key row is
 * written in the batch's transaction, a retry answers the recorded response (rows included)
 * without running anything, a batch that rolled back records nothing, and keys need a read-write
 * transaction.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { GatewayClient, type GatewayClientError } from '../../src/client/index.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import type { AnyMessage } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const TABLE = 'idem_batch_rows';

let gw: TestGateway;
let client: GatewayClient;

test.before(async () => {
  gw = await startGateway();
  client = new GatewayClient(`127.0.0.1:${gw.port}`);
  await rootQuery(sandbox.primaryPort, 'DROP TABLE IF EXISTS gwtest.idem_batch_never');
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL, b VARBINARY(16) NULL, u INT NULL, UNIQUE KEY (u))`,
  );
});

test.after.always(async () => {
  client?.close();
  await gw?.stop();
});

async function rowsTagged(tag: string): Promise<number> {
  const rows = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM gwtest.${TABLE} WHERE tag = ?`,
    [tag],
  );
  return Number(rows[0].n);
}

/** The results without timings (a replay answers the first call's). */
const comparable = (r: { results: readonly unknown[] }) =>
  JSON.parse(
    JSON.stringify(r.results, (k, v) => (k === 'elapsedUs' ? 0 : typeof v === 'bigint' ? String(v) : v)),
  );

test.serial('a retried keyed batch commits once and replays the same results, rows included', async (t) => {
  const tag = randomUUID();
  const idempotencyKey = randomUUID();
  const steps = [
    { sql: `INSERT INTO ${TABLE} (tag, b) VALUES (?, ?)`, params: [tag, Buffer.from([0, 255, 7])] },
    {
      sql: `SELECT id, tag, b, NULL AS nothing, 1.5e0 AS d, -0e0 AS z FROM ${TABLE} WHERE tag = ?`,
      params: [tag],
    },
  ];
  const first = await client.batch(steps, { transaction: true, idempotencyKey });
  t.true(first.committed);
  t.false(first.replayed);
  t.not(first.consistencyToken, '');
  const retry = await client.batch(steps, { transaction: true, idempotencyKey });
  t.true(retry.replayed);
  t.true(retry.committed);
  t.deepEqual(comparable(retry), comparable(first));
  t.is(retry.consistencyToken, first.consistencyToken);
  const rows = retry.results[1];
  t.is(rows?.kind, 'rows');
  if (rows?.kind === 'rows') t.deepEqual(rows.rows[0]?.[2], Buffer.from([0, 255, 7]));
  t.is(await rowsTagged(tag), 1);
  // Another batch under the same key is refused, and runs nothing.
  const reused = await t.throwsAsync(
    client.batch([{ sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`, params: [tag] }], {
      transaction: true,
      idempotencyKey,
    }),
  );
  t.is((reused as GatewayClientError).reason, 'IDEMPOTENCY_KEY_REUSED');
  t.is(await rowsTagged(tag), 1);
  await gw.assertNoLeaks();
});

test.serial('a keyed batch that rolled back records nothing: the retry runs', async (t) => {
  const tag = randomUUID();
  const u = Math.floor(Math.random() * 1e9);
  await rootQuery(sandbox.primaryPort, `INSERT INTO gwtest.${TABLE} (tag, u) VALUES ('blocker', ?)`, [u]);
  const idempotencyKey = randomUUID();
  const steps = [
    { sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`, params: [tag] },
    { sql: `INSERT INTO ${TABLE} (tag, u) VALUES (?, ?)`, params: [tag, u] },
  ];
  const failed = await client.batch(steps, { transaction: true, idempotencyKey });
  t.false(failed.committed);
  t.false(failed.replayed);
  t.is(await rowsTagged(tag), 0);
  await rootQuery(sandbox.primaryPort, `DELETE FROM gwtest.${TABLE} WHERE u = ?`, [u]);
  const retry = await client.batch(steps, { transaction: true, idempotencyKey });
  t.true(retry.committed);
  t.false(retry.replayed);
  t.is(await rowsTagged(tag), 2);
  await gw.assertNoLeaks();
});

test.serial('a key needs a read-write transaction and no step that commits implicitly', async (t) => {
  const tag = randomUUID();
  const insert = { sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`, params: [tag] };
  for (const opts of [{}, { transaction: { readOnly: true } }] as const) {
    const err = (await t.throwsAsync(
      client.batch([insert], { ...opts, idempotencyKey: randomUUID() }),
    )) as GatewayClientError;
    t.is(err.codeName, 'INVALID_ARGUMENT');
    t.is(err.reason, 'IDEMPOTENCY_KEY_NEEDS_TRANSACTION');
  }
  const ddl = (await t.throwsAsync(
    client.batch([insert, { sql: 'CREATE TABLE idem_batch_never (id INT)' }], {
      transaction: true,
      idempotencyKey: randomUUID(),
    }),
  )) as GatewayClientError;
  t.is(ddl.reason, 'IDEMPOTENCY_KEY_IMPLICIT_COMMIT');
  t.regex(ddl.details, /batch step 1/);
  const tables = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    "SHOW TABLES FROM gwtest LIKE 'idem_batch_never'",
  );
  t.is(tables.length, 0);
  t.is(await rowsTagged(tag), 0);
  await gw.assertNoLeaks();
});
