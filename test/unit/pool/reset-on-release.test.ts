import test from 'ava';
import { acquireSoon, deferred, eventsOf, flush, setup } from './helpers/setup.js';

test('release({ reset: true }) resets before the resource is reused', async (t) => {
  const { pool, hooks } = setup(t, { max: 1 });
  const lease = await pool.acquire();
  const gate = deferred<void>();
  hooks.resetImpl = () => gate.promise;
  const waiter = await acquireSoon(pool.acquire());
  lease.release({ reset: true });
  await flush();
  t.is(hooks.resetCalls, 1);
  t.is(waiter.state, 'pending'); // not handed out mid-reset
  t.like(pool.stats(), { idle: 0, used: 1 });
  gate.resolve();
  await flush();
  t.is(waiter.state, 'fulfilled');
  t.is(waiter.value?.resource, lease.resource);
});

test('a reset resource goes idle when nobody waits; a new caller waits for the reset', async (t) => {
  const { pool, hooks } = setup(t, { max: 1 });
  const lease = await pool.acquire();
  const gate = deferred<void>();
  hooks.resetImpl = () => gate.promise;
  lease.release({ reset: true });
  const caller = await acquireSoon(pool.acquire());
  t.is(caller.state, 'pending');
  t.is(hooks.createCalls, 1); // waits for the reset rather than opening another
  gate.resolve();
  await flush();
  t.is(caller.value?.resource, lease.resource);
});

test('a reset that rejects destroys the resource; the waiter gets a new one', async (t) => {
  const { pool, hooks, events } = setup(t, { max: 1 });
  const lease = await pool.acquire();
  hooks.dead.add(lease.resource);
  const waiter = await acquireSoon(pool.acquire());
  lease.release({ reset: true });
  await flush();
  t.deepEqual(hooks.destroyed, [lease.resource]);
  t.is(eventsOf(events, 'destroyed')[0]?.reason, 'reset');
  t.is(pool.stats().errors, 1);
  t.is(waiter.state, 'fulfilled');
  t.not(waiter.value?.resource, lease.resource);
});

test('a reset hook that throws synchronously counts as a failed reset', async (t) => {
  const { pool, hooks } = setup(t);
  const lease = await pool.acquire();
  hooks.resetImpl = () => {
    throw new Error('boom');
  };
  lease.release({ reset: true });
  await flush();
  t.deepEqual(hooks.destroyed, [lease.resource]);
});

test('a plain release does not reset', async (t) => {
  const { pool, hooks } = setup(t);
  (await pool.acquire()).release();
  (await pool.acquire()).release({ reset: false });
  t.is(hooks.resetCalls, 0);
});
