/** When checks run: never two at a time per backend, bounded by timeoutMs, checkNow on demand. */
import test from 'ava';
import { flush, PRIMARY_OK, replicaOk, setup } from './helpers/setup.js';

test('a slow check delays the next one: never two checks of one backend at a time', async (t) => {
  const { monitor, clock, probes } = setup(t, {
    settings: { intervalMs: 100, timeoutMs: 1000 },
    primary: 'hold',
  });
  monitor.start();
  await flush();
  await clock.advance(900);
  t.is(probes.primary.calls.length, 1, 'no new check while the first one runs');
  probes.primary.outcome = PRIMARY_OK;
  probes.primary.held[0]!.resolve(PRIMARY_OK);
  await flush();
  // Its interval has long passed, so the next check follows at once, then every 100 ms.
  await clock.advance(0);
  t.is(probes.primary.calls.length, 2);
  await clock.advance(300);
  t.is(probes.primary.calls.length, 5);
  t.is(probes.primary.maxInFlight, 1);
  t.is(probes.replica.calls.length, 13, 'the other backend is not held up');
});

test('a check slower than timeoutMs fails, and its signal is aborted', async (t) => {
  const { monitor, clock, probes } = setup(t, { primary: 'hold' });
  monitor.start();
  await flush();
  const signal = probes.primary.calls[0]?.options?.signal;
  await clock.advance(499);
  t.like(monitor.health('primary'), { consecutiveFailures: 0, lastCheckAt: undefined });
  t.false(signal?.aborted);
  await clock.advance(1);
  t.like(monitor.health('primary'), {
    state: 'healthy',
    consecutiveFailures: 1,
    lastError: 'health check timed out after 500 ms',
  });
  t.true(signal?.aborted);
});

test('timeouts count as failures: a hanging backend goes down after failuresToDown checks', async (t) => {
  const { monitor, clock, probes } = setup(t, { primary: 'hold' });
  monitor.start();
  await flush();
  // Well-behaved probes settle once aborted.
  const settleHeld = () => {
    for (const h of probes.primary.held.splice(0)) h.reject(new Error('aborted'));
  };
  await clock.advance(500);
  settleHeld();
  await clock.advance(1000);
  settleHeld();
  t.like(monitor.health('primary'), { state: 'healthy', consecutiveFailures: 2 });
  await clock.advance(1000);
  t.like(monitor.health('primary'), { state: 'down', consecutiveFailures: 3 });
  t.regex(monitor.health('primary').lastError ?? '', /timed out/);
  t.is(probes.primary.calls.length, 3);
});

test('a probe that ignores its timeout and never settles is not called again, yet the backend goes down', async (t) => {
  const { monitor, clock, probes } = setup(t, { primary: 'hold' });
  monitor.start();
  await flush();
  await clock.advance(2000);
  t.like(monitor.health('primary'), {
    state: 'down',
    consecutiveFailures: 3,
    lastError: 'previous health check still running',
  });
  t.is(probes.primary.calls.length, 1);
  // Once it settles, checking resumes.
  probes.primary.outcome = PRIMARY_OK;
  probes.primary.held[0]!.resolve(PRIMARY_OK);
  await clock.advance(2000);
  t.is(probes.primary.calls.length, 3);
  t.is(monitor.health('primary').state, 'healthy');
});

test('checkNow runs a check at once and resolves with the new health', async (t) => {
  const { monitor, probes } = setup(t);
  const h = await monitor.checkNow('replica');
  t.is(probes.replica.calls.length, 1);
  t.like(h, { state: 'healthy', lagMs: 0 });
  t.is(monitor.health('replica'), h);
});

test('checkNow joins a check already running instead of starting another', async (t) => {
  const { monitor, probes } = setup(t, { replica: 'hold' });
  monitor.start();
  await flush();
  const a = monitor.checkNow('replica');
  const b = monitor.checkNow('replica');
  t.is(probes.replica.calls.length, 1);
  probes.replica.held[0]!.resolve(replicaOk(0));
  t.is(await a, await b);
  t.is((await a).state, 'healthy');
});

test('checkNow restarts the interval from its own check', async (t) => {
  const { monitor, probes, clock } = setup(t);
  monitor.start();
  await flush();
  await clock.advance(600);
  await monitor.checkNow('primary');
  t.is(probes.primary.calls.length, 2);
  await clock.advance(999);
  t.is(probes.primary.calls.length, 2);
  await clock.advance(1);
  t.is(probes.primary.calls.length, 3);
  t.is(clock.pendingTimers, 2, 'one next-check timer per backend');
});

test('checkNow before start() checks once and schedules nothing', async (t) => {
  const { monitor, probes, clock } = setup(t);
  await monitor.checkNow('primary');
  await clock.advance(5000);
  t.is(probes.primary.calls.length, 1);
  t.is(clock.pendingTimers, 0);
});

test('a probe that throws synchronously counts as a failed check', async (t) => {
  const { monitor, probes } = setup(t);
  probes.primary.check = () => {
    throw new Error('sync boom');
  };
  const h = await monitor.checkNow('primary');
  t.like(h, { consecutiveFailures: 1, lastError: 'sync boom' });
});
