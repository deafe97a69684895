/**
 * A replica that hangs without closing its sockets (mariadbd frozen with SIGSTOP), under read
 * load, with the default health settings: no read waits longer than the detection time plus a
 * margin (reads in flight on it are re-routed once it is marked down, reads waiting for one of
 * its connections fail over too), reads keep succeeding on the other backends, and once it is
 * thawed it takes reads again. The node is always thawed, whatever fails.
 */
import test from 'ava';
import { waitFor } from '../helpers/sandbox.js';
import { errorDetails, query } from './helpers/client.js';
import { allHealthy, defaultCluster, servedBy } from './helpers/cluster.js';
import { freezeNode, thawNode } from './helpers/freeze.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
/** Deadline of every read: far longer than detection, so a read that waits for it is seen. */
const DEADLINE_MS = 30_000;
/** Default health settings: 3 failed checks of 1 s timeout, 1 s apart, plus the phase of the first. */
const DETECTION_BOUND_MS = 6000;
/** server_id of node 1, the replica frozen here. */
const FROZEN_SERVER_ID = 2;

test.before(async () => {
  thawNode(1);
  gw = await startGateway({
    clusters: {
      default: {
        ...sandboxClusterConfig(),
        defaultReadPreference: 'REPLICA_PREFERRED',
        pool: { min: 2, max: 8, acquireTimeoutMs: 20_000 },
      },
    },
  });
  await allHealthy(gw);
});

test.after.always(async () => {
  thawNode(1);
  if (!gw) return;
  await gw.assertNoLeaks();
  await gw.stop();
});

interface ReadOutcome {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly serverId?: number;
  readonly error?: string;
}

async function timedRead(): Promise<ReadOutcome> {
  const startedAt = Date.now();
  try {
    const out = await query(
      gw.client,
      { sql: 'SELECT @@server_id, SLEEP(0.01)' },
      { deadlineMs: DEADLINE_MS },
    );
    const cell = (out.rows[0] ?? [])[0] as { int64_value?: string; uint64_value?: string };
    return { startedAt, endedAt: Date.now(), serverId: Number(cell.int64_value ?? cell.uint64_value) };
  } catch (err) {
    const e = errorDetails(err);
    return { startedAt, endedAt: Date.now(), error: `${e.code} ${e.reason}: ${e.details}` };
  }
}

test.serial(
  'a replica freezes under read load: no read waits past detection, reads fail over, it comes back',
  async (t) => {
    const { cluster, monitor } = defaultCluster(gw);
    const frozen = cluster.replicas[0]!;
    const outcomes: ReadOutcome[] = [];
    let running = true;
    const readers = Array.from({ length: 6 }, async () => {
      while (running) outcomes.push(await timedRead());
    });
    t.teardown(() => {
      running = false;
    });
    await waitFor(() => outcomes.filter((o) => o.serverId === FROZEN_SERVER_ID).length >= 10, {
      message: '10 reads served by the replica about to freeze',
    });
    const frozenAt = Date.now();
    const thaw = freezeNode(1);
    t.teardown(thaw);

    await monitor.waitFor(frozen.name, 'down', 20_000);
    const detectedAt = Date.now();
    const detectionMs = detectedAt - frozenAt;
    t.log(`replica down ${detectionMs} ms after the freeze (${monitor.health(frozen.name).lastError})`);
    t.true(detectionMs < DETECTION_BOUND_MS, `detected after ${detectionMs} ms`);

    // Keep reading a while after detection: everything goes to the other backends.
    const afterDetection = () => outcomes.filter((o) => o.startedAt > detectedAt).length;
    await waitFor(() => afterDetection() >= 30, { message: '30 reads after detection' });
    running = false;
    await Promise.all(readers);

    const errors = outcomes.map((o) => o.error).filter((e) => e !== undefined);
    t.deepEqual(errors, [], 'no read failed');
    const slowest = Math.max(...outcomes.map((o) => o.endedAt - o.startedAt));
    t.log(`${outcomes.length} reads, slowest ${slowest} ms`);
    t.true(slowest < detectionMs + 1000, `slowest read ${slowest} ms, detection ${detectionMs} ms`);
    const lateFrozen = outcomes.filter((o) => o.startedAt > detectedAt && o.serverId === FROZEN_SERVER_ID);
    t.is(lateFrozen.length, 0, 'no read after detection was served by the frozen replica');
    const inFlightAtDetection = outcomes.filter((o) => o.startedAt < detectedAt && o.endedAt >= detectedAt);
    t.log(`${inFlightAtDetection.length} reads were waiting on the frozen replica when it was marked down`);
    t.true(
      inFlightAtDetection.length > 0,
      'some reads were caught by the freeze (else the test proves nothing)',
    );

    // Thawed: it serves reads again without a restart.
    thaw();
    await monitor.waitFor(frozen.name, 'healthy', 20_000);
    await waitFor(async () => (await servedBy(gw.client)) === FROZEN_SERVER_ID, {
      timeoutMs: 10_000,
      message: 'the thawed replica serves reads again',
    });
    await gw.assertNoLeaks();
  },
);
