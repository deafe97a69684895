/**
 * How a Query's answer leaves: one `result` message when the request accepts it and the rows fit
 * in one batch, the contract's stream otherwise, in the same order the session produced them.
 */
import test from 'ava';
import { QueryAnswer, type QueryStream } from '../../../src/server/query-answer.js';

class FakeStream implements QueryStream {
  readonly written: object[] = [];
  ended = false;
  full = false;
  drains: (() => void)[] = [];
  write(message: object): boolean {
    if (this.ended) throw new Error('write after end');
    this.written.push(message);
    return !this.full;
  }
  once(_event: 'drain', cb: () => void): void {
    this.drains.push(cb);
  }
  end(): void {
    this.ended = true;
  }
}

const COLUMNS = [{ name: 'c' }] as never[];
const STATS = { row_count: '1' };

test('accepted, one batch: one result message holding columns, rows and stats', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, true);
  a.columns(COLUMNS);
  t.true(a.rows('batch-1'));
  t.deepEqual(s.written, [], 'nothing leaves before the statement ends');
  a.finish(STATS);
  t.deepEqual(s.written, [
    { result: { metadata: { columns: COLUMNS }, rows: { rows: 'batch-1' }, stats: STATS } },
  ]);
  t.true(s.ended);
});

test('accepted, no rows: one result message without rows', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, true);
  a.columns([]);
  a.finish(STATS);
  t.deepEqual(s.written, [{ result: { metadata: { columns: [] }, stats: STATS } }]);
});

test('accepted, a second batch: what was held leaves first, then the stream goes on as usual', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, true);
  a.columns(COLUMNS);
  a.rows('batch-1');
  a.rows('batch-2');
  a.rows('batch-3');
  a.finish(STATS);
  t.deepEqual(s.written, [
    { metadata: { columns: COLUMNS } },
    { rows: { rows: 'batch-1' } },
    { rows: { rows: 'batch-2' } },
    { rows: { rows: 'batch-3' } },
    { stats: STATS },
  ]);
});

test('accepted, streaming: a full client buffer is reported (flow control holds)', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, true);
  a.columns(COLUMNS);
  t.true(a.rows('batch-1'));
  s.full = true;
  t.false(a.rows('batch-2'));
  let drained = false;
  a.onceDrain(() => {
    drained = true;
  });
  for (const cb of s.drains) cb();
  t.true(drained);
});

test('not accepted: the contract stream, even for one batch', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, false);
  a.columns(COLUMNS);
  a.rows('batch-1');
  a.finish(STATS);
  t.deepEqual(s.written, [
    { metadata: { columns: COLUMNS } },
    { rows: { rows: 'batch-1' } },
    { stats: STATS },
  ]);
});

test('a failed call drops what was held: nothing is written', (t) => {
  const s = new FakeStream();
  const a = new QueryAnswer(s, true);
  a.columns(COLUMNS);
  a.rows('batch-1');
  a.drop();
  t.deepEqual(s.written, []);
  t.false(s.ended);
});
