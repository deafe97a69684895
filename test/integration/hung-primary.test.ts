/**
 * A primary that hangs without closing its sockets (mariadbd frozen with SIGSTOP), under write
 * load, with the default health settings: the health monitor takes it down within a bounded
 * time, writes in flight then end UNAVAILABLE stating they may have reached MySQL (not at their
 * deadline), later writes fail at once with `PRIMARY_UNRESPONSIVE`, and once it is thawed writes
 * work again without a gateway restart. The node is always thawed, whatever fails.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { errorDetails, execute, query, v } from './helpers/client.js';
import { allHealthy, defaultCluster } from './helpers/cluster.js';
import { freezeNode, thawNode } from './helpers/freeze.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { waitFor } from '../helpers/sandbox.js';

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

async function timedWrite(value: string): Promise<WriteOutcome> {
  const startedAt = Date.now();
  try {
    await execute(
      gw.client,
      { sql: `INSERT INTO ${T} (v) VALUES (?)`, params: [v.str(value)] },
      { deadlineMs: DEADLINE_MS },
    );
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
    const frozenAt = Date.now();
    frozen = true;
    const thaw = freezeNode(0);
    t.teardown(thaw);
    // A write sent right after the freeze is in flight on the hung primary.
    const inFlight = timedWrite('in flight');

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
    for (const f of failures) {
      t.is(f.error?.code, Code.UNAVAILABLE, f.error?.details);
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
    for (const ms of failFast) t.true(ms < 200, `a write while down took ${ms} ms`);
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
    t.true(Date.now() - readStarted < 200);

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
