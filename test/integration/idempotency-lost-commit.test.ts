/**
 * A keyed Execute whose connection is lost during COMMIT: the gateway asks the primary on a fresh
 * connection whether the key row is there, and answers "not committed, retry" instead of
 * COMMIT_OUTCOME_UNKNOWN. The fault is real: root holds MariaDB's BACKUP STAGE BLOCK_COMMIT so
 * the gateway's COMMIT waits, kills the gateway's connection while it waits, then lets commits go.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createConnection } from 'mysql2/promise';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, v } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const TABLE = 'idem_lost_commit';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL)`,
  );
  // The key table exists before commits are blocked (it is created at start, in the background).
  await execute(gw.client, {
    sql: `INSERT INTO ${TABLE} (tag) VALUES ('warm-up')`,
    idempotency_key: randomUUID(),
  });
});

test.after.always(async () => {
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

test.serial(
  'connection killed while COMMIT waits: resolved as not committed, and the retry runs once',
  async (t) => {
    const root = await createConnection({
      host: sandbox.host,
      port: sandbox.primaryPort,
      user: sandbox.rootUser,
      password: '',
    });
    let blocked = false;
    t.teardown(async () => {
      if (blocked) await root.query('BACKUP STAGE END').catch(() => {});
      await root.end().catch(() => root.destroy());
    });
    for (const stage of ['START', 'FLUSH', 'BLOCK_DDL', 'BLOCK_COMMIT'])
      await root.query(`BACKUP STAGE ${stage}`);
    blocked = true;
    const tag = randomUUID();
    const key = randomUUID();
    const req = { sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`, params: [v.str(tag)], idempotency_key: key };
    const call = execute(gw.client, req, { deadlineMs: 20_000 }).then(
      (res) => ({ res, err: undefined }),
      (err: unknown) => ({ res: undefined, err }),
    );
    let threadId = 0;
    await waitFor(
      async () => {
        const [rows] = await root.query<AnyMessage[]>(
          "SELECT id FROM information_schema.processlist WHERE user = 'gateway' AND info LIKE '%COMMIT'",
        );
        threadId = Number(rows[0]?.id ?? 0);
        return threadId > 0;
      },
      { timeoutMs: 10_000, message: "the gateway's COMMIT to wait for the backup lock" },
    );
    await root.query(`KILL CONNECTION ${threadId}`);
    await root.query('BACKUP STAGE END');
    blocked = false;
    const { res, err } = await call;
    t.is(res, undefined);
    const d = errorDetails(err);
    t.is(d.code, Code.UNAVAILABLE);
    t.is(d.reason, 'IDEMPOTENT_WRITE_NOT_COMMITTED');
    t.is(await rowsTagged(tag), 0);
    const retry = await execute(gw.client, req);
    t.false(retry.replayed);
    t.is(await rowsTagged(tag), 1);
    const again = await execute(gw.client, req);
    t.true(again.replayed);
    t.is(again.last_insert_id, retry.last_insert_id);
    t.is(await rowsTagged(tag), 1);
    await gw.assertNoLeaks();
  },
);
