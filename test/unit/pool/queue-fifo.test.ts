import test from 'ava';
import { acquireSoon, flush, setup, track } from './helpers/setup.js';

test('waiters are served in arrival order as resources are released', async (t) => {
  const { pool } = setup(t, { max: 1 });
  const holder = await pool.acquire();
  const served: string[] = [];
  const waiters = ['b', 'c', 'd'].map((name) =>
    pool.acquire().then((lease) => {
      served.push(name);
      return lease;
    }),
  );
  await flush();
  t.is(pool.stats().waiting, 3);

  holder.release();
  let lease = await waiters[0]!;
  t.deepEqual(served, ['b']);
  lease.release();
  lease = await waiters[1]!;
  lease.release();
  lease = await waiters[2]!;
  t.deepEqual(served, ['b', 'c', 'd']);
  t.is(lease.resource, holder.resource);
  lease.release();
});

test('a waiter leaving from the middle of the queue does not disturb the order', async (t) => {
  const { pool, clock } = setup(t, { max: 1 });
  const holder = await pool.acquire();
  const b = track(pool.acquire());
  const c = track(pool.acquire({ deadline: clock.now() + 100 }));
  const controller = new AbortController();
  const d = track(pool.acquire({ signal: controller.signal }));
  const e = track(pool.acquire());
  await clock.advance(100);
  controller.abort();
  await flush();
  t.is(c.state, 'rejected');
  t.is(d.state, 'rejected');
  t.is(pool.stats().waiting, 2);

  holder.release();
  await flush();
  t.is(b.state, 'fulfilled');
  t.is(e.state, 'pending');
  b.value?.release();
  await flush();
  t.is(e.state, 'fulfilled');
  e.value?.release();
});

test('a resource that becomes available goes to the head waiter, whoever the create was started for', async (t) => {
  const { pool, hooks } = setup(t, { max: 2 });
  hooks.holdCreates = true;
  const firstCreate = track(pool.acquire());
  await flush();
  hooks.heldCreates[0]!.resolve();
  await flush();
  const holder = firstCreate.value!;

  // b arrives: a second create starts for it. c arrives: nothing left to create, it queues.
  const b = await acquireSoon(pool.acquire());
  const c = await acquireSoon(pool.acquire());
  t.is(hooks.heldCreates.length, 2);

  // The release reaches b first, the created resource then c.
  holder.release();
  await flush();
  t.is(b.state, 'fulfilled');
  t.is(b.value?.resource, holder.resource);
  t.is(c.state, 'pending');
  const made = hooks.heldCreates[1]!.resolve();
  await flush();
  t.is(c.value?.resource, made);
});

test('a new caller does not overtake a waiter whose resource is being validated', async (t) => {
  const { pool, clock, hooks } = setup(t, { max: 2, validationIntervalMs: 50 });
  const [x, y] = await Promise.all([pool.acquire(), pool.acquire()]);
  x.release();
  await clock.advance(100);
  y.release(); // y is fresh, x is stale
  let finishValidation: (ok: boolean) => void = () => {};
  hooks.validateImpl = () =>
    new Promise((resolve) => {
      finishValidation = resolve;
    });

  // Take the fresh one (y); the next caller gets x, which needs validation.
  const first = await pool.acquire();
  t.is(first.resource, y.resource);
  const second = await acquireSoon(pool.acquire());
  t.is(hooks.validateCalls, 1);
  t.is(second.state, 'pending');

  // A third caller arrives while the validation runs, then y comes back: it goes to the second
  // caller (head of the queue), the validated x to the third.
  const third = await acquireSoon(pool.acquire());
  first.release();
  await flush();
  t.is(second.value?.resource, y.resource);
  finishValidation(true);
  await flush();
  t.is(third.value?.resource, x.resource);
});
