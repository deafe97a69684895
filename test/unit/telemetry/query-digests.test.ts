import test from 'ava';
import { Code } from '../../../src/errors.js';
import { OTHER_DIGEST, QueryDigests } from '../../../src/telemetry/query-digests.js';

const KEY = { cluster: 'default', backendRole: 'primary', principal: 'app', requestTag: '' };

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('counts calls, rows, errors by code, total, percentiles and first/last seen', (t) => {
  const clock = fakeClock();
  const d = new QueryDigests({ now: clock.now });
  const g = d.group(KEY);
  for (let i = 1; i <= 100; i++) {
    d.record(g, 'SELECT ?', i * 10, 1, 0);
    clock.advance(1000);
  }
  d.record(g, 'SELECT ?', 5, 0, Code.DEADLINE_EXCEEDED);
  d.record(g, 'SELECT ?', 5, 0, Code.DEADLINE_EXCEEDED);
  d.record(g, 'SELECT ?', 5, 0, Code.INVALID_ARGUMENT);
  const [e, ...rest] = d.query();
  t.is(rest.length, 0);
  t.like(e, {
    digestText: 'SELECT ?',
    cluster: 'default',
    backendRole: 'primary',
    principal: 'app',
    requestTag: '',
    calls: 103,
    rows: 100,
    errors: 3,
    errorsByCode: { DEADLINE_EXCEEDED: 2, INVALID_ARGUMENT: 1 },
    totalUs: 50_500 + 15,
    maxUs: 1000,
    firstSeenMs: 1_700_000_000_000,
    lastSeenMs: 1_700_000_100_000,
  });
  // DDSketch at 2% relative accuracy.
  t.true(Math.abs(e!.p50Us - 490) <= 20, `p50 ${e!.p50Us}`);
  t.true(Math.abs(e!.p95Us - 960) <= 30, `p95 ${e!.p95Us}`);
  t.true(e!.p50Us <= e!.p95Us && e!.p95Us <= e!.p99Us && e!.p99Us <= e!.maxUs);
});

test('groups, tags and clusters are separate entries; sort, limit and cluster filter', (t) => {
  const d = new QueryDigests({ now: fakeClock().now });
  const a = d.group(KEY);
  const b = d.group({ ...KEY, requestTag: 'report' });
  const c = d.group({ ...KEY, cluster: 'other-cluster' });
  t.is(d.group(KEY), a, 'the same key is the same group');
  d.record(a, 'SELECT ?', 100, 0, 0);
  for (let i = 0; i < 5; i++) d.record(b, 'SELECT ?', 10, 0, 0);
  d.record(c, 'SELECT ?', 1000, 0, Code.INTERNAL);
  t.is(d.entryCount, 3);
  t.deepEqual(
    d.query({ sortBy: 'calls' }).map((e) => [e.requestTag, e.cluster, e.calls]),
    [
      ['report', 'default', 5],
      ['', 'other-cluster', 1],
      ['', 'default', 1],
    ],
  );
  t.is(d.query({ sortBy: 'total' })[0]?.cluster, 'other-cluster');
  t.is(d.query({ sortBy: 'errors' })[0]?.errors, 1);
  t.is(d.query({ sortBy: 'p99', limit: 1 }).length, 1);
  t.deepEqual(
    d.query({ cluster: 'default' }).map((e) => e.cluster),
    ['default', 'default'],
  );
});

test('memory is bounded: the least used fold into one other entry, calls conserved', (t) => {
  const d = new QueryDigests({ maxEntries: 100, now: fakeClock().now });
  const g = d.group(KEY);
  // A few busy digests that must survive the churn.
  for (let i = 0; i < 10; i++) for (let n = 0; n < 50; n++) d.record(g, `SELECT busy${i}`, 10, 1, 0);
  for (let i = 0; i < 2000; i++) d.record(g, `SELECT c${i} FROM t`, 10, 1, i % 7 === 0 ? Code.INTERNAL : 0);
  const all = d.query();
  t.true(all.length <= 101, `${all.length} entries`);
  t.true(d.entryCount <= 100);
  const other = all.filter((e) => e.digestText === OTHER_DIGEST);
  t.is(other.length, 1);
  t.is(
    all.reduce((n, e) => n + e.calls, 0),
    500 + 2000,
  );
  t.is(
    all.reduce((n, e) => n + e.errors, 0),
    Math.ceil(2000 / 7),
  );
  for (let i = 0; i < 10; i++) t.truthy(all.find((e) => e.digestText === `SELECT busy${i}`));
  t.true(other[0]!.p99Us > 0 && other[0]!.p99Us <= other[0]!.maxUs);
});

test('reset forgets everything; a group held across the reset still records', (t) => {
  const d = new QueryDigests({ maxEntries: 2, now: fakeClock().now });
  let g = d.group(KEY);
  for (let i = 0; i < 5; i++) d.record(g, `SELECT ${i}`, 1, 0, 0);
  d.reset();
  t.deepEqual(d.query(), []);
  g = d.record(g, 'SELECT ?', 1, 0, 0);
  t.true(g.live);
  t.is(d.query().length, 1);
  t.is(d.query()[0]?.calls, 1);
});

test('a group dropped by eviction is looked up again', (t) => {
  const d = new QueryDigests({ maxEntries: 1, now: fakeClock().now });
  const a = d.group(KEY);
  const b = d.group({ ...KEY, requestTag: 'x' });
  d.record(a, 'A', 1, 0, 0);
  d.record(b, 'B', 1, 0, 0); // evicts A: group a is empty and dropped
  t.false(a.live);
  const again = d.record(a, 'A', 1, 0, 0);
  t.true(again.live);
  const calls = d.query().reduce((n, e) => n + e.calls, 0);
  t.is(calls, 3);
});

test('times given with a fraction are reported as whole milliseconds', (t) => {
  const d = new QueryDigests();
  d.record(d.group(KEY), 'A', 1.5, 0, 0, 1_700_000_000_123.75);
  t.like(d.query()[0], { firstSeenMs: 1_700_000_000_123, lastSeenMs: 1_700_000_000_123, totalUs: 2 });
});
