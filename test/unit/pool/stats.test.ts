import test from 'ava';
import { Pool } from '../../../src/pool/pool.js';
import { FakeClock, FakeHooks, flush, setup, TEST_OPTIONS, track } from './helpers/setup.js';

test('stats() follows the pool through a scenario', async (t) => {
  const { pool, hooks, clock } = setup(t, { min: 1, max: 2, maxWaiting: 5, acquireTimeoutMs: 1000 });
  t.deepEqual(pool.stats(), {
    name: 'test-pool',
    total: 0,
    idle: 0,
    used: 0,
    waiting: 0,
    pending: 0,
    created: 0,
    closed: 0,
    errors: 0,
    acquireTimeouts: 0,
    longestWaitMs: 0,
    min: 1,
    max: 2,
  });
  hooks.holdCreates = true;
  pool.start();
  t.like(pool.stats(), { pending: 1, total: 0 });
  hooks.heldCreates[0]!.resolve();
  await flush();
  t.like(pool.stats(), { pending: 0, total: 1, idle: 1, created: 1 });

  const a = await pool.acquire();
  const b = track(pool.acquire());
  await flush();
  t.like(pool.stats(), { total: 1, idle: 0, used: 1, pending: 1, waiting: 1 });
  hooks.heldCreates[1]!.resolve();
  await flush();
  const c = track(pool.acquire());
  await clock.advance(300);
  const d = track(pool.acquire());
  await clock.advance(200);
  t.like(pool.stats(), { total: 2, used: 2, waiting: 2, longestWaitMs: 500 });
  await clock.advance(500);
  t.is(c.state, 'rejected');
  t.like(pool.stats(), { waiting: 1, acquireTimeouts: 1, longestWaitMs: 700 });
  a.destroy();
  await flush();
  t.like(pool.stats(), { created: 2, closed: 1, total: 1, pending: 1, waiting: 1 });
  hooks.heldCreates[2]!.resolve();
  await flush();
  t.like(pool.stats(), { created: 3, closed: 1, total: 2, waiting: 0, longestWaitMs: 0 });
  b.value?.release();
  d.value?.release();
  t.like(pool.stats(), { total: 2, idle: 2, used: 0 });
  t.is(pool.stats().created - pool.stats().closed, pool.stats().total);
});

test('every acquire ends in exactly one of acquired, acquireTimeout or rejected', async (t) => {
  const { pool, clock, hooks, events } = setup(t, { max: 1, maxWaiting: 2, acquireTimeoutMs: 1000 });
  const holder = await pool.acquire(); // acquired
  const outcomes = [
    track(pool.acquire()), // acquireTimeout
    track(pool.acquire({ deadline: clock.now() + 10 })), // rejected: deadline
    track(pool.acquire()), // rejected: queueFull
    track(pool.acquire({ signal: AbortSignal.abort() })), // rejected: aborted
  ];
  await clock.advance(1000);
  holder.destroy();
  hooks.createFailures.push(new Error('down'));
  outcomes.push(track(pool.acquire())); // rejected: backendUnavailable
  await flush();
  await pool.close();
  outcomes.push(track(pool.acquire())); // rejected: closed
  await flush();
  t.true(outcomes.every((outcome) => outcome.state === 'rejected'));
  const ends = events.flatMap((event) =>
    event.type === 'acquired' || event.type === 'acquireTimeout'
      ? [event.type]
      : event.type === 'rejected'
        ? [event.reason]
        : [],
  );
  t.deepEqual(ends, [
    'acquired',
    'queueFull',
    'aborted',
    'deadline',
    'acquireTimeout',
    'backendUnavailable',
    'closed',
  ]);
});

test('an onEvent listener that throws does not break the pool', async (t) => {
  const clock = new FakeClock();
  const hooks = new FakeHooks();
  const pool = new Pool(hooks, TEST_OPTIONS, {
    clock,
    onEvent: () => {
      throw new Error('metrics bug');
    },
  });
  const lease = await pool.acquire();
  lease.release();
  const again = await pool.acquire();
  t.is(again.resource, lease.resource);
  again.destroy();
  await pool.close();
  t.is(pool.state, 'closed');
});
