import test from 'ava';
import { Code } from '../../../src/errors.js';
import { acquireSoon, assertGatewayError, eventsOf, flush, setup, track } from './helpers/setup.js';

test('a caller arriving when the queue is full gets RESOURCE_EXHAUSTED at once', async (t) => {
  const { pool, events } = setup(t, { max: 1, maxWaiting: 2 });
  const holder = await pool.acquire();
  const b = track(pool.acquire());
  const c = track(pool.acquire());
  const error = await t.throwsAsync(pool.acquire());
  const gatewayError = assertGatewayError(t, error, Code.RESOURCE_EXHAUSTED, 'POOL_EXHAUSTED');
  t.regex(gatewayError.message, /test-pool/);
  t.deepEqual(eventsOf(events, 'rejected'), [{ type: 'rejected', reason: 'queueFull' }]);
  t.is(pool.stats().waiting, 2);
  t.is(b.state, 'pending');
  t.is(c.state, 'pending');
  holder.release();
  await flush();
  t.is(b.state, 'fulfilled');
});

test('once a waiter leaves, the queue accepts a caller again', async (t) => {
  const { pool } = setup(t, { max: 1, maxWaiting: 1 });
  const holder = await pool.acquire();
  const controller = new AbortController();
  const b = track(pool.acquire({ signal: controller.signal }));
  assertGatewayError(t, await t.throwsAsync(pool.acquire()), Code.RESOURCE_EXHAUSTED, 'POOL_EXHAUSTED');
  controller.abort();
  await flush();
  t.is(b.state, 'rejected');
  const c = await acquireSoon(pool.acquire());
  t.is(c.state, 'pending');
  holder.release();
  await flush();
  t.is(c.state, 'fulfilled');
});

test('maxWaiting 0: at max every caller fails at once; below max nobody does', async (t) => {
  const { pool, hooks } = setup(t, { max: 2, maxWaiting: 0 });
  hooks.holdCreates = true;
  // Callers waiting only for a resource being created for them do not count as queued.
  const a = await acquireSoon(pool.acquire());
  const b = await acquireSoon(pool.acquire());
  t.is(a.state, 'pending');
  t.is(b.state, 'pending');
  assertGatewayError(t, await t.throwsAsync(pool.acquire()), Code.RESOURCE_EXHAUSTED, 'POOL_EXHAUSTED');
  hooks.heldCreates[0]!.resolve();
  hooks.heldCreates[1]!.resolve();
  await flush();
  a.value?.release();
  // An idle resource is available again: no rejection.
  const c = await pool.acquire();
  t.is(c.resource, a.value!.resource);
});

test('maxWaiting 0 at max: a caller still gets an idle resource that needs validating first', async (t) => {
  const { pool, clock, hooks } = setup(t, { max: 1, maxWaiting: 0, validationIntervalMs: 100 });
  (await pool.acquire()).release();
  await clock.advance(200);
  const lease = await pool.acquire();
  t.is(hooks.validateCalls, 1);
  t.is(lease.resource, hooks.created[0]!);
});
