import test from 'ava';
import { Code } from '../../../src/errors.js';
import { acquireSoon, assertGatewayError, deferred, eventsOf, flush, setup, track } from './helpers/setup.js';

test('close() fails waiters and waits for leased resources to come back', async (t) => {
  const { pool, hooks, events } = setup(t, { max: 2 });
  const [first, second] = await Promise.all([pool.acquire(), pool.acquire()]);
  const waiter = await acquireSoon(pool.acquire());
  t.is(waiter.state, 'pending');

  const closing = track(pool.close());
  t.is(pool.state, 'closing');
  await flush();
  assertGatewayError(t, waiter.error, Code.UNAVAILABLE, 'POOL_CLOSED');
  t.is(closing.state, 'pending');

  first.release({ reset: true }); // no reset while closing: destroyed
  await flush();
  t.deepEqual(hooks.destroyed, [first.resource]);
  t.is(hooks.resetCalls, 0);
  t.is(closing.state, 'pending');
  second.release();
  await flush();
  t.deepEqual(hooks.destroyed, [first.resource, second.resource]);
  t.is(closing.state, 'fulfilled');
  t.is(pool.state, 'closed');
  t.true(eventsOf(events, 'destroyed').every((event) => event.reason === 'closed'));
  t.like(pool.stats(), { total: 0, idle: 0, used: 0, waiting: 0, pending: 0 });
});

test('close() destroys idle resources at once', async (t) => {
  const { pool, hooks } = setup(t, { min: 2, max: 2 });
  pool.start();
  await flush();
  t.is(pool.stats().idle, 2);
  const closing = pool.close();
  t.is(hooks.destroyed.length, 2);
  await closing;
  t.is(pool.state, 'closed');
});

test('acquire after close fails with UNAVAILABLE POOL_CLOSED', async (t) => {
  const { pool, events } = setup(t);
  void pool.close();
  assertGatewayError(t, await t.throwsAsync(pool.acquire()), Code.UNAVAILABLE, 'POOL_CLOSED');
  t.deepEqual(eventsOf(events, 'rejected'), [{ type: 'rejected', reason: 'closed' }]);
});

test('close() is idempotent: every call returns the same promise', async (t) => {
  const { pool } = setup(t);
  const first = pool.close();
  t.is(pool.close(), first);
  await first;
  t.is(pool.close(), first);
});

test('close() clears every timer', async (t) => {
  const { pool, clock } = setup(t, { max: 1 });
  pool.start();
  const holder = await pool.acquire();
  void pool.acquire().catch(() => {});
  t.is(clock.pendingTimers, 2); // sweeper + waiter timeout
  const closing = pool.close();
  t.is(clock.pendingTimers, 0);
  holder.destroy();
  await closing;
});

test('close() aborts creates in flight and waits for them; late resources are destroyed', async (t) => {
  const { pool, hooks, events } = setup(t, { max: 2 });
  hooks.holdCreates = true;
  void pool.acquire().catch(() => {});
  void pool.acquire().catch(() => {});
  await flush();
  const closing = track(pool.close());
  t.true(hooks.heldCreates.every((held) => held.signal.aborted));
  const late = hooks.heldCreates[0]!.resolve();
  await flush();
  t.deepEqual(hooks.destroyed, [late]);
  t.is(closing.state, 'pending');
  hooks.heldCreates[1]!.reject(new Error('aborted'));
  await flush();
  t.is(closing.state, 'fulfilled');
  // A create aborted by close is not an error worth reporting.
  t.is(pool.stats().errors, 0);
  t.deepEqual(eventsOf(events, 'createFailed'), []);
});

test('close() waits for destroy hooks to finish', async (t) => {
  const { pool, hooks } = setup(t);
  (await pool.acquire()).release();
  const gate = deferred<void>();
  hooks.destroyImpl = () => gate.promise;
  const closing = track(pool.close());
  await flush();
  t.is(hooks.destroyed.length, 1);
  t.is(closing.state, 'pending');
  gate.resolve();
  await flush();
  t.is(closing.state, 'fulfilled');
});

test('close() waits for validations and resets in flight, then destroys those resources', async (t) => {
  const { pool, hooks, clock } = setup(t, { max: 2, validationIntervalMs: 10 });
  const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
  a.release();
  await clock.advance(20);
  const validation = deferred<boolean>();
  const reset = deferred<void>();
  hooks.validateImpl = () => validation.promise;
  hooks.resetImpl = () => reset.promise;
  const waiter = track(pool.acquire());
  await flush();
  b.release({ reset: true });
  await flush();
  t.is(hooks.validateCalls, 1);
  t.is(hooks.resetCalls, 1);

  const closing = track(pool.close());
  await flush();
  t.is(waiter.state, 'rejected');
  t.is(closing.state, 'pending');
  validation.resolve(true);
  reset.resolve();
  await flush();
  t.is(closing.state, 'fulfilled');
  t.deepEqual(new Set(hooks.destroyed), new Set([a.resource, b.resource]));
});

test('a lease destroyed while closing also completes the close', async (t) => {
  const { pool, hooks } = setup(t);
  const lease = await pool.acquire();
  const closing = track(pool.close());
  lease.destroy(new Error('gone'));
  await flush();
  t.is(closing.state, 'fulfilled');
  t.is(hooks.created[0]?.destroyCount, 1);
});
