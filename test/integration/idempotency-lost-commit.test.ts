/**
 * A keyed Execute whose connection is lost during COMMIT: the gateway asks the primary on a fresh
 * connection whether the key row is there, and answers "not committed, retry" instead of
 * COMMIT_OUTCOME_UNKNOWN. The fault is real: root holds MariaDB's BACKUP STAGE BLOCK_COMMIT so
 * the gateway's COMMIT waits, kills the gateway's connection while it waits, then lets commits go.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { CommitBlocker } from './helpers/commit-fault.js';
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
    const commits = await CommitBlocker.open(t);
    await commits.block();
    const tag = randomUUID();
    const key = randomUUID();
    const req = { sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`, params: [v.str(tag)], idempotency_key: key };
    const call = execute(gw.client, req, { deadlineMs: 20_000 }).then(
      (res) => ({ res, err: undefined }),
      (err: unknown) => ({ res: undefined, err }),
    );
    await commits.killWaitingCommit();
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
