/**
 * Transaction replay with real faults: the pinned connection killed from root (KILL CONNECTION),
 * the primary killed and restarted mid-transaction, a replay whose results differ (NOW(6)), the
 * statement bound, and a loss during COMMIT, which is never replayed.
 */
import test from 'ava';
import { GatewayClient } from '../../src/client/index.js';
import { Code } from '../../src/errors.js';
import { killNode, rootQuery, sandbox, startNode, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy, defaultCluster } from './helpers/cluster.js';
import { thawNode, freezeNode } from './helpers/freeze.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { type InMemoryTelemetry, inMemoryTelemetry, waitForSpan } from './helpers/telemetry.js';

let gw: TestGateway;
let tel: InMemoryTelemetry;
const T = 'replay_rows';
const MAX_STATEMENTS = 6;

test.before(async () => {
  tel = inMemoryTelemetry();
  gw = await startGateway(
    {
      // Long enough to wait for a restarted primary to be healthy again.
      transactions: { replayTimeoutMs: 60_000, replayMaxStatements: MAX_STATEMENTS },
      telemetry: { enabled: true, samplingRatio: 1 },
      clusters: { default: sandboxClusterConfig({ replicas: false }) },
    },
    tel.options,
  );
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, {
    // No AUTO_INCREMENT: InnoDB does not give back the ids a lost transaction took, so a replayed
    // insert would report another last_insert_id and mismatch (docs/transaction-replay.md).
    sql: `CREATE TABLE ${T} (tag VARCHAR(40), n INT, PRIMARY KEY (tag, n)) ENGINE=InnoDB`,
  });
});

test.after.always(async () => {
  thawNode(0);
  await startNode(0).catch(() => {});
  if (!gw) return;
  await allHealthy(gw, 60_000).catch(() => {});
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
});

/** Rows of the table with `tag`, read on the primary outside any transaction. */
async function rowsTagged(tag: string): Promise<string[]> {
  const out = await query(gw.client, {
    sql: `SELECT n FROM ${T} WHERE tag = ? ORDER BY n`,
    params: [v.str(tag)],
    read_preference: 'READ_PREFERENCE_PRIMARY',
  });
  return out.rows.map((r) => (r[0] as { int64_value: string }).int64_value);
}

/**
 * Waits until the gateway itself has seen its pinned connection close (the socket's end), so that
 * the next request finds it lost before sending anything. Reads the session's lease directly:
 * nothing public shows a dead connection that is still leased.
 */
async function gatewaySawLoss(): Promise<void> {
  type Open = { lease?: { resource: { broken: boolean } } };
  const open = (gw.gateway.sessions as unknown as { open: Set<Open> }).open;
  await waitFor(() => [...open].some((s) => s.lease?.resource.broken === true), {
    message: 'the gateway saw the connection close',
  });
}

/** The replay counter's value for `outcome`. */
async function replays(outcome: string): Promise<number> {
  const points = await tel.metrics.points('mysqlgateway.transaction.replays');
  const point = points.find((p) => p.attributes.outcome === outcome && p.attributes.cluster === 'default');
  return Number(point?.value ?? 0);
}

/** The `mysqlgateway.transaction.replay` event of the Transaction span that ends next. */
async function replayEvent(): Promise<Record<string, unknown> | undefined> {
  const span = await waitForSpan(
    tel.spans,
    (s) => s.events.some((e) => e.name === 'mysqlgateway.transaction.replay'),
    'a Transaction span with a replay event',
  );
  tel.spans.reset();
  return span.events.find((e) => e.name === 'mysqlgateway.transaction.replay')?.attributes;
}

/** Inserts row `n` with `tag` in the transaction. */
function insert(tx: TxStream, tag: string, n: number): Promise<AnyMessage> {
  return tx.execute(`INSERT INTO ${T} (tag, n) VALUES (?, ?)`, [v.str(tag), v.i64(n)]);
}

/** Kills connection `id` on the primary and waits until the server has let it go. */
async function killConnection(id: string): Promise<void> {
  await rootQuery(sandbox.primaryPort, `KILL CONNECTION ${Number(id)}`);
  await waitFor(
    async () =>
      (
        (await rootQuery(sandbox.primaryPort, 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [
          Number(id),
        ])) as unknown[]
      ).length === 0,
    { message: `connection ${id} gone` },
  );
}

test.serial(
  'KILL CONNECTION of the pinned connection: the next statement replays, commits once',
  async (t) => {
    const tag = 'kill';
    const replayedBefore = await replays('replayed');
    tel.spans.reset();
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true });
    const first = begun.begun.connection_id as string;
    await insert(tx, tag, 1);
    await insert(tx, tag, 2);
    const seen = await tx.query(`SELECT n FROM ${T} WHERE tag = ? ORDER BY n`, [v.str(tag)]);
    t.is(seen.rows.length, 2);
    await killConnection(first);
    const third = await insert(tx, tag, 3);
    t.truthy(third.replayed, 'the first response after the loss reports the replay');
    t.is(third.replayed.previous_connection_id, first);
    t.not(third.replayed.connection_id, first);
    t.is(third.replayed.statements, 3);
    t.is(third.executed.affected_rows, '1');
    const committed = await tx.commit();
    t.falsy(committed.replayed, 'reported once');
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1', '2', '3']);
    t.is(await replays('replayed'), replayedBefore + 1);
    t.like(await replayEvent(), {
      'mysqlgateway.replay.outcome': 'replayed',
      'mysqlgateway.replay.statements': 3,
    });
    await gw.assertNoLeaks();
  },
);

test.serial(
  'a keyed transaction replayed after KILL CONNECTION claims its key again: committed once, the key recorded',
  async (t) => {
    const tag = 'keyed';
    const key = `replay-key-${Date.now()}`;
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true, idempotency_key: key });
    await insert(tx, tag, 1);
    await killConnection(begun.begun.connection_id as string);
    const second = await insert(tx, tag, 2);
    t.truthy(second.replayed, 'replayed on a new connection');
    t.is(second.replayed.statements, 1);
    t.is((await tx.commit()).result, 'committed');
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1', '2']);
    // The key row was written in the replayed transaction: the same begin is refused.
    const again = new TxStream(gw.client);
    const refused = await again.begin({ idempotency_key: key }).catch((e: Error) => e);
    const status = await again.status;
    t.is(status?.code, Code.ALREADY_EXISTS, String(refused));
    t.is(errorDetails(status).reason, 'TRANSACTION_ALREADY_COMMITTED');
    await gw.assertNoLeaks();
  },
);

test.serial(
  'the primary killed and restarted mid-transaction: the transaction survives, rows committed once',
  async (t) => {
    const tag = 'restart';
    const { cluster } = defaultCluster(gw);
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true });
    await insert(tx, tag, 1);
    await insert(tx, tag, 2);
    await tx.query(`SELECT COUNT(*) FROM ${T} WHERE tag = ?`, [v.str(tag)]);
    await killNode(0);
    await startNode(0);
    const third = await insert(tx, tag, 3);
    t.truthy(third.replayed);
    t.is(third.replayed.previous_connection_id, begun.begun.connection_id);
    t.not(third.replayed.connection_id, begun.begun.connection_id);
    t.is(third.replayed.backend, cluster.primary.name);
    t.is(third.replayed.statements, 3);
    t.log(`replayed in ${Number(third.replayed.elapsed_us) / 1000} ms`);
    await tx.commit();
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1', '2', '3']);
    await allHealthy(gw, 60_000);
    await gw.assertNoLeaks();
  },
);

test.serial(
  'a transaction that read NOW(6) mismatches on replay: ABORTED REPLAY_MISMATCH, nothing committed',
  async (t) => {
    const tag = 'mismatch';
    const mismatchesBefore = await replays('mismatch');
    tel.spans.reset();
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true });
    await insert(tx, tag, 1);
    await tx.query('SELECT NOW(6)');
    await killConnection(begun.begun.connection_id);
    tx.send({ execute: { sql: `INSERT INTO ${T} (tag, n) VALUES (?, ?)`, params: [v.str(tag), v.i64(2)] } });
    const status = await tx.status;
    const e = errorDetails(status);
    t.is(e.code, Code.ABORTED, e.details);
    t.is(e.reason, 'REPLAY_MISMATCH');
    t.regex(e.details, /statement 2 of 2/);
    t.deepEqual(await rowsTagged(tag), []);
    t.is(await replays('mismatch'), mismatchesBefore + 1);
    t.like(await replayEvent(), { 'mysqlgateway.replay.outcome': 'mismatch' });
    await gw.assertNoLeaks();
  },
);

test.serial(
  'without replay a lost connection ends the transaction UNAVAILABLE TRANSACTION_ROLLED_BACK',
  async (t) => {
    const tag = 'noreplay';
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({});
    await insert(tx, tag, 1);
    await killConnection(begun.begun.connection_id);
    tx.send({ execute: { sql: `INSERT INTO ${T} (tag, n) VALUES (?, ?)`, params: [v.str(tag), v.i64(2)] } });
    const e = errorDetails(await tx.status);
    t.is(e.code, Code.UNAVAILABLE, e.details);
    t.is(e.reason, 'TRANSACTION_ROLLED_BACK');
    t.deepEqual(await rowsTagged(tag), []);
    await gw.assertNoLeaks();
  },
);

test.serial('past transactions.replayMaxStatements the transaction is no longer replayed', async (t) => {
  const tag = 'bound';
  const tx = new TxStream(gw.client);
  t.teardown(() => tx.call.end());
  const begun = await tx.begin({ replay: true });
  for (let n = 1; n <= MAX_STATEMENTS + 1; n++) await insert(tx, tag, n);
  await killConnection(begun.begun.connection_id);
  tx.send({ execute: { sql: `INSERT INTO ${T} (tag, n) VALUES (?, ?)`, params: [v.str(tag), v.i64(99)] } });
  const e = errorDetails(await tx.status);
  t.is(e.code, Code.UNAVAILABLE, e.details);
  t.is(e.reason, 'TRANSACTION_ROLLED_BACK');
  t.deepEqual(await rowsTagged(tag), []);
  await gw.assertNoLeaks();
});

test.serial('the connection lost during COMMIT is never replayed: COMMIT_OUTCOME_UNKNOWN', async (t) => {
  const tag = 'commit';
  const tx = new TxStream(gw.client);
  t.teardown(() => tx.call.end());
  await tx.begin({ replay: true });
  await insert(tx, tag, 1);
  // Frozen, the primary takes the COMMIT into its socket and answers nothing; then it dies.
  const thaw = freezeNode(0);
  t.teardown(thaw);
  tx.send({ commit: {} });
  await waitFor(() => gw.gateway.sessions.openTransactions().some((s) => s.state === 'finishing'), {
    message: 'COMMIT sent',
  });
  await killNode(0);
  const e = errorDetails(await tx.status);
  t.is(e.code, Code.UNAVAILABLE, e.details);
  t.is(e.reason, 'COMMIT_OUTCOME_UNKNOWN');
  await startNode(0);
  await allHealthy(gw, 60_000);
  t.deepEqual(await rowsTagged(tag), [], 'not replayed: the crash lost the uncommitted row');
  await gw.assertNoLeaks();
});

test.serial(
  'the TS client: replay on begin, each replay reported on the handle and on the result',
  async (t) => {
    const tag = 'client';
    const client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 30_000 });
    t.teardown(() => client.close());
    const result = await client.transaction(
      async (tx) => {
        await tx.execute(`INSERT INTO ${T} (tag, n) VALUES (?, 1)`, [tag]);
        t.deepEqual(tx.replays, []);
        await killConnection(tx.connectionId);
        await tx.execute(`INSERT INTO ${T} (tag, n) VALUES (?, 2)`, [tag]);
        t.is(tx.replays.length, 1);
        t.like(tx.replays[0], { previousConnectionId: tx.connectionId, statements: 1 });
        t.not(tx.replays[0]?.connectionId, tx.connectionId);
        return 'done';
      },
      { replay: true },
    );
    t.is(result.value, 'done');
    t.is(result.replays.length, 1);
    t.deepEqual(await rowsTagged(tag), ['1', '2']);
    await gw.assertNoLeaks();
  },
);

test.serial(
  'a connection killed while idle before commit: the commit replays, then commits on the new connection',
  async (t) => {
    const tag = 'idle';
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true });
    await insert(tx, tag, 1);
    await killConnection(begun.begun.connection_id);
    // Else COMMIT could be written to the dead socket before the gateway reads its end: that is
    // a loss during COMMIT, never replayed.
    await gatewaySawLoss();
    const committed = await tx.commit();
    t.truthy(committed.replayed, 'the committed response reports the replay');
    t.is(committed.replayed.statements, 1);
    t.not(committed.replayed.connection_id, begun.begun.connection_id);
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1']);
    await gw.assertNoLeaks();
  },
);

test.serial(
  'a statement sent while the primary is down waits for it to come back, then replays',
  async (t) => {
    const tag = 'down';
    const { cluster, monitor } = defaultCluster(gw);
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({ replay: true });
    await insert(tx, tag, 1);
    await killNode(0);
    const id = tx.send({
      execute: { sql: `INSERT INTO ${T} (tag, n) VALUES (?, ?)`, params: [v.str(tag), v.i64(2)] },
    });
    // The replay keeps trying while the health monitor has the primary down.
    await monitor.waitFor(cluster.primary.name, 'down', 30_000);
    await startNode(0);
    const answer = await tx.next(60_000);
    t.is(answer.request_id, id);
    t.is(answer.executed?.affected_rows, '1', JSON.stringify(answer.error ?? {}));
    t.is(answer.replayed?.previous_connection_id, begun.begun.connection_id);
    t.true(Number(answer.replayed?.elapsed_us) > 0);
    await tx.commit();
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1', '2']);
    await allHealthy(gw, 60_000);
    await gw.assertNoLeaks();
  },
);

test.serial(
  'clusters.<name>.transactions.replay replays a transaction whose begin did not ask',
  async (t) => {
    const tag = 'cluster-default';
    const other = await startGateway({
      clusters: { default: { ...sandboxClusterConfig({ replicas: false }), transactions: { replay: true } } },
    });
    t.teardown(() => other.stop());
    const tx = new TxStream(other.client);
    t.teardown(() => tx.call.end());
    const begun = await tx.begin({});
    await insert(tx, tag, 1);
    await killConnection(begun.begun.connection_id);
    const second = await insert(tx, tag, 2);
    t.is(second.replayed?.previous_connection_id, begun.begun.connection_id);
    await tx.commit();
    t.is(await tx.status, null);
    t.deepEqual(await rowsTagged(tag), ['1', '2']);
    await other.assertNoLeaks();
  },
);
