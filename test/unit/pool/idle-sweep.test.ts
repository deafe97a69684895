import test from 'ava';
import { sweepIdle } from '../../../src/pool/idle-sweep.js';
import { PooledResource } from '../../../src/pool/lease.js';

function entry(id: string, idleSince: number, expiresAt = Number.POSITIVE_INFINITY): PooledResource<string> {
  const e = new PooledResource(id, 0, expiresAt);
  e.idleSince = idleSince;
  return e;
}

const cases: [string, { idle: PooledResource<string>[]; surplus: number }, string[], string[]][] = [
  ['nothing old', { idle: [entry('a', 51), entry('b', 60)], surplus: 2 }, [], ['a', 'b']],
  [
    'oldest first, up to surplus',
    { idle: [entry('a', 0), entry('b', 1), entry('c', 2)], surplus: 2 },
    ['a', 'b'],
    ['c'],
  ],
  ['no surplus: keep at min', { idle: [entry('a', 0)], surplus: 0 }, [], ['a']],
  [
    'expired always goes and uses up surplus first',
    { idle: [entry('a', 0), entry('b', 90, 100)], surplus: 1 },
    ['b'],
    ['a'],
  ],
  ['exactly idleTimeoutMs counts as old', { idle: [entry('a', 50)], surplus: 1 }, ['a'], []],
  ['expired goes even at min', { idle: [entry('a', 99, 100)], surplus: 0 }, ['a'], []],
];
for (const [title, { idle, surplus }, evicted, kept] of cases) {
  test(`sweepIdle: ${title}`, (t) => {
    const result = sweepIdle(idle, 100, surplus, 50);
    t.deepEqual(
      result.map((e) => e.entry.resource),
      evicted,
    );
    t.deepEqual(
      idle.map((e) => e.resource),
      kept,
    );
  });
}

test('sweepIdle reports why', (t) => {
  const idle = [entry('old', 0), entry('expired', 99, 100)];
  t.deepEqual(
    sweepIdle(idle, 100, 5, 50).map((e) => [e.entry.resource, e.reason]),
    [
      ['old', 'idle'],
      ['expired', 'lifetime'],
    ],
  );
});

test('sweepIdle: idleTimeoutMs 0 never evicts for idleness, expired still go', (t) => {
  const idle = [entry('a', 0), entry('b', 0, 100)];
  const result = sweepIdle(idle, 1_000_000, 2, 0);
  t.deepEqual(
    result.map((e) => `${e.entry.resource}:${e.reason}`),
    ['b:lifetime'],
  );
  t.deepEqual(
    idle.map((e) => e.resource),
    ['a'],
  );
});
