/**
 * A primary that hangs without closing its sockets (mariadbd frozen with SIGSTOP), under write
 * load, with the default health settings: the health monitor takes it down within a bounded
 * time, writes in flight then end UNAVAILABLE stating they may have reached MySQL (not at their
 * deadline), later writes fail at once with `PRIMARY_UNRESPONSIVE`, and once it is thawed writes
 * work again without a gateway restart. The node is always thawed, whatever fails.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy, defaultCluster } from './helpers/cluster.js';
import { freezeNode, thawNode } from './helpers/freeze.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { runningStatements, waitFor } from '../helpers/sandbox.js';

let gw: TestGateway;
const T = 'hung_primary_rows';
/** Deadline of every write: far longer than detection, so a write that waits for it is seen. */
const DEADLINE_MS = 30_000;
/** Default health settings: 3 failed checks of 1 s timeout, 1 s apart, plus the phase of the first. */
const DETECTION_BOUND_MS = 6000;

test.before(async () => {
  thawNode(0);
  gw = await startGateway({
    clusters: { default: { ...sandboxClusterConfig(), pool: { min: 4, max: 8, acquireTimeoutMs: 20_000 } } },
  });
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))` });
});

test.after.always(async () => {
  thawNode(0);
  if (!gw) return;
  await waitFor(() => defaultCluster(gw).cluster.serving, { timeoutMs: 20_000 }).catch(() => {});
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
});

interface WriteOutcome {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly error?: ReturnType<typeof errorDetails>;
}

/** Text of the write the freeze catches on the server. */
const IN_FLIGHT_MARKER = 'in-flight-at-freeze';

/** Inserts `value`; null: the in-flight write, which sleeps 2 s on the server first. */
async function timedWrite(value: string | null): Promise<WriteOutcome> {
  const startedAt = Date.now();
  const req =
    value === null
      ? { sql: `INSERT INTO ${T} (v) SELECT IF(SLEEP(2) = 0, '${IN_FLIGHT_MARKER}', 'x')` }
      : { sql: `INSERT INTO ${T} (v) VALUES (?)`, params: [v.str(value)] };
  try {
    await execute(gw.client, req, { deadlineMs: DEADLINE_MS });
    return { startedAt, endedAt: Date.now() };
  } catch (err) {
    return { startedAt, endedAt: Date.now(), error: errorDetails(err) };
  }
}

test.serial(
  'the primary freezes under write load: down within a bounded time, writes fail fast, then resume',
  async (t) => {
    const { cluster, monitor } = defaultCluster(gw);
    // Four writers, each writing until its first failure.
    let okBeforeFreeze = 0;
    const failures: WriteOutcome[] = [];
    let frozen = false;
    const writers = Array.from({ length: 4 }, async (_, i) => {
      for (let n = 0; ; n++) {
        const out = await timedWrite(`w${i}-${n}`);
        if (out.error) {
          failures.push(out);
          return;
        }
        if (!frozen) okBeforeFreeze++;
      }
    });
    await waitFor(() => okBeforeFreeze >= 20, { message: '20 writes before the freeze' });
    // A write that is running on the primary when it freezes (SLEEP holds it there).
    const inFlight = timedWrite(null);
    await waitFor(async () => (await runningStatements(IN_FLIGHT_MARKER)) === 1, {
      message: 'the in-flight write running on the primary',
    });
    const frozenAt = Date.now();
    frozen = true;
    const thaw = freezeNode(0);
    t.teardown(thaw);

    await monitor.waitFor(cluster.primary.name, 'down', 20_000);
    const detectedAt = Date.now();
    const detectionMs = detectedAt - frozenAt;
    t.log(
      `primary down ${detectionMs} ms after the freeze (${monitor.health(cluster.primary.name).lastError})`,
    );
    t.true(detectionMs < DETECTION_BOUND_MS, `detected after ${detectionMs} ms`);
    t.false(cluster.serving);

    // The write in flight ends soon after detection, saying it may have reached MySQL.
    const w = await inFlight;
    t.truthy(w.error, 'the in-flight write failed');
    t.is(w.error?.code, Code.UNAVAILABLE, w.error?.details);
    t.regex(w.error?.details ?? '', /may have reached MySQL/);
    t.log(`in-flight write ended ${w.endedAt - detectedAt} ms after detection (${w.error?.reason})`);
    t.true(
      w.endedAt - detectedAt < 1000,
      `in-flight write ended ${w.endedAt - detectedAt} ms after detection`,
    );

    // Every writer stopped by detection + margin, none at its deadline.
    await Promise.all(writers);
    t.is(failures.length, 4);
    t.log(`writers ended with ${failures.map((f) => f.error?.reason).join(', ')}`);
    for (const f of failures) {
      t.is(f.error?.code, Code.UNAVAILABLE, f.error?.details);
      t.true(
        ['BACKEND_UNAVAILABLE', 'PRIMARY_UNRESPONSIVE'].includes(f.error?.reason ?? ''),
        f.error?.reason,
      );
      t.true(f.endedAt - detectedAt < 1000, `a writer failed ${f.endedAt - detectedAt} ms after detection`);
    }

    // Writes now fail at once with PRIMARY_UNRESPONSIVE.
    const failFast: number[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await timedWrite('while down');
      t.is(out.error?.code, Code.UNAVAILABLE);
      t.is(out.error?.reason, 'PRIMARY_UNRESPONSIVE', out.error?.details);
      t.regex(out.error?.details ?? '', /unresponsive.*since \d{4}-/);
      failFast.push(out.endedAt - out.startedAt);
    }
    t.log(`writes while down failed after ${failFast.join(', ')} ms`);
    for (const ms of failFast) t.true(ms < 300, `a write while down took ${ms} ms`);
    // A read that can only go to the primary fails fast too.
    const readStarted = Date.now();
    const readErr = await t.throwsAsync(
      query(
        gw.client,
        { sql: 'SELECT 1', read_preference: 'READ_PREFERENCE_PRIMARY' },
        { deadlineMs: DEADLINE_MS },
      ),
    );
    t.is(errorDetails(readErr).reason, 'PRIMARY_UNRESPONSIVE');
    t.true(Date.now() - readStarted < 300);

    // Thawed: writes work again without a restart.
    thaw();
    const thawedAt = Date.now();
    await waitFor(async () => (await timedWrite('back')).error === undefined, {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'writes work again',
    });
    t.log(`writes work again ${Date.now() - thawedAt} ms after the thaw`);
    await monitor.waitFor(cluster.primary.name, 'healthy', 10_000);
    t.true(cluster.serving);
    await gw.assertNoLeaks();
  },
);

test.serial(
  'transactions with a statement or COMMIT in flight when the primary freezes end at detection',
  async (t) => {
    const { cluster, monitor } = defaultCluster(gw);
    await allHealthy(gw);
    const tx1 = new TxStream(gw.client, { deadlineMs: DEADLINE_MS });
    const tx2 = new TxStream(gw.client, { deadlineMs: DEADLINE_MS });
    // Idle when the primary freezes, sending its next statement after detection.
    const tx3 = new TxStream(gw.client, { deadlineMs: DEADLINE_MS });
    t.teardown(() => {
      tx1.call.cancel();
      tx2.call.cancel();
      tx3.call.cancel();
    });
    for (const tx of [tx1, tx2, tx3]) {
      await tx.begin();
      await tx.execute(`INSERT INTO ${T} (v) VALUES ('tx')`);
    }
    const thaw = freezeNode(0);
    t.teardown(thaw);
    tx1.send({ execute: { sql: `INSERT INTO ${T} (v) VALUES ('tx in flight')`, params: [] } });
    tx2.send({ commit: {} });
    await monitor.waitFor(cluster.primary.name, 'down', 20_000);
    const detectedAt = Date.now();
    const [s1, s2] = await Promise.all([tx1.status, tx2.status]);
    const ended = Date.now() - detectedAt;
    t.log(
      `transactions ended ${ended} ms after detection: ${errorDetails(s1).reason}, ${errorDetails(s2).reason}`,
    );
    t.true(ended < 1000, `ended ${ended} ms after detection`);
    t.is(errorDetails(s1).code, Code.UNAVAILABLE, errorDetails(s1).details);
    t.is(errorDetails(s2).code, Code.UNAVAILABLE, errorDetails(s2).details);
    t.is(errorDetails(s2).reason, 'COMMIT_OUTCOME_UNKNOWN', 'a COMMIT cut off says its outcome is unknown');
    const sentAt = Date.now();
    tx3.send({ execute: { sql: `INSERT INTO ${T} (v) VALUES ('tx after detection')`, params: [] } });
    const s3 = await tx3.status;
    t.log(`a statement of an open transaction sent after detection failed after ${Date.now() - sentAt} ms`);
    t.true(Date.now() - sentAt < 300);
    t.is(errorDetails(s3).code, Code.UNAVAILABLE, errorDetails(s3).details);
    thaw();
    await monitor.waitFor(cluster.primary.name, 'healthy', 20_000);
    await gw.assertNoLeaks();
  },
);
