import test from 'ava';
import { Code } from '../../../src/errors.js';
import { assertGatewayError, eventsOf, flush, setup, track } from './helpers/setup.js';

test('acquire creates a resource on demand; release parks it idle; the next acquire reuses it', async (t) => {
  const { pool, hooks, clock, events } = setup(t);
  const lease = await pool.acquire();
  t.is(hooks.createCalls, 1);
  t.is(lease.resource, hooks.created[0]!);
  t.is(lease.acquiredAt, clock.now());
  t.like(pool.stats(), { total: 1, idle: 0, used: 1 });

  await clock.advance(30);
  lease.release();
  t.like(pool.stats(), { total: 1, idle: 1, used: 0 });
  t.deepEqual(eventsOf(events, 'released'), [{ type: 'released', useMs: 30 }]);

  const again = await pool.acquire();
  t.is(again.resource, lease.resource);
  t.is(hooks.createCalls, 1);
  t.deepEqual(
    eventsOf(events, 'acquired').map((event) => event.waitMs),
    [0, 0],
  );
  again.release();
});

test('an idle resource is handed out synchronously, without a create', async (t) => {
  const { pool, hooks } = setup(t);
  (await pool.acquire()).release();
  const acquired = track(pool.acquire());
  await Promise.resolve();
  await Promise.resolve();
  t.is(acquired.state, 'fulfilled');
  t.is(hooks.createCalls, 1);
});

test('idle resources are handed out LIFO: the most recently released first', async (t) => {
  const { pool, hooks } = setup(t, { max: 3 });
  const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
  const [a, b, c] = hooks.created;
  leases[1]!.release(); // b
  leases[0]!.release(); // a
  leases[2]!.release(); // c
  const first = await pool.acquire();
  const second = await pool.acquire();
  const third = await pool.acquire();
  t.deepEqual([first.resource, second.resource, third.resource], [c, a, b]);
});

test('creates up to max, never beyond', async (t) => {
  const { pool, hooks } = setup(t, { max: 2 });
  const a = await pool.acquire();
  const b = await pool.acquire();
  const c = track(pool.acquire());
  await flush();
  t.is(hooks.createCalls, 2);
  t.is(c.state, 'pending');
  t.like(pool.stats(), { total: 2, used: 2, waiting: 1 });
  a.release();
  await flush();
  t.is(c.state, 'fulfilled');
  t.is(c.value?.resource, a.resource);
  b.release();
  c.value?.release();
});

test('works before start(): no warming, resources created on demand', async (t) => {
  const { pool, hooks } = setup(t, { min: 2 });
  await flush();
  t.is(hooks.createCalls, 0);
  const lease = await pool.acquire();
  t.is(hooks.createCalls, 1);
  lease.release();
});

test('start() twice throws; start() after close throws', async (t) => {
  const { pool } = setup(t);
  pool.start();
  assertGatewayError(
    t,
    t.throws(() => pool.start()),
    Code.FAILED_PRECONDITION,
    'POOL_ALREADY_STARTED',
  );
  await pool.close();
  assertGatewayError(
    t,
    t.throws(() => pool.start()),
    Code.UNAVAILABLE,
    'POOL_CLOSED',
  );
});
