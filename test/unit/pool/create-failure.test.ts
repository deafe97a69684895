import test from 'ava';
import { Code } from '../../../src/errors.js';
import { acquireSoon, assertGatewayError, eventsOf, flush, setup } from './helpers/setup.js';

test('when the only create fails, every waiter fails fast with UNAVAILABLE BACKEND_UNAVAILABLE', async (t) => {
  const { pool, hooks, events } = setup(t, { max: 1 });
  hooks.holdCreates = true;
  const waiters = [
    await acquireSoon(pool.acquire()),
    await acquireSoon(pool.acquire()),
    await acquireSoon(pool.acquire()),
  ];
  t.is(hooks.createCalls, 1);
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
  hooks.heldCreates[0]!.reject(cause);
  await flush();
  for (const waiter of waiters) {
    const error = assertGatewayError(t, waiter.error, Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE');
    t.is(error.cause, cause);
    t.regex(error.message, /test-pool/);
    t.regex(error.message, /ECONNREFUSED 127\.0\.0\.1:3306/);
  }
  t.like(pool.stats(), { waiting: 0, errors: 1, pending: 0, total: 0 });
  t.deepEqual(eventsOf(events, 'createFailed'), [{ type: 'createFailed', error: cause }]);
  t.is(eventsOf(events, 'rejected').filter((event) => event.reason === 'backendUnavailable').length, 3);
});

test('no failing fast while another resource exists that can serve the waiter', async (t) => {
  const { pool, hooks } = setup(t, { max: 2 });
  const holder = await pool.acquire();
  hooks.createFailures.push(new Error('refused'));
  const waiter = await acquireSoon(pool.acquire());
  t.is(hooks.createCalls, 2);
  t.is(waiter.state, 'pending');
  t.is(pool.stats().errors, 1);
  holder.release();
  await flush();
  t.is(waiter.value?.resource, holder.resource);
});

test('no failing fast while another create is still in flight', async (t) => {
  const { pool, hooks } = setup(t, { max: 2 });
  hooks.holdCreates = true;
  const a = await acquireSoon(pool.acquire());
  const b = await acquireSoon(pool.acquire());
  hooks.heldCreates[0]!.reject(new Error('first failed'));
  await flush();
  t.is(a.state, 'pending');
  t.is(b.state, 'pending');
  const made = hooks.heldCreates[1]!.resolve();
  await flush();
  t.is(a.value?.resource, made); // head of the queue
  t.is(b.state, 'pending');
  // The last create failed while a resource exists: b waits for it.
  a.value?.release();
  await flush();
  t.is(b.value?.resource, made);
});

test('when the last of several creates fails, all remaining waiters fail', async (t) => {
  const { pool, hooks } = setup(t, { max: 2 });
  hooks.holdCreates = true;
  const waiters = [];
  for (let i = 0; i < 4; i++) waiters.push(await acquireSoon(pool.acquire()));
  t.is(hooks.heldCreates.length, 2);
  hooks.heldCreates[0]!.reject(new Error('down'));
  await flush();
  t.true(waiters.every((waiter) => waiter.state === 'pending'));
  hooks.heldCreates[1]!.reject(new Error('still down'));
  await flush();
  for (const waiter of waiters) {
    const error = assertGatewayError(t, waiter.error, Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE');
    t.regex(error.message, /still down/);
  }
});

test('a create hook that throws synchronously is a failed create; no retry loop', async (t) => {
  const { pool, hooks } = setup(t);
  hooks.create = () => {
    hooks.createCalls++;
    throw new Error('sync');
  };
  const waiter = await acquireSoon(pool.acquire());
  assertGatewayError(t, waiter.error, Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE');
  await flush();
  t.is(hooks.createCalls, 1);
});

test('after a failure the next acquire tries again', async (t) => {
  const { pool, hooks } = setup(t);
  hooks.createFailures.push(new Error('blip'));
  assertGatewayError(t, await t.throwsAsync(pool.acquire()), Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE');
  const lease = await pool.acquire();
  t.is(hooks.createCalls, 2);
  lease.release();
});
