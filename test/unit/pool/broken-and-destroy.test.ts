import test from 'ava';
import { acquireSoon, eventsOf, flush, setup } from './helpers/setup.js';

test('lease.destroy() destroys the resource and reports why', async (t) => {
  const { pool, hooks, clock, events } = setup(t);
  const lease = await pool.acquire();
  await clock.advance(40);
  const reason = new Error('protocol out of sync');
  lease.destroy(reason);
  await flush();
  t.deepEqual(hooks.destroyed, [lease.resource]);
  t.like(pool.stats(), { total: 0, idle: 0, used: 0, closed: 1 });
  t.deepEqual(eventsOf(events, 'released'), [{ type: 'released', useMs: 40 }]);
  t.deepEqual(eventsOf(events, 'destroyed'), [{ type: 'destroyed', reason: 'broken', cause: reason }]);
  // Not handed out again.
  const next = await pool.acquire();
  t.not(next.resource, lease.resource);
  next.release();
});

test('a waiter gets a replacement when a leased resource is destroyed at max', async (t) => {
  const { pool, hooks } = setup(t, { max: 1 });
  const lease = await pool.acquire();
  const waiter = await acquireSoon(pool.acquire());
  lease.destroy();
  await flush();
  t.is(waiter.state, 'fulfilled');
  t.is(waiter.value?.resource, hooks.created[1]);
  t.is(hooks.createCalls, 2);
});

test('a destroy hook that throws or rejects does not disturb the pool', async (t) => {
  const { pool, hooks } = setup(t);
  hooks.destroyImpl = () => {
    throw new Error('sync throw');
  };
  (await pool.acquire()).destroy();
  hooks.destroyImpl = () => Promise.reject(new Error('async reject'));
  (await pool.acquire()).destroy();
  await flush();
  t.like(pool.stats(), { total: 0, closed: 2 });
  await pool.close();
  t.is(pool.state, 'closed');
});
