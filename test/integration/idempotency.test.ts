/**
 * Exactly-once Execute with idempotency keys, on the real sandbox through real gRPC: a retry
 * answers the recorded outcome without running again, a key reused for another request is
 * refused, concurrent calls with one key run once, statements that commit implicitly are
 * refused, expired keys are swept, keys of different principals do not collide, and the record
 * works across gateway processes (it lives in the database).
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { GatewayClient } from '../../src/client/index.js';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import {
  type AnyMessage,
  connectClient,
  errorDetails,
  execute,
  type GatewayStub,
  v,
} from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { runCommand, startProcess, writeSandboxConfig } from './helpers/process.js';

const TABLE = 'idem_rows';
const KEYS = 'gwtest.mysqlgateway_idempotency';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
  await rootQuery(sandbox.primaryPort, 'DROP TABLE IF EXISTS gwtest.idem_never');
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL, u INT NULL, UNIQUE KEY (u))`,
  );
});

test.after.always(async () => {
  await gw?.stop();
});

const insert = (tag: string, key: string, u: number | null = null): AnyMessage => ({
  sql: `INSERT INTO ${TABLE} (tag, u) VALUES (?, ?)`,
  params: [v.str(tag), u === null ? v.null() : v.i64(u)],
  idempotency_key: key,
});

async function rowsTagged(tag: string): Promise<number> {
  const rows = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM gwtest.${TABLE} WHERE tag = ?`,
    [tag],
  );
  return Number(rows[0].n);
}

async function failure(p: Promise<unknown>): Promise<{ code: number; reason: string; details: string }> {
  try {
    await p;
  } catch (err) {
    const d = errorDetails(err);
    return { code: d.code, reason: d.reason, details: d.details };
  }
  throw new Error('the call succeeded');
}

test.serial('a retried Execute with a key inserts once and replays the same outcome', async (t) => {
  const tag = randomUUID();
  const key = randomUUID();
  const first = await execute(gw.client, insert(tag, key));
  t.false(first.replayed);
  t.is(first.affected_rows, '1');
  t.not(first.consistency_token, '', 'the sandbox tracks GTIDs');
  const second = await execute(gw.client, insert(tag, key));
  t.true(second.replayed);
  t.is(second.affected_rows, '1');
  t.is(second.last_insert_id, first.last_insert_id);
  t.is(second.consistency_token, first.consistency_token);
  t.is(await rowsTagged(tag), 1);
  // Without a key nothing changes: each call runs.
  const plain = await execute(gw.client, {
    sql: `INSERT INTO ${TABLE} (tag) VALUES (?)`,
    params: [v.str(tag)],
  });
  t.false(plain.replayed);
  t.is(await rowsTagged(tag), 2);
  await gw.assertNoLeaks();
});

test.serial('the same key with another request fails IDEMPOTENCY_KEY_REUSED and runs nothing', async (t) => {
  const tag = randomUUID();
  const key = randomUUID();
  await execute(gw.client, insert(tag, key));
  const otherParams = await failure(execute(gw.client, insert(`${tag}-b`, key)));
  t.is(otherParams.code, Code.FAILED_PRECONDITION);
  t.is(otherParams.reason, 'IDEMPOTENCY_KEY_REUSED');
  const otherSql = await failure(
    execute(gw.client, {
      sql: `UPDATE ${TABLE} SET u = NULL WHERE tag = ?`,
      params: [v.str(tag)],
      idempotency_key: key,
    }),
  );
  t.is(otherSql.reason, 'IDEMPOTENCY_KEY_REUSED');
  t.is(await rowsTagged(`${tag}-b`), 0);
  t.is(await rowsTagged(tag), 1);
  await gw.assertNoLeaks();
});

test.serial('ten concurrent calls with one key: one runs, the others answer its outcome', async (t) => {
  const tag = randomUUID();
  const key = randomUUID();
  const clients: GatewayStub[] = Array.from({ length: 10 }, () => gw.newClient());
  const answers = await Promise.all(clients.map((c) => execute(c, insert(tag, key))));
  t.is(await rowsTagged(tag), 1);
  t.is(answers.filter((a) => !a.replayed).length, 1);
  for (const a of answers) {
    t.is(a.last_insert_id, answers[0].last_insert_id);
    t.is(a.affected_rows, '1');
    t.not(a.consistency_token, '');
  }
  await gw.assertNoLeaks();
});

test.serial('a failed write records no key: the retry runs (and may succeed)', async (t) => {
  const tag = randomUUID();
  const u = Math.floor(Math.random() * 1e9);
  await rootQuery(sandbox.primaryPort, `INSERT INTO gwtest.${TABLE} (tag, u) VALUES ('blocker', ?)`, [u]);
  const key = randomUUID();
  const dup = await failure(execute(gw.client, insert(tag, key, u)));
  t.is(dup.code, Code.ALREADY_EXISTS);
  const recorded = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM ${KEYS} WHERE idem_key = ?`,
    [key],
  );
  t.is(Number(recorded[0].n), 0);
  await rootQuery(sandbox.primaryPort, `DELETE FROM gwtest.${TABLE} WHERE u = ?`, [u]);
  const retry = await execute(gw.client, insert(tag, key, u));
  t.false(retry.replayed);
  t.is(await rowsTagged(tag), 1);
  await gw.assertNoLeaks();
});

test.serial(
  'statements that commit implicitly and malformed keys are refused INVALID_ARGUMENT',
  async (t) => {
    const ddl = await failure(
      execute(gw.client, { sql: 'CREATE TABLE idem_never (id INT)', idempotency_key: randomUUID() }),
    );
    t.is(ddl.code, Code.INVALID_ARGUMENT);
    t.is(ddl.reason, 'IDEMPOTENCY_KEY_IMPLICIT_COMMIT');
    const tables = await rootQuery<AnyMessage>(
      sandbox.primaryPort,
      "SHOW TABLES FROM gwtest LIKE 'idem_never'",
    );
    t.is(tables.length, 0);
    const tag = randomUUID();
    for (const key of ['has space', 'x'.repeat(129), 'clé', 'tab\there']) {
      const bad = await failure(execute(gw.client, insert(tag, key)));
      t.is(bad.code, Code.INVALID_ARGUMENT, key);
      t.is(bad.reason, 'BAD_IDEMPOTENCY_KEY', key);
      t.false(bad.details.includes(key), 'the key is not echoed');
    }
    t.is(await rowsTagged(tag), 0);
    await gw.assertNoLeaks();
  },
);

test.serial('expired keys are swept in the background; a call after expiry runs again', async (t) => {
  const short = await startGateway({
    clusters: { default: { idempotency: { ttlMs: 1, sweepIntervalMs: 50 } } },
  });
  t.teardown(() => short.stop());
  const tag = randomUUID();
  const key = randomUUID();
  const first = await execute(short.client, insert(tag, key));
  t.false(first.replayed);
  await waitFor(
    async () => {
      const rows = await rootQuery<AnyMessage>(
        sandbox.primaryPort,
        `SELECT COUNT(*) AS n FROM ${KEYS} WHERE idem_key = ?`,
        [key],
      );
      return Number(rows[0].n) === 0;
    },
    { timeoutMs: 10_000, message: 'the expired key to be deleted' },
  );
  const again = await execute(short.client, insert(tag, key));
  t.false(again.replayed);
  t.is(await rowsTagged(tag), 2);
  await short.assertNoLeaks();
});

test.serial(
  'a key table that cannot be created: the gateway serves, keyed calls fail FAILED_PRECONDITION',
  async (t) => {
    const broken = await startGateway({
      clusters: { default: { idempotency: { schema: 'idem_no_such_schema' } } },
    });
    t.teardown(() => broken.stop());
    const plain = await execute(broken.client, { sql: `INSERT INTO ${TABLE} (tag) VALUES ('no-table')` });
    t.is(plain.affected_rows, '1');
    const tag = randomUUID();
    const keyed = await failure(execute(broken.client, insert(tag, randomUUID())));
    t.is(keyed.code, Code.FAILED_PRECONDITION);
    t.is(keyed.reason, 'IDEMPOTENCY_TABLE_UNAVAILABLE');
    t.regex(keyed.details, /idem_no_such_schema/);
    t.regex(keyed.details, /CREATE/);
    t.is(await rowsTagged(tag), 0);
    await broken.assertNoLeaks();
  },
);

test.serial('keys are scoped by principal: one key used by two principals runs for each', async (t) => {
  const tokens = { a: newToken(), b: newToken() };
  const authed = await startGateway({
    auth: {
      enabled: true,
      principals: {
        alice: { tokenSha256: [hashToken(tokens.a)] },
        bob: { tokenSha256: [hashToken(tokens.b)] },
      },
    },
  });
  const alice = connectClient(authed.port, { token: tokens.a });
  const bob = connectClient(authed.port, { token: tokens.b });
  t.teardown(async () => {
    alice.close();
    bob.close();
    await authed.stop();
  });
  const tag = randomUUID();
  const key = randomUUID();
  const a1 = await execute(alice, insert(tag, key));
  const b1 = await execute(bob, insert(tag, key));
  t.false(a1.replayed);
  t.false(b1.replayed);
  t.not(a1.last_insert_id, b1.last_insert_id);
  const a2 = await execute(alice, insert(tag, key));
  t.true(a2.replayed);
  t.is(a2.last_insert_id, a1.last_insert_id);
  t.is(await rowsTagged(tag), 2);
  await authed.assertNoLeaks();
});

test.serial(
  'two gateway processes: a call through one, its retry through the other after the first stopped',
  async (t) => {
    const config = writeSandboxConfig();
    const one = await startProcess(config);
    const c1 = connectClient(one.port);
    const tag = randomUUID();
    const key = randomUUID();
    let first: AnyMessage;
    try {
      first = await execute(c1, insert(tag, key));
    } finally {
      c1.close();
      one.child.kill('SIGTERM');
    }
    t.is(await one.exited, 0);
    const two = await startProcess(config);
    const c2 = connectClient(two.port);
    try {
      const retry = await execute(c2, insert(tag, key));
      t.true(retry.replayed);
      t.is(retry.last_insert_id, first.last_insert_id);
      t.is(retry.consistency_token, first.consistency_token);
    } finally {
      c2.close();
      two.child.kill('SIGTERM');
    }
    t.is(await two.exited, 0);
    t.is(await rowsTagged(tag), 1);
  },
);

test.serial('TS client: idempotencyKey on execute; a retry with it is replayed', async (t) => {
  const client = new GatewayClient(`127.0.0.1:${gw.port}`);
  t.teardown(() => client.close());
  const tag = randomUUID();
  const idempotencyKey = randomUUID();
  const sql = `INSERT INTO ${TABLE} (tag) VALUES (?)`;
  const first = await client.execute(sql, [tag], { idempotencyKey });
  const retry = await client.execute(sql, [tag], { idempotencyKey });
  t.false(first.replayed);
  t.true(retry.replayed);
  t.is(retry.lastInsertId, first.lastInsertId);
  t.is(retry.consistencyToken, first.consistencyToken);
  const reused = await t.throwsAsync(client.execute(sql, [`${tag}-other`], { idempotencyKey }));
  t.is((reused as { reason?: string }).reason, 'IDEMPOTENCY_KEY_REUSED');
  t.is(await rowsTagged(tag), 1);
  await gw.assertNoLeaks();
});

test.serial(
  '--check-config reports the key table: ok, or a warning naming the table and the grant',
  async (t) => {
    const ok = await runCommand(['--config', writeSandboxConfig(), '--check-config']);
    t.is(ok.code, 0, ok.stdout + ok.stderr);
    t.regex(ok.stdout, /^ok {4}default idempotency key table `gwtest`\.`mysqlgateway_idempotency`$/m);
    const missing = await runCommand([
      '--config',
      writeSandboxConfig({
        clusters: {
          default: {
            primary: {
              host: sandbox.host,
              port: sandbox.primaryPort,
              user: sandbox.gatewayUser,
              passwordFile: sandbox.passwordFile,
              database: 'gwtest',
            },
            idempotency: { schema: 'idem_no_such_schema' },
          },
        },
      }),
      '--check-config',
    ]);
    t.is(missing.code, 0, 'the gateway serves without the table: a warning, not a failure');
    t.regex(
      missing.stdout,
      /^WARN {2}default idempotency key table `idem_no_such_schema`\.`mysqlgateway_idempotency` cannot be created .*CREATE, SELECT, INSERT, UPDATE, DELETE ON `idem_no_such_schema`\.\*/m,
    );
  },
);
