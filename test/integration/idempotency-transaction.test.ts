/**
 * Transactions with an idempotency key (BeginRequest.idempotency_key): committed at most once per
 * key, a later begin refused ALREADY_EXISTS with the recorded token, a rolled-back one recording
 * nothing, concurrent begins serialized on the key row, key reuse with other options, the
 * read-only refusal, and a connection lost during COMMIT resolved on a fresh connection.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { CommitBlocker } from './helpers/commit-fault.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

const T = 'idem_tx_items';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway({ clusters: { default: sandboxClusterConfig() } });
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${T} (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL)`,
  );
  // The key table exists before any test blocks commits (it is created at start, in the background).
  await execute(gw.client, {
    sql: `INSERT INTO ${T} (tag) VALUES ('warm-up')`,
    idempotency_key: randomUUID(),
  });
});

test.after.always(async () => {
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

async function rowsTagged(tag: string): Promise<number> {
  const rows = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM gwtest.${T} WHERE tag = ?`,
    [tag],
  );
  return Number(rows[0].n);
}

/** Begins with `begin`, inserts a row tagged `tag`, commits; returns the commit's consistency token. */
async function keyedInsert(begin: AnyMessage, tag: string): Promise<string> {
  const tx = new TxStream(gw.client);
  await tx.begin(begin);
  await tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
  const done = await tx.commit();
  if ((await tx.status) !== null) throw new Error('the keyed transaction did not end OK');
  return String(done.committed.consistency_token);
}

/** Opens a stream and sends only `begin`; resolves with how the stream ended (null: OK). */
async function refusedBegin(begin: AnyMessage): Promise<ServiceError> {
  const tx = new TxStream(gw.client);
  tx.send({ begin });
  const status = await tx.status;
  if (status === null) throw new Error('the begin was not refused');
  return status;
}

function trailer(err: ServiceError, key: string): string {
  return String((err.metadata as Metadata).get(key)[0] ?? '');
}

test.serial(
  'a keyed transaction commits once; a later begin with the key is refused with its token',
  async (t) => {
    const key = randomUUID();
    const tag = randomUUID();
    const token = await keyedInsert({ idempotency_key: key }, tag);
    t.not(token, '', 'the sandbox tracks GTIDs');
    t.is(await rowsTagged(tag), 1);
    const err = await refusedBegin({ idempotency_key: key });
    const d = errorDetails(err);
    t.is(d.code, Code.ALREADY_EXISTS);
    t.is(d.reason, 'TRANSACTION_ALREADY_COMMITTED');
    t.is(trailer(err, 'x-consistency-token'), token, 'the recorded token of the commit');
    t.is(await rowsTagged(tag), 1);
    // The token read from the refusal makes a replica read see the write.
    const seen = await query(gw.client, {
      sql: `SELECT COUNT(*) FROM ${T} WHERE tag = ?`,
      params: [v.str(tag)],
      read_preference: 'READ_PREFERENCE_REPLICA',
      consistency_token: trailer(err, 'x-consistency-token'),
    });
    t.is(Number((seen.rows[0] as AnyMessage[])[0].int64_value), 1);
  },
);

test.serial('a rolled-back keyed transaction records nothing: the key begins again', async (t) => {
  const key = randomUUID();
  const tag = randomUUID();
  const tx = new TxStream(gw.client);
  await tx.begin({ idempotency_key: key });
  await tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
  await tx.rollback();
  t.is(await tx.status, null);
  t.is(await rowsTagged(tag), 0);
  await keyedInsert({ idempotency_key: key }, tag);
  t.is(await rowsTagged(tag), 1);
  t.is(errorDetails(await refusedBegin({ idempotency_key: key })).reason, 'TRANSACTION_ALREADY_COMMITTED');
});

/** Resolves once a gateway INSERT into the key table is in flight on the primary (waiting on the row's lock). */
async function keyInsertWaiting(): Promise<void> {
  await waitFor(
    async () => {
      const rows = await rootQuery<AnyMessage>(
        sandbox.primaryPort,
        "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = 'gateway' AND info LIKE '%INSERT INTO%mysqlgateway_idempotency%'",
      );
      return Number(rows[0].n) > 0;
    },
    { timeoutMs: 15_000, message: 'the second begin to wait on the key row' },
  );
}

test.serial(
  'two concurrent begins with one key: the second waits, then is refused when the first commits',
  async (t) => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = new TxStream(gw.client, { deadlineMs: 30_000 });
    await first.begin({ idempotency_key: key });
    const second = new TxStream(gw.client, { deadlineMs: 30_000 });
    second.send({ begin: { idempotency_key: key } });
    await keyInsertWaiting();
    await first.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
    const done = await first.commit();
    t.is(await first.status, null);
    const err = await second.status;
    t.truthy(err);
    const d = errorDetails(err);
    t.is(d.code, Code.ALREADY_EXISTS);
    t.is(d.reason, 'TRANSACTION_ALREADY_COMMITTED');
    // The commit's own token, or, when the second begin read the key row before the first call
    // had recorded that token (it is known only after COMMIT), the primary's position then: at or
    // after the commit in the commit's GTID domain, so it reads the write either way.
    t.true(
      covers(trailer(err as ServiceError, 'x-consistency-token'), String(done.committed.consistency_token)),
      `${trailer(err as ServiceError, 'x-consistency-token')} covers ${done.committed.consistency_token}`,
    );
    t.is(await rowsTagged(tag), 1);
  },
);

/** True when GTID position `pos` ("d-s-n,...") is at or after `gtid` ("d-s-n") in `gtid`'s domain. */
function covers(pos: string, gtid: string): boolean {
  const [domain, , seq] = gtid.split('-');
  return pos
    .split(',')
    .map((p) => p.split('-'))
    .some(([d, , n]) => d === domain && BigInt(n ?? '-1') >= BigInt(seq ?? '0'));
}

test.serial(
  'two concurrent begins with one key: when the first rolls back, the second proceeds',
  async (t) => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = new TxStream(gw.client, { deadlineMs: 30_000 });
    await first.begin({ idempotency_key: key });
    const second = new TxStream(gw.client, { deadlineMs: 30_000 });
    const beginId = second.send({ begin: { idempotency_key: key } });
    await keyInsertWaiting();
    await first.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(`${tag}-first`)]);
    await first.rollback();
    t.is(await first.status, null);
    const begun = await second.until(beginId, ['begun']);
    t.truthy(begun.last.begun);
    await second.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
    await second.commit();
    t.is(await second.status, null);
    t.is(await rowsTagged(`${tag}-first`), 0);
    t.is(await rowsTagged(tag), 1);
  },
);

test.serial('the same key with other transaction options is IDEMPOTENCY_KEY_REUSED', async (t) => {
  const key = randomUUID();
  await keyedInsert(
    { idempotency_key: key, isolation_level: 'ISOLATION_LEVEL_READ_COMMITTED' },
    randomUUID(),
  );
  const d = errorDetails(
    await refusedBegin({ idempotency_key: key, isolation_level: 'ISOLATION_LEVEL_SERIALIZABLE' }),
  );
  t.is(d.code, Code.FAILED_PRECONDITION);
  t.is(d.reason, 'IDEMPOTENCY_KEY_REUSED');
  // The key of an Execute is not a transaction's either.
  const execKey = randomUUID();
  await execute(gw.client, { sql: `INSERT INTO ${T} (tag) VALUES ('exec')`, idempotency_key: execKey });
  t.is(errorDetails(await refusedBegin({ idempotency_key: execKey })).reason, 'IDEMPOTENCY_KEY_REUSED');
});

test.serial('a key on a read-only begin, or a malformed key, is refused INVALID_ARGUMENT', async (t) => {
  const ro = errorDetails(await refusedBegin({ idempotency_key: randomUUID(), read_only: true }));
  t.is(ro.code, Code.INVALID_ARGUMENT);
  t.is(ro.reason, 'IDEMPOTENCY_KEY_READ_ONLY');
  t.regex(ro.details, /idempotency_key/);
  t.regex(ro.details, /read_only/);
  const bad = errorDetails(await refusedBegin({ idempotency_key: 'has spaces in it' }));
  t.is(bad.code, Code.INVALID_ARGUMENT);
  t.is(bad.reason, 'BAD_IDEMPOTENCY_KEY');
});

test.serial(
  'connection killed while a keyed COMMIT waits: resolved as not committed, the retry commits once',
  async (t) => {
    const commits = await CommitBlocker.open(t);
    const key = randomUUID();
    const tag = randomUUID();
    const tx = new TxStream(gw.client, { deadlineMs: 20_000 });
    await tx.begin({ idempotency_key: key });
    await tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
    await commits.block();
    tx.send({ commit: {} });
    await commits.killWaitingCommit();
    const d = errorDetails(await tx.status);
    t.is(d.code, Code.UNAVAILABLE);
    t.is(d.reason, 'IDEMPOTENT_WRITE_NOT_COMMITTED');
    t.is(await rowsTagged(tag), 0);
    await keyedInsert({ idempotency_key: key }, tag);
    t.is(await rowsTagged(tag), 1);
    t.is(errorDetails(await refusedBegin({ idempotency_key: key })).reason, 'TRANSACTION_ALREADY_COMMITTED');
  },
);

test.serial('COMMIT ran but its answer was lost: resolved as committed on a fresh connection', async (t) => {
  // A gateway whose primary is reached through a proxy that can drop the COMMIT's answer: MySQL
  // commits, the gateway never hears it, and its connection is then cut.
  const proxy = await TcpProxy.start(sandbox.primaryPort);
  proxy.watchMysql(/COMMIT$/);
  t.teardown(() => proxy.close());
  const cluster = sandboxClusterConfig({ replicas: false }) as { primary: Record<string, unknown> };
  const viaProxy = await startGateway({
    clusters: { default: { ...cluster, primary: { ...cluster.primary, port: proxy.port } } },
  });
  t.teardown(() => viaProxy.stop());
  const key = randomUUID();
  const tag = randomUUID();
  const tx = new TxStream(viaProxy.client, { deadlineMs: 30_000 });
  await tx.begin({ idempotency_key: key });
  await tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [v.str(tag)]);
  proxy.holdOnWatchedStatement();
  const commitId = tx.send({ commit: {} });
  await waitFor(async () => (await rowsTagged(tag)) === 1, {
    timeoutMs: 15_000,
    message: 'MySQL to commit the transaction whose answer is held',
  });
  t.is(proxy.heldCount, 1, 'only the connection that sent COMMIT is held');
  t.is(proxy.cutHeld(), 1);
  const committed = await tx.until(commitId, ['committed']);
  t.truthy(committed.last.committed, 'answered committed, not COMMIT_OUTCOME_UNKNOWN');
  t.not(String(committed.last.committed.consistency_token), '');
  t.is(await tx.status, null);
  t.is(await rowsTagged(tag), 1);
  const again = new TxStream(viaProxy.client);
  again.send({ begin: { idempotency_key: key } });
  t.is(errorDetails(await again.status).reason, 'TRANSACTION_ALREADY_COMMITTED');
  await viaProxy.assertNoLeaks();
});
