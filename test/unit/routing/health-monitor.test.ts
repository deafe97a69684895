/** Start-up states and the healthy <-> down transitions driven by checks. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { HealthMonitor, NOT_CHECKED_YET } from '../../../src/routing/health-monitor.js';
import { FakeProbe, flush, PRIMARY_OK, replicaOk, setup, TEST_SETTINGS } from './helpers/setup.js';

test('before start: the primary is healthy, a replica is down with "not checked yet"', (t) => {
  const { monitor, probes } = setup(t);
  t.like(monitor.health('primary'), { state: 'healthy', lastError: undefined, lastCheckAt: undefined });
  t.like(monitor.health('replica'), { state: 'down', lastError: NOT_CHECKED_YET, lagMs: undefined });
  t.is(probes.primary.calls.length, 0);
  t.is(monitor.state, 'created');
});

test('start() checks every backend at once; a replica comes up on its first good check', async (t) => {
  const { monitor, probes, clock, changes } = setup(t);
  monitor.start();
  await flush();
  t.is(probes.primary.calls.length, 1);
  t.is(probes.replica.calls.length, 1);
  t.deepEqual(monitor.health('primary'), {
    state: 'healthy',
    lagMs: undefined,
    replicationRunning: undefined,
    readOnly: false,
    pingMs: 2,
    lastError: undefined,
    lastCheckAt: clock.now(),
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
  });
  t.like(monitor.health('replica'), {
    state: 'healthy',
    lagMs: 0,
    replicationRunning: true,
    readOnly: true,
    pingMs: 3,
    lastError: undefined,
  });
  t.deepEqual(changes, [{ name: 'replica', prev: 'down', next: 'healthy' }]);
});

test('checks repeat every intervalMs and tell the probe what to check', async (t) => {
  const { monitor, probes, clock } = setup(t, { settings: { queries: ['SELECT 1', 'DO 2'] } });
  monitor.start();
  await flush();
  await clock.advance(999);
  t.is(probes.primary.calls.length, 1);
  await clock.advance(1);
  t.is(probes.primary.calls.length, 2);
  await clock.advance(3000);
  t.is(probes.primary.calls.length, 5);
  const [primaryCall] = probes.primary.calls;
  const [replicaCall] = probes.replica.calls;
  t.is(primaryCall?.timeoutMs, 500);
  t.like(primaryCall?.options, { replication: false, queries: ['SELECT 1', 'DO 2'] });
  t.like(replicaCall?.options, { replication: true, queries: ['SELECT 1', 'DO 2'] });
  t.true(primaryCall?.options?.signal instanceof AbortSignal);
});

test('healthy -> down after failuresToDown consecutive failed checks, not before', async (t) => {
  const { monitor, probes, clock, changes } = setup(t);
  probes.primary.outcome = new Error('connect ECONNREFUSED');
  monitor.start();
  await flush();
  t.like(monitor.health('primary'), {
    state: 'healthy',
    consecutiveFailures: 1,
    lastError: 'connect ECONNREFUSED',
  });
  await clock.advance(1000);
  t.like(monitor.health('primary'), { state: 'healthy', consecutiveFailures: 2 });
  await clock.advance(1000);
  t.like(monitor.health('primary'), {
    state: 'down',
    consecutiveFailures: 3,
    consecutiveSuccesses: 0,
    readOnly: undefined,
    pingMs: undefined,
    lastCheckAt: clock.now(),
  });
  t.deepEqual(
    changes.filter((c) => c.name === 'primary'),
    [{ name: 'primary', prev: 'healthy', next: 'down' }],
  );
});

test('a good check between failures resets the count', async (t) => {
  const { monitor, probes, clock } = setup(t);
  const fail = new Error('lost');
  probes.primary.outcomes.push(fail, fail, PRIMARY_OK, fail, fail);
  monitor.start();
  await flush();
  await clock.advance(4000);
  t.is(probes.primary.calls.length, 5);
  t.like(monitor.health('primary'), { state: 'healthy', consecutiveFailures: 2 });
});

test('down -> healthy after successesToUp consecutive good checks', async (t) => {
  const { monitor, probes, clock, changes } = setup(t);
  monitor.start();
  await flush();
  probes.primary.outcome = new Error('lost');
  await clock.advance(3000);
  t.is(monitor.health('primary').state, 'down');
  probes.primary.outcome = PRIMARY_OK;
  await clock.advance(1000);
  t.like(monitor.health('primary'), {
    state: 'down',
    consecutiveSuccesses: 1,
    lastError: undefined,
    readOnly: false,
  });
  await clock.advance(1000);
  t.like(monitor.health('primary'), { state: 'healthy', consecutiveSuccesses: 2 });
  t.deepEqual(
    changes.filter((c) => c.name === 'primary').map((c) => c.next),
    ['down', 'healthy'],
  );
});

test('a replica that was up once needs successesToUp good checks after going down', async (t) => {
  const { monitor, probes, clock } = setup(t, { settings: { successesToUp: 3 } });
  monitor.start();
  await flush();
  t.is(monitor.health('replica').state, 'healthy');
  probes.replica.outcome = new Error('lost');
  await clock.advance(3000);
  t.is(monitor.health('replica').state, 'down');
  probes.replica.outcome = replicaOk(0);
  await clock.advance(2000);
  t.like(monitor.health('replica'), { state: 'down', consecutiveSuccesses: 2 });
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'healthy');
});

test('a replica whose first checks fail stays down, then comes up on its first good one', async (t) => {
  const { monitor, probes, clock, changes } = setup(t);
  probes.replica.outcome = new Error('connect ECONNREFUSED');
  monitor.start();
  await flush();
  await clock.advance(5000);
  t.like(monitor.health('replica'), {
    state: 'down',
    consecutiveFailures: 6,
    lastError: 'connect ECONNREFUSED',
  });
  probes.replica.outcome = replicaOk(0);
  await clock.advance(1000);
  t.is(monitor.health('replica').state, 'healthy');
  t.deepEqual(changes, [{ name: 'replica', prev: 'down', next: 'healthy' }]);
});

test('lastError of a server error carries codes, never the server message', async (t) => {
  const { monitor, probes } = setup(t);
  probes.primary.outcome = GatewayError.from(
    Object.assign(new Error("Access denied for user 'gateway'@'x' (using password: YES)"), {
      errno: 1045,
      sqlState: '28000',
    }),
  );
  await monitor.checkNow('primary');
  t.is(monitor.health('primary').lastError, 'ACCESS_DENIED (errno 1045, SQLSTATE 28000)');
});

test('snapshots are frozen and all() lists every backend in order', async (t) => {
  const { monitor } = setup(t);
  const h = await monitor.checkNow('primary');
  t.true(Object.isFrozen(h));
  t.deepEqual([...monitor.all().keys()], ['primary', 'replica']);
});

test('unknown backend names are NOT_FOUND', (t) => {
  const { monitor } = setup(t);
  const err = t.throws(() => monitor.health('nope'), { instanceOf: GatewayError });
  t.is(err?.code, Code.NOT_FOUND);
  t.throws(() => monitor.reportConnectionError('nope', new Error('x')), { instanceOf: GatewayError });
});

test('start() twice throws; start() after close throws', async (t) => {
  const { monitor } = setup(t);
  monitor.start();
  t.is(monitor.state, 'running');
  t.throws(() => monitor.start(), { instanceOf: GatewayError, message: /running/ });
  await monitor.close();
  t.throws(() => monitor.start(), { instanceOf: GatewayError, message: /closed/ });
});

test('a throwing onChange listener does not stop health checking', async (t) => {
  const { monitor, probes, clock } = setup(t, {
    onChange: () => {
      throw new Error('listener bug');
    },
  });
  monitor.start();
  await flush();
  t.is(monitor.health('replica').state, 'healthy');
  probes.replica.outcome = new Error('lost');
  await clock.advance(3000);
  t.is(monitor.health('replica').state, 'down');
});

test('invalid settings and duplicate backends are refused', (t) => {
  const probe = () => new FakeProbe(PRIMARY_OK);
  const base = { probe, maxReplicaLagMs: 0 };
  t.throws(
    () => new HealthMonitor({ ...base, backends: [], settings: { ...TEST_SETTINGS, failuresToDown: 0 } }),
    { message: /failuresToDown/ },
  );
  t.throws(() => new HealthMonitor({ ...base, backends: [], settings: TEST_SETTINGS, maxReplicaLagMs: -1 }), {
    message: /maxReplicaLagMs/,
  });
  t.throws(
    () =>
      new HealthMonitor({
        ...base,
        settings: TEST_SETTINGS,
        backends: [
          { name: 'a', role: 'primary' },
          { name: 'a', role: 'replica' },
        ],
      }),
    { message: /listed twice/ },
  );
});
