/** waitFor: event-driven, with a deadline. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { flush, setup } from './helpers/setup.js';

test('resolves at once when the backend already is in the state', async (t) => {
  const { monitor } = setup(t);
  await t.notThrowsAsync(monitor.waitFor('primary', 'healthy', 0));
  t.is(monitor.health('primary').state, 'healthy');
});

test('resolves on the state change, without polling', async (t) => {
  const { monitor, clock, probes } = setup(t);
  let resolved = false;
  const waiting = monitor.waitFor('replica', 'healthy', 10_000).then(() => {
    resolved = true;
  });
  await flush();
  t.false(resolved);
  monitor.start();
  await waiting;
  t.true(resolved);
  t.is(clock.now(), 1_000_000, 'no time had to pass');
  t.is(probes.replica.calls.length, 1);
});

test('resolves on a later transition, e.g. down', async (t) => {
  const { monitor, clock, probes } = setup(t);
  monitor.start();
  await flush();
  probes.replica.outcome = new Error('lost');
  const down = monitor.waitFor('replica', 'down', 5000);
  await clock.advance(3000);
  await down;
  t.is(monitor.health('replica').state, 'down');
});

test('rejects with DEADLINE_EXCEEDED after timeoutMs, naming the current state', async (t) => {
  const { monitor, clock, probes } = setup(t);
  probes.replica.outcome = new Error('connect ECONNREFUSED');
  monitor.start();
  const waiting = monitor.waitFor('replica', 'healthy', 2500);
  const outcome = t.throwsAsync(waiting, { instanceOf: GatewayError });
  await clock.advance(2499);
  await clock.advance(1);
  const err = await outcome;
  t.is(err?.code, Code.DEADLINE_EXCEEDED);
  t.is(
    err?.message,
    'backend "replica" did not become healthy within 2500 ms (it is down: connect ECONNREFUSED)',
  );
});

test('pending waiters are rejected when the monitor closes, and their timers cleared', async (t) => {
  const { monitor, clock } = setup(t);
  const waiting = monitor.waitFor('primary', 'down', 60_000);
  t.is(clock.pendingTimers, 1);
  await monitor.close();
  const err = await t.throwsAsync(waiting, { instanceOf: GatewayError });
  t.is(err?.code, Code.FAILED_PRECONDITION);
  t.is(clock.pendingTimers, 0);
});

test('waitFor after close rejects unless the state is already reached', async (t) => {
  const { monitor } = setup(t);
  await monitor.close();
  await monitor.waitFor('primary', 'healthy', 100);
  await t.throwsAsync(monitor.waitFor('primary', 'down', 100), { message: /closed/ });
});
