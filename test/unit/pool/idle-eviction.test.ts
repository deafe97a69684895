import test from 'ava';
import { eventsOf, setup } from './helpers/setup.js';

test('idle resources above min are destroyed after idleTimeoutMs, oldest first', async (t) => {
  const { pool, clock, hooks, events } = setup(t, {
    min: 1,
    max: 4,
    idleTimeoutMs: 10_000,
    evictionIntervalMs: 1000,
  });
  pool.start();
  await clock.advance(0);
  const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
  for (const lease of leases) {
    lease.release();
    await clock.advance(100);
  }
  // Idle since: #1 at 0, #2 at 100, #3 at 200, #4 at 300 (relative).
  await clock.advance(9_700); // t = 10_000 since #1: the sweep at 10_000 evicts it
  t.deepEqual(
    hooks.destroyed.map((r) => r.id),
    [leases[0]!.resource.id],
  );
  await clock.advance(5_000);
  t.deepEqual(
    hooks.destroyed.map((r) => r.id),
    [1, 2, 3].map((i) => leases[i - 1]!.resource.id),
  );
  // min = 1 is kept: the most recently used.
  t.like(pool.stats(), { total: 1, idle: 1 });
  const remaining = await pool.acquire();
  t.is(remaining.resource, leases[3]!.resource);
  t.true(eventsOf(events, 'destroyed').every((event) => event.reason === 'idle'));
  remaining.release();
});

test('a resource in use is never evicted, and one used recently stays', async (t) => {
  const { pool, clock, hooks } = setup(t, { max: 2, idleTimeoutMs: 1000, evictionIntervalMs: 100 });
  pool.start();
  const held = await pool.acquire();
  const busy = await pool.acquire();
  busy.release();
  for (let i = 0; i < 10; i++) {
    await clock.advance(900);
    const lease = await pool.acquire();
    t.is(lease.resource, busy.resource);
    lease.release();
  }
  t.is(hooks.destroyed.length, 0);
  await clock.advance(1000);
  t.deepEqual(hooks.destroyed, [busy.resource]);
  held.release();
});

test('without start() there is no sweeper', async (t) => {
  const { pool, clock, hooks } = setup(t, { idleTimeoutMs: 1000 });
  (await pool.acquire()).release();
  t.is(clock.pendingTimers, 0);
  await clock.advance(60_000);
  t.is(hooks.destroyed.length, 0);
});

test('the sweeper re-arms itself and holds exactly one timer', async (t) => {
  const { pool, clock } = setup(t, { evictionIntervalMs: 250 });
  pool.start();
  for (let i = 0; i < 5; i++) {
    t.is(clock.pendingTimers, 1);
    await clock.advance(250);
  }
  await pool.close();
  t.is(clock.pendingTimers, 0);
});
