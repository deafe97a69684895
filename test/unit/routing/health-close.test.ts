/** close(): every timer cleared, probes closed, late results ignored; idempotent. */
import test from 'ava';
import { GatewayError } from '../../../src/errors.js';
import { HealthMonitor } from '../../../src/routing/health-monitor.js';
import { FakeProbe, flush, PRIMARY_OK, setup, TEST_SETTINGS } from './helpers/setup.js';

test('close clears every timer and closes every probe', async (t) => {
  const { monitor, clock, probes } = setup(t);
  monitor.start();
  await flush();
  t.is(clock.pendingTimers, 2);
  await monitor.close();
  t.is(clock.pendingTimers, 0);
  t.is(monitor.state, 'closed');
  t.is(probes.primary.closeCalls, 1);
  t.is(probes.replica.closeCalls, 1);
  await clock.advance(10_000);
  t.is(probes.primary.calls.length, 1, 'no check after close');
});

test('close clears the timeout of a check in flight and aborts it', async (t) => {
  const { monitor, clock, probes } = setup(t, { primary: 'hold', replica: 'hold' });
  monitor.start();
  await flush();
  t.is(clock.pendingTimers, 2, 'two check timeouts');
  const signal = probes.primary.calls[0]?.options?.signal;
  await monitor.close();
  t.is(clock.pendingTimers, 0);
  t.true(signal?.aborted);
});

test('close is idempotent', async (t) => {
  const { monitor, probes } = setup(t);
  const a = monitor.close();
  const b = monitor.close();
  t.is(a, b);
  await a;
  await monitor.close();
  t.is(probes.primary.closeCalls, 1);
});

test('a check that settles after close changes nothing', async (t) => {
  const { monitor, probes, changes } = setup(t, { replica: 'hold' });
  monitor.start();
  await flush();
  await monitor.close();
  probes.replica.held[0]!.resolve(PRIMARY_OK);
  await flush();
  t.is(monitor.health('replica').state, 'down');
  t.deepEqual(changes, []);
});

test('checkNow after close rejects', async (t) => {
  const { monitor } = setup(t);
  await monitor.close();
  await t.throwsAsync(monitor.checkNow('primary'), { instanceOf: GatewayError, message: /closed/ });
});

test('when construction fails halfway, the probes already made are closed', (t) => {
  const made: FakeProbe[] = [];
  t.throws(
    () =>
      new HealthMonitor({
        backends: [
          { name: 'a', role: 'primary' },
          { name: 'b', role: 'replica' },
          { name: 'c', role: 'replica' },
        ],
        probe: (name) => {
          if (name === 'c') throw new Error('no probe for c');
          const p = new FakeProbe(PRIMARY_OK);
          made.push(p);
          return p;
        },
        settings: TEST_SETTINGS,
        maxReplicaLagMs: 0,
      }),
    { message: 'no probe for c' },
  );
  t.deepEqual(
    made.map((p) => p.closeCalls),
    [1, 1],
  );
});
