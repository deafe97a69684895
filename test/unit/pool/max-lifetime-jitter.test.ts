import test from 'ava';
import { acquireSoon, eventsOf, flush, setup } from './helpers/setup.js';

/** A random source returning `values` in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

test('each resource gets its own lifetime: maxLifetimeMs minus a random jitter', async (t) => {
  const { pool, clock, hooks, events } = setup(
    t,
    {
      max: 3,
      maxLifetimeMs: 10_000,
      lifetimeJitterMs: 1000,
      evictionIntervalMs: 1,
      idleTimeoutMs: 1_000_000,
    },
    { random: sequence(0, 0.5, 0.9995) },
  );
  pool.start();
  const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
  for (const lease of leases) lease.release();
  const [a, b, c] = leases.map((lease) => lease.resource);

  await clock.advance(9000); // c: 10_000 - floor(999.5) = 9001
  t.deepEqual(hooks.destroyed, []);
  await clock.advance(1);
  t.deepEqual(hooks.destroyed, [c]);
  await clock.advance(498); // b: 10_000 - 500 = 9500
  t.deepEqual(hooks.destroyed, [c]);
  await clock.advance(1);
  t.deepEqual(hooks.destroyed, [c, b]);
  await clock.advance(500); // a: no jitter
  t.deepEqual(hooks.destroyed, [c, b, a]);
  t.true(eventsOf(events, 'destroyed').every((event) => event.reason === 'lifetime'));
});

test('an expired idle resource is never handed out, even between sweeps', async (t) => {
  const { pool, clock, hooks } = setup(t, { maxLifetimeMs: 1000, lifetimeJitterMs: 0 });
  const first = await pool.acquire();
  first.release();
  await clock.advance(1000); // no start(): no sweeper
  const lease = await pool.acquire();
  t.not(lease.resource, first.resource);
  t.deepEqual(hooks.destroyed, [first.resource]);
  lease.release();
});

test('an expired leased resource is destroyed on release and a waiter gets a new one', async (t) => {
  const { pool, clock, hooks, events } = setup(t, {
    max: 1,
    maxLifetimeMs: 1000,
    lifetimeJitterMs: 0,
    acquireTimeoutMs: 5000,
  });
  const lease = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire());
  await clock.advance(1500);
  t.is(waiter.state, 'pending');
  t.is(hooks.destroyed.length, 0); // still leased: left alone
  lease.release({ reset: true });
  await flush();
  t.is(hooks.resetCalls, 0); // no point resetting what is about to be destroyed
  t.deepEqual(hooks.destroyed, [lease.resource]);
  t.deepEqual(eventsOf(events, 'destroyed'), [{ type: 'destroyed', reason: 'lifetime' }]);
  t.is(waiter.state, 'fulfilled');
  t.not(waiter.value?.resource, lease.resource);
});

test('maxLifetimeMs 0 means unlimited', async (t) => {
  const hour = 3600_000;
  const { pool, clock, hooks } = setup(t, {
    maxLifetimeMs: 0,
    idleTimeoutMs: 1e12,
    validationIntervalMs: 1e12,
    evictionIntervalMs: hour,
  });
  pool.start();
  const lease = await pool.acquire();
  lease.release();
  await clock.advance(90 * 24 * hour);
  t.is(hooks.destroyed.length, 0);
  t.is((await pool.acquire()).resource, lease.resource);
});
