import { getEventListeners } from 'node:events';
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { acquireSoon, assertGatewayError, eventsOf, flush, setup } from './helpers/setup.js';

test('a call deadline earlier than acquireTimeoutMs fails with DEADLINE_EXCEEDED at the deadline', async (t) => {
  const { pool, clock, events } = setup(t, { max: 1, acquireTimeoutMs: 1000 });
  const holder = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire({ deadline: clock.now() + 300 }));
  await clock.advance(299);
  t.is(waiter.state, 'pending');
  await clock.advance(1);
  const error = assertGatewayError(t, waiter.error, Code.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED');
  t.regex(error.message, /test-pool/);
  t.like(pool.stats(), { waiting: 0, acquireTimeouts: 0 });
  t.deepEqual(eventsOf(events, 'rejected'), [{ type: 'rejected', reason: 'deadline' }]);
  holder.release();
});

test('a call deadline later than acquireTimeoutMs: the pool timeout wins', async (t) => {
  const { pool, clock } = setup(t, { max: 1, acquireTimeoutMs: 1000 });
  const holder = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire({ deadline: clock.now() + 5000 }));
  await clock.advance(1000);
  assertGatewayError(t, waiter.error, Code.RESOURCE_EXHAUSTED, 'ACQUIRE_TIMEOUT');
  holder.release();
});

test('a deadline already past fails at once, even with an idle resource', async (t) => {
  const { pool, clock, hooks } = setup(t);
  (await pool.acquire()).release();
  for (const deadline of [clock.now(), clock.now() - 1]) {
    assertGatewayError(
      t,
      await t.throwsAsync(pool.acquire({ deadline })),
      Code.DEADLINE_EXCEEDED,
      'DEADLINE_EXCEEDED',
    );
  }
  t.like(pool.stats(), { idle: 1, waiting: 0 });
  t.is(hooks.createCalls, 1);
});

test('aborting the signal removes the waiter and fails it with CANCELLED', async (t) => {
  const { pool, events } = setup(t, { max: 1 });
  const holder = await pool.acquire();
  const controller = new AbortController();
  const waiter = await acquireSoon(pool.acquire({ signal: controller.signal }));
  t.is(pool.stats().waiting, 1);
  const reason = new Error('client went away');
  controller.abort(reason);
  await flush();
  const error = assertGatewayError(t, waiter.error, Code.CANCELLED, 'CANCELLED');
  t.is(error.cause, reason);
  t.is(pool.stats().waiting, 0);
  t.deepEqual(eventsOf(events, 'rejected'), [{ type: 'rejected', reason: 'aborted' }]);
  holder.release();
  await flush();
  t.is(pool.stats().idle, 1);
});

test('an already aborted signal fails at once', async (t) => {
  const { pool, hooks } = setup(t);
  assertGatewayError(
    t,
    await t.throwsAsync(pool.acquire({ signal: AbortSignal.abort() })),
    Code.CANCELLED,
    'CANCELLED',
  );
  t.is(hooks.createCalls, 0);
});

test('the abort listener is removed once the waiter is served, times out or leaves', async (t) => {
  const { pool, clock } = setup(t, { max: 1 });
  const holder = await pool.acquire();
  const served = new AbortController();
  const timedOut = new AbortController();
  const servedWaiter = await acquireSoon(pool.acquire({ signal: served.signal }));
  const timedOutWaiter = await acquireSoon(
    pool.acquire({ signal: timedOut.signal, deadline: clock.now() + 10 }),
  );
  t.is(getEventListeners(served.signal, 'abort').length, 1);
  await clock.advance(10);
  t.is(timedOutWaiter.state, 'rejected');
  t.is(getEventListeners(timedOut.signal, 'abort').length, 0);
  holder.release();
  await flush();
  t.is(servedWaiter.state, 'fulfilled');
  t.is(getEventListeners(served.signal, 'abort').length, 0);
  // Aborting after the lease was handed out changes nothing.
  served.abort();
  t.like(pool.stats(), { used: 1, waiting: 0 });
});

test('a resource created for a waiter that went away goes idle, not leaked', async (t) => {
  const { pool, hooks, clock } = setup(t);
  hooks.holdCreates = true;
  const controller = new AbortController();
  const aborted = await acquireSoon(pool.acquire({ signal: controller.signal }));
  const expired = await acquireSoon(pool.acquire({ deadline: clock.now() + 50 }));
  t.is(hooks.heldCreates.length, 2);
  controller.abort();
  await clock.advance(50);
  t.is(aborted.state, 'rejected');
  t.is(expired.state, 'rejected');
  hooks.heldCreates[0]!.resolve();
  hooks.heldCreates[1]!.resolve();
  await flush();
  t.like(pool.stats(), { total: 2, idle: 2, used: 0, pending: 0 });
  hooks.holdCreates = false;
  const lease = await pool.acquire();
  t.is(hooks.createCalls, 2);
  lease.release();
});
