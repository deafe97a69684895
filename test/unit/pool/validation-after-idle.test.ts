import test from 'ava';
import { acquireSoon, deferred, eventsOf, flush, setup } from './helpers/setup.js';

test('a resource used recently is handed out without validation', async (t) => {
  const { pool, clock, hooks } = setup(t, { validationIntervalMs: 5000 });
  for (let i = 0; i < 10; i++) {
    const lease = await pool.acquire();
    lease.release();
    await clock.advance(4000);
  }
  t.is(hooks.validateCalls, 0);
  t.is(hooks.createCalls, 1);
});

test('a resource idle longer than validationIntervalMs is validated once before the hand-out', async (t) => {
  const { pool, clock, hooks } = setup(t, { validationIntervalMs: 5000 });
  const first = await pool.acquire();
  first.release();
  await clock.advance(5000);
  (await pool.acquire()).release(); // exactly the interval: no check
  t.is(hooks.validateCalls, 0);
  await clock.advance(5001);
  const lease = await pool.acquire();
  t.is(hooks.validateCalls, 1);
  t.is(lease.resource, first.resource);
  lease.release();
  // Just used: no check on the next borrow.
  (await pool.acquire()).release();
  t.is(hooks.validateCalls, 1);
});

test('an invalid idle resource is destroyed and the next idle one is tried', async (t) => {
  const { pool, clock, hooks, events } = setup(t, { max: 3, validationIntervalMs: 100 });
  const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
  b.release();
  a.release(); // idle: b (older), a (on top)
  await clock.advance(200);
  hooks.dead.add(a.resource);
  const lease = await pool.acquire();
  t.is(lease.resource, b.resource);
  t.is(hooks.validateCalls, 2);
  t.deepEqual(hooks.destroyed, [a.resource]);
  t.deepEqual(eventsOf(events, 'destroyed'), [{ type: 'destroyed', reason: 'validation' }]);
  t.like(pool.stats(), { total: 1, errors: 1 });
  lease.release();
});

test('a validation that rejects counts as invalid; with no idle left a new resource is created', async (t) => {
  const { pool, clock, hooks, events } = setup(t, { validationIntervalMs: 100 });
  const old = await pool.acquire();
  old.release();
  await clock.advance(200);
  const failure = new Error('ping failed');
  hooks.validateImpl = () => Promise.reject(failure);
  const lease = await pool.acquire();
  t.not(lease.resource, old.resource);
  t.is(hooks.createCalls, 2);
  t.deepEqual(eventsOf(events, 'destroyed'), [{ type: 'destroyed', reason: 'validation', cause: failure }]);
  lease.release();
});

test('the resource is not handed to anyone else while being validated', async (t) => {
  const { pool, clock, hooks } = setup(t, { max: 1, validationIntervalMs: 100 });
  (await pool.acquire()).release();
  await clock.advance(200);
  const check = deferred<boolean>();
  hooks.validateImpl = () => check.promise;
  const first = await acquireSoon(pool.acquire());
  const second = await acquireSoon(pool.acquire());
  t.like(pool.stats(), { idle: 0, used: 1, waiting: 2 });
  check.resolve(true);
  await flush();
  t.is(first.state, 'fulfilled');
  t.is(second.state, 'pending');
  first.value?.release();
  await flush();
  t.is(second.state, 'fulfilled');
  t.is(hooks.validateCalls, 1);
});

test('a resource validated for a waiter that gave up goes idle', async (t) => {
  const { pool, clock, hooks } = setup(t, { validationIntervalMs: 100 });
  (await pool.acquire()).release();
  await clock.advance(200);
  const check = deferred<boolean>();
  hooks.validateImpl = () => check.promise;
  const waiter = await acquireSoon(pool.acquire({ deadline: clock.now() + 10 }));
  await clock.advance(10);
  t.is(waiter.state, 'rejected');
  check.resolve(true);
  await flush();
  t.like(pool.stats(), { total: 1, idle: 1, used: 0 });
  // Freshly validated: no second check.
  (await pool.acquire()).release();
  t.is(hooks.validateCalls, 1);
});
