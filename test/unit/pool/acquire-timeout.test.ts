import test from 'ava';
import { Code } from '../../../src/errors.js';
import { acquireSoon, assertGatewayError, eventsOf, flush, setup } from './helpers/setup.js';

test('a waiter not served within acquireTimeoutMs fails with RESOURCE_EXHAUSTED ACQUIRE_TIMEOUT', async (t) => {
  const { pool, clock, events } = setup(t, { max: 1, acquireTimeoutMs: 1000 });
  const holder = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire());
  await clock.advance(999);
  t.is(waiter.state, 'pending');
  await clock.advance(1);
  t.is(waiter.state, 'rejected');
  const error = assertGatewayError(t, waiter.error, Code.RESOURCE_EXHAUSTED, 'ACQUIRE_TIMEOUT');
  t.regex(error.message, /"test-pool"/);
  t.regex(error.message, /1000 ms/);
  t.like(pool.stats(), { waiting: 0, acquireTimeouts: 1 });
  t.deepEqual(eventsOf(events, 'acquireTimeout'), [{ type: 'acquireTimeout', waitMs: 1000 }]);

  // The resource released later goes idle, not to the waiter that gave up.
  holder.release();
  await flush();
  t.like(pool.stats(), { idle: 1, used: 0 });
});

test('a served waiter leaves no timer behind', async (t) => {
  const { pool, clock } = setup(t, { max: 1 });
  const holder = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire());
  t.is(clock.pendingTimers, 1);
  holder.release();
  await flush();
  t.is(waiter.state, 'fulfilled');
  t.is(clock.pendingTimers, 0);
  await clock.advance(5000);
  t.is(pool.stats().acquireTimeouts, 0);
});

test('the timeout also bounds a wait for a slow create', async (t) => {
  const { pool, clock, hooks } = setup(t, { acquireTimeoutMs: 500 });
  hooks.holdCreates = true;
  const waiter = await acquireSoon(pool.acquire());
  await clock.advance(500);
  assertGatewayError(t, waiter.error, Code.RESOURCE_EXHAUSTED, 'ACQUIRE_TIMEOUT');
  t.is(pool.stats().pending, 1);
});
