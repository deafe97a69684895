/** Replicas that answer but must get no reads: too much lag, or replication not running. */
import test from 'ava';
import { flush, replicaOk, replicaStopped, setup } from './helpers/setup.js';

test('a replica lagging more than maxReplicaLagMs is lagging, with its lag', async (t) => {
  const { monitor } = setup(t, { replica: replicaOk(6), maxReplicaLagMs: 5000 });
  monitor.start();
  await flush();
  t.like(monitor.health('replica'), {
    state: 'lagging',
    lagMs: 6000,
    replicationRunning: true,
    readOnly: true,
  });
});

test('lag equal to maxReplicaLagMs is still healthy', async (t) => {
  const { monitor } = setup(t, { replica: replicaOk(5), maxReplicaLagMs: 5000 });
  monitor.start();
  await flush();
  t.like(monitor.health('replica'), { state: 'healthy', lagMs: 5000 });
});

for (const [label, io, sql] of [
  ['SQL thread stopped', true, false],
  ['IO thread stopped', false, true],
  ['both threads stopped', false, false],
] as const) {
  test(`${label}: lagging, lag unknown, replication not running`, async (t) => {
    const { monitor } = setup(t, { replica: replicaStopped(io, sql) });
    monitor.start();
    await flush();
    t.like(monitor.health('replica'), { state: 'lagging', lagMs: undefined, replicationRunning: false });
  });
}

test('threads running but Seconds_Behind_Master NULL: lag unknown, lagging', async (t) => {
  const { monitor } = setup(t, { replica: replicaOk(null) });
  monitor.start();
  await flush();
  t.like(monitor.health('replica'), { state: 'lagging', lagMs: undefined, replicationRunning: true });
});

test('no replication configured at all (empty SHOW REPLICA STATUS): lagging', async (t) => {
  const { monitor } = setup(t, { replica: { pingMs: 1, readOnly: true } });
  monitor.start();
  await flush();
  t.like(monitor.health('replica'), { state: 'lagging', replicationRunning: false, lagMs: undefined });
});

test('maxReplicaLagMs 0: lag is not checked, stopped replication still is', async (t) => {
  const { monitor, probes, clock } = setup(t, { replica: replicaOk(3600), maxReplicaLagMs: 0 });
  monitor.start();
  await flush();
  t.like(monitor.health('replica'), { state: 'healthy', lagMs: 3_600_000 });
  probes.replica.outcome = replicaStopped(true, false);
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'lagging');
});

test('one good check with acceptable lag leaves lagging (successesToUp does not apply)', async (t) => {
  const { monitor, probes, clock, changes } = setup(t, {
    replica: replicaOk(0),
    settings: { successesToUp: 5 },
  });
  monitor.start();
  await flush();
  probes.replica.outcome = replicaStopped(true, false);
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'lagging');
  probes.replica.outcome = replicaOk(9);
  await clock.advance(1000);
  t.like(monitor.health('replica'), { state: 'lagging', lagMs: 9000, replicationRunning: true });
  probes.replica.outcome = replicaOk(1);
  await clock.advance(1000);
  t.like(monitor.health('replica'), { state: 'healthy', lagMs: 1000 });
  t.deepEqual(
    changes.map((c) => c.next),
    ['healthy', 'lagging', 'healthy'],
  );
});

test('a lagging replica whose checks fail goes down after failuresToDown', async (t) => {
  const { monitor, probes, clock } = setup(t, { replica: replicaOk(60) });
  monitor.start();
  await flush();
  t.is(monitor.health('replica').state, 'lagging');
  probes.replica.outcome = new Error('lost');
  await clock.advance(2000);
  t.like(monitor.health('replica'), { state: 'lagging', consecutiveFailures: 2, lagMs: undefined });
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'down');
});

test('a replica coming back from down while still lagging goes to lagging', async (t) => {
  const { monitor, probes, clock } = setup(t);
  monitor.start();
  await flush();
  probes.replica.outcome = new Error('lost');
  await clock.advance(3000);
  t.is(monitor.health('replica').state, 'down');
  probes.replica.outcome = replicaOk(30);
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'down');
  await clock.advance(1000);
  t.like(monitor.health('replica'), { state: 'lagging', lagMs: 30_000 });
});

test('the primary is never lagging and reports no lag', async (t) => {
  const { monitor } = setup(t, { primary: replicaOk(100) });
  monitor.start();
  await flush();
  t.like(monitor.health('primary'), { state: 'healthy', lagMs: undefined, replicationRunning: undefined });
});
