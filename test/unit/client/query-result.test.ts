/**
 * QueryResult over a RowFeed with a fake source: rows decoded lazily, the source paused at the
 * high-water mark and resumed once drained, early exit cancels, object rows, protocol errors.
 */
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { GatewayClientError } from '../../../src/client/errors.js';
import type { WireColumnIn, WireRowIn } from '../../../src/client/messages.js';
import {
  HIGH_WATER_BATCHES,
  QueryResult,
  type Row,
  RowFeed,
  type RowObject,
} from '../../../src/client/query-result.js';

/** A feed wired to a source that records what it was asked to do. */
function setup<R = Row>(rowMode: 'array' | 'object' = 'array') {
  const calls: string[] = [];
  const feed = new RowFeed();
  feed.attach({
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    cancel: () => calls.push('cancel'),
  });
  return { feed, result: new QueryResult<R>(feed, rowMode), calls };
}

const COLUMNS: WireColumnIn[] = [
  { name: 'id', type: 'COLUMN_TYPE_LONGLONG', unsigned: true, type_name: 'BIGINT UNSIGNED' },
  { name: 'note', type: 'COLUMN_TYPE_VAR_STRING' },
];

function batch(from: number, count: number): WireRowIn[] {
  return Array.from({ length: count }, (_, i) => ({
    values: [
      { kind: 'uint64_value', uint64_value: String(from + i) },
      { kind: 'string_value', string_value: `n${from + i}` },
    ],
  }));
}

test('rows are decoded in order; columns and stats are exposed', async (t) => {
  const { feed, result } = setup();
  feed.onMetadata(COLUMNS);
  feed.onRows([{ values: [{ kind: 'uint64_value', uint64_value: '18446744073709551615' }, {}] }]);
  feed.onRows(batch(1, 2));
  feed.onEnd({ row_count: '3', backend: 'h:1', backend_role: 'primary', elapsed_us: '12' });
  t.is(result.columns?.[0]?.type, 'LONGLONG');
  t.is(result.columns?.[0]?.typeName, 'BIGINT UNSIGNED');
  t.true(result.columns?.[0]?.unsigned);
  t.is(result.columns?.[1]?.nullable, false, 'absent booleans read as false');
  const rows = await result.all();
  t.deepEqual(rows, [
    [18446744073709551615n, null],
    [1, 'n1'],
    [2, 'n2'],
  ]);
  t.deepEqual(result.stats, {
    rowCount: 3,
    warningCount: 0,
    backend: 'h:1',
    backendRole: 'primary',
    elapsedUs: 12,
  });
  t.is(result.state, 'ended');
});

test('the source is paused at the high-water mark and resumed when the consumer drains it', async (t) => {
  const { feed, result, calls } = setup();
  feed.onMetadata(COLUMNS);
  for (let i = 0; i < HIGH_WATER_BATCHES - 1; i++) feed.onRows(batch(i * 10, 10));
  t.deepEqual(calls, [], 'below the mark nothing happens');
  feed.onRows(batch(100, 10));
  t.deepEqual(calls, ['pause']);
  feed.onRows(batch(200, 10)); // in flight when paused: accepted, no second pause
  t.deepEqual(calls, ['pause']);
  const it = result[Symbol.asyncIterator]();
  let read = 0;
  while (!calls.includes('resume')) {
    await it.next();
    read++;
  }
  t.is(read, 40, 'resumed once only one batch is left');
  t.deepEqual(calls, ['pause', 'resume']);
});

test('a consumer waiting for rows is woken by the next batch', async (t) => {
  const { feed, result } = setup();
  const it = result[Symbol.asyncIterator]();
  const pending = it.next();
  feed.onMetadata(COLUMNS);
  feed.onRows(batch(7, 1));
  t.deepEqual(await pending, { value: [7, 'n7'], done: false });
});

test('breaking out of the loop cancels the source and drops the buffer', async (t) => {
  const { feed, result, calls } = setup();
  feed.onMetadata(COLUMNS);
  for (let i = 0; i < HIGH_WATER_BATCHES; i++) feed.onRows(batch(i * 10, 10));
  let seen = 0;
  for await (const _row of result) {
    if (++seen === 3) break;
  }
  t.deepEqual(calls, ['pause', 'resume', 'cancel']);
  t.is(result.state, 'cancelled');
  feed.onRows(batch(0, 1)); // late messages are ignored
  feed.onEnd({});
  t.is(result.stats, undefined);
});

test('a failure is thrown by the iterator and by metadata()', async (t) => {
  const { feed, result } = setup();
  feed.onMetadata(COLUMNS);
  feed.onRows(batch(1, 1));
  const err = new GatewayClientError(Code.DEADLINE_EXCEEDED, 'too late');
  feed.fail(err);
  t.is(await t.throwsAsync(result.all()), err);
  const again = setup();
  again.feed.fail(err);
  t.is(await t.throwsAsync(again.result.metadata()), err);
});

test('metadata() waits for the columns', async (t) => {
  const { feed, result } = setup();
  const columns = result.metadata();
  feed.onMetadata(COLUMNS);
  t.deepEqual(
    (await columns).map((c) => c.name),
    ['id', 'note'],
  );
});

test('object rows are keyed by column name; `__proto__` is an ordinary key', async (t) => {
  const { feed, result } = setup<RowObject>('object');
  feed.onMetadata([{ name: 'a' }, { name: '__proto__' }]);
  feed.onRows([
    {
      values: [
        { kind: 'int64_value', int64_value: '1' },
        { kind: 'string_value', string_value: 'x' },
      ],
    },
  ]);
  feed.onEnd({});
  const [row] = await result.all();
  t.deepEqual(Object.keys(row ?? {}), ['a', '__proto__']);
  t.is(row?.a, 1);
  t.is(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 'x');
  t.is(Object.getPrototypeOf(row), Object.prototype);
});

test('object rows refuse duplicate column names and stop the source', async (t) => {
  const { feed, result, calls } = setup<RowObject>('object');
  feed.onMetadata([{ name: 'id' }, { name: 'id' }]);
  feed.onRows([{ values: [{}, {}] }]);
  const err = await t.throwsAsync(result.all(), { instanceOf: GatewayClientError });
  t.is(err?.reason, 'DUPLICATE_COLUMN_NAME');
  t.deepEqual(calls, ['cancel']);
});

test('a result can be iterated only once', async (t) => {
  const { feed, result } = setup();
  feed.onMetadata(COLUMNS);
  feed.onEnd({});
  t.deepEqual(await result.all(), []);
  const err = await t.throwsAsync(result.all(), { instanceOf: GatewayClientError });
  t.is(err?.reason, 'ALREADY_ITERATED');
});

const PROTOCOL: [string, (feed: RowFeed) => void][] = [
  ['rows before metadata', (f) => f.onRows(batch(1, 1))],
  [
    'metadata twice',
    (f) => {
      f.onMetadata(COLUMNS);
      f.onMetadata(COLUMNS);
    },
  ],
  ['end before metadata', (f) => f.onEnd({})],
];
for (const [name, push] of PROTOCOL) {
  test(`protocol violation: ${name}`, async (t) => {
    const { feed, result, calls } = setup();
    push(feed);
    const err = await t.throwsAsync(result.all(), { instanceOf: GatewayClientError });
    t.is(err?.reason, 'PROTOCOL_ERROR');
    t.is(err?.codeName, 'INTERNAL');
    t.deepEqual(calls, ['cancel']);
  });
}
