/**
 * A hung backend (checks that never answer) goes down after failuresToDown timed-out checks, at
 * a time bounded by the settings, and `downSince` says when: kept while it stays down (traffic
 * errors or more failed checks do not move it), gone once it is back.
 */
import test from 'ava';
import { PRIMARY_OK, setup } from './helpers/setup.js';

test('checks that never settle: down (failuresToDown - 1) * intervalMs after the first, downSince set once', async (t) => {
  const { monitor, probes, clock } = setup(t);
  const start = clock.now();
  probes.primary.outcome = 'hold';
  monitor.start();
  // The check at 0 times out at 500 ms (TEST_SETTINGS); the probe never settles it, so the
  // checks due at 1000 and 2000 ms fail at once without touching it.
  await clock.advance(1999);
  t.is(monitor.health('primary').state, 'healthy');
  t.is(monitor.health('primary').downSince, undefined);
  await clock.advance(1);
  t.like(monitor.health('primary'), {
    state: 'down',
    consecutiveFailures: 3,
    downSince: start + 2000,
    lastError: 'previous health check still running',
  });
  t.is(probes.primary.calls.length, 1, 'one check on the hung probe, never two at a time');
  await clock.advance(3000);
  monitor.reportConnectionError('primary', Object.assign(new Error('lost'), { code: 'ECONNRESET' }));
  t.like(monitor.health('primary'), { state: 'down', downSince: start + 2000 }, 'kept while down');

  for (const held of probes.primary.held) held.reject(new Error('abandoned'));
  probes.primary.outcome = PRIMARY_OK;
  await clock.advance(2000);
  t.is(monitor.health('primary').state, 'healthy');
  t.false('downSince' in monitor.health('primary'), 'gone once back up');
});

test('traffic errors taking a backend down set downSince too', async (t) => {
  const { monitor, clock } = setup(t);
  monitor.start();
  await clock.advance(10);
  const err = Object.assign(new Error('lost'), { code: 'ECONNRESET' });
  for (let i = 0; i < 3; i++) monitor.reportConnectionError('primary', err);
  t.like(monitor.health('primary'), { state: 'down', downSince: clock.now() });
});
