import test from 'ava';
import { Waiter, WaiterQueue } from '../../../src/pool/waiter-queue.js';
import { FakeClock } from './helpers/fake-clock.js';

function makeQueue() {
  const clock = new FakeClock();
  const timedOut: string[] = [];
  const aborted: string[] = [];
  const names = new Map<Waiter<void>, string>();
  const queue = new WaiterQueue<void>(
    clock,
    (waiter) => timedOut.push(names.get(waiter)!),
    (waiter) => aborted.push(names.get(waiter)!),
  );
  const add = (name: string, timeoutMs = 1000, signal?: AbortSignal): Waiter<void> => {
    const waiter = new Waiter<void>(
      () => {},
      () => {},
      clock.now(),
      false,
      signal,
    );
    names.set(waiter, name);
    queue.push(waiter, timeoutMs);
    return waiter;
  };
  const drain = (): string[] => {
    const order: string[] = [];
    for (let waiter = queue.shift(); waiter !== undefined; waiter = queue.shift())
      order.push(names.get(waiter)!);
    return order;
  };
  return { clock, queue, add, drain, timedOut, aborted };
}

test('FIFO order; removal from head, middle and tail', (t) => {
  const { queue, add, drain } = makeQueue();
  const [a, , c, , e] = ['a', 'b', 'c', 'd', 'e'].map((name) => add(name));
  t.is(queue.size, 5);
  t.true(queue.remove(c!));
  t.true(queue.remove(a!));
  t.true(queue.remove(e!));
  t.false(queue.remove(e!));
  t.is(queue.size, 2);
  t.deepEqual(drain(), ['b', 'd']);
  t.is(queue.size, 0);
  t.is(queue.head, undefined);
  t.is(queue.shift(), undefined);
});

test('a waiter times out once and leaves the queue; leaving clears its timer', async (t) => {
  const { clock, queue, add, drain, timedOut } = makeQueue();
  add('a', 100);
  add('b', 50);
  const c = add('c', 10);
  queue.remove(c);
  t.is(clock.pendingTimers, 2);
  await clock.advance(100);
  t.deepEqual(timedOut, ['b', 'a']);
  t.deepEqual(drain(), []);
  t.is(clock.pendingTimers, 0);
});

test('an aborted waiter leaves the queue once; leaving removes its listener', (t) => {
  const { queue, add, aborted } = makeQueue();
  const first = new AbortController();
  const second = new AbortController();
  add('a', 1000, first.signal);
  const b = add('b', 1000, second.signal);
  queue.remove(b);
  first.abort();
  first.abort();
  second.abort();
  t.deepEqual(aborted, ['a']);
  t.is(queue.size, 0);
});

test('many waiters: shift stays cheap (no array shifting)', (t) => {
  const { queue, add } = makeQueue();
  for (let i = 0; i < 50_000; i++) add(String(i));
  let count = 0;
  while (queue.shift() !== undefined) count++;
  t.is(count, 50_000);
});
