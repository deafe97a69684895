import test from 'ava';
import { flush, setup } from './helpers/setup.js';

test('start() warms the pool up to min', async (t) => {
  const { pool, hooks } = setup(t, { min: 2, max: 4 });
  pool.start();
  await flush();
  t.is(hooks.createCalls, 2);
  t.like(pool.stats(), { total: 2, idle: 2, used: 0, pending: 0 });
});

test('while warming, creates in flight count towards min', async (t) => {
  const { pool, hooks, clock } = setup(t, { min: 2, max: 4 });
  hooks.holdCreates = true;
  pool.start();
  await clock.advance(5000);
  t.is(hooks.createCalls, 2);
  t.is(pool.stats().pending, 2);
});

test('a resource lost below min is replaced at once', async (t) => {
  const { pool, hooks } = setup(t, { min: 2, max: 4 });
  pool.start();
  await flush();
  const lease = await pool.acquire();
  lease.destroy(new Error('broken'));
  await flush();
  t.is(hooks.createCalls, 3);
  t.like(pool.stats(), { total: 2, idle: 2 });
});

test('a failed warm-up create is retried by the sweeper, not in a loop', async (t) => {
  const { pool, hooks, clock } = setup(t, { min: 2, max: 4, evictionIntervalMs: 1000 });
  hooks.createFailures.push(new Error('refused'), new Error('refused'), new Error('refused'));
  pool.start();
  await flush();
  t.is(hooks.createCalls, 2);
  t.like(pool.stats(), { total: 0, errors: 2 });
  await clock.advance(999);
  t.is(hooks.createCalls, 2);
  await clock.advance(1); // sweep: two more tries, one fails
  t.is(hooks.createCalls, 4);
  t.like(pool.stats(), { total: 1, errors: 3 });
  await clock.advance(1000);
  t.is(hooks.createCalls, 5);
  t.like(pool.stats(), { total: 2, idle: 2, errors: 3 });
});

test('resources evicted for lifetime are replaced up to min', async (t) => {
  const { pool, hooks, clock } = setup(t, {
    min: 1,
    maxLifetimeMs: 5000,
    lifetimeJitterMs: 0,
    evictionIntervalMs: 1000,
  });
  pool.start();
  await flush();
  const [first] = hooks.created;
  await clock.advance(5000);
  t.deepEqual(hooks.destroyed, [first]);
  t.like(pool.stats(), { total: 1, idle: 1 });
  t.is(hooks.createCalls, 2);
});

test('an expired resource met on acquire is replaced up to min at once', async (t) => {
  const { pool, hooks, clock } = setup(t, {
    min: 2,
    max: 3,
    maxLifetimeMs: 1000,
    lifetimeJitterMs: 0,
    evictionIntervalMs: 1_000_000, // keep the sweeper out of it
    validationIntervalMs: 1_000_000,
  });
  pool.start();
  await flush();
  await clock.advance(500);
  (await pool.acquire()).destroy(); // replaced by a resource created now
  await flush();
  const young = await pool.acquire();
  const old = await pool.acquire();
  t.true(young.resource.id > old.resource.id);
  young.release();
  old.release(); // the old one is on top of the idle stack
  await clock.advance(500);
  const createsBefore = hooks.createCalls;
  const lease = await pool.acquire();
  t.is(lease.resource, young.resource);
  t.is(hooks.destroyed.at(-1), old.resource);
  await flush();
  t.is(hooks.createCalls, createsBefore + 1);
  t.like(pool.stats(), { total: 2, idle: 1, used: 1 });
});

test('an idle resource is handed out rather than waiting for a create already in flight', async (t) => {
  const { pool, hooks, clock } = setup(t, { min: 2, max: 3, validationIntervalMs: 100 });
  pool.start();
  await flush();
  await clock.advance(200); // both idle resources now need validation before use
  hooks.holdCreates = true;
  (await pool.acquire()).destroy(); // validated, then destroyed: a refill create is now in flight
  await flush();
  t.is(hooks.heldCreates.length, 1);
  const lease = await pool.acquire(); // validates the remaining idle one instead of waiting
  t.is(hooks.validateCalls, 2);
  t.is(lease.resource, hooks.created[0]!);
  t.is(hooks.heldCreates.length, 1);
});
