/**
 * How a Query's answer leaves: one `result` message when the request accepts it and the rows fit
 * in one batch, the contract's stream otherwise, in the same order the session produced them.
 */
import test from 'ava';
import { QueryAnswer, type QueryStream, StatementAnswers } from '../../../src/server/query-answer.js';

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

class Sent {
  readonly out: object[] = [];
  readonly send = (m: object): boolean => {
    this.out.push(m);
    return true;
  };
}

test('Transaction: an accepting query in one batch is one query_result; the next query streams unless it accepts', (t) => {
  const s = new Sent();
  const a = new StatementAnswers(s.send);
  a.query('1', true);
  a.query('2', false);
  a.columns('1', COLUMNS);
  a.rows('1', 'b1');
  a.done('1', STATS);
  a.columns('2', COLUMNS);
  a.rows('2', 'b2');
  a.done('2', STATS);
  t.deepEqual(s.out, [
    { request_id: '1', query_result: { metadata: { columns: COLUMNS }, rows: { rows: 'b1' }, stats: STATS } },
    { request_id: '2', metadata: { columns: COLUMNS } },
    { request_id: '2', rows: { rows: 'b2' } },
    { request_id: '2', done: STATS },
  ]);
});

test('Transaction: a second batch releases what was held, in order', (t) => {
  const s = new Sent();
  const a = new StatementAnswers(s.send);
  a.query('q', true);
  a.columns('q', COLUMNS);
  a.rows('q', 'b1');
  a.rows('q', 'b2');
  a.done('q', STATS);
  t.deepEqual(s.out, [
    { request_id: 'q', metadata: { columns: COLUMNS } },
    { request_id: 'q', rows: { rows: 'b1' } },
    { request_id: 'q', rows: { rows: 'b2' } },
    { request_id: 'q', done: STATS },
  ]);
});

test('Transaction: a request_id shared by a query that did not accept streams; a failure drops what was held', (t) => {
  const s = new Sent();
  const a = new StatementAnswers(s.send);
  a.query('x', true);
  a.query('x', false);
  a.columns('x', COLUMNS);
  a.done('x', STATS);
  t.deepEqual(s.out, [
    { request_id: 'x', metadata: { columns: COLUMNS } },
    { request_id: 'x', done: STATS },
  ]);
  s.out.length = 0;
  a.query('y', true);
  a.columns('y', COLUMNS);
  a.rows('y', 'b');
  a.forget('y');
  t.deepEqual(s.out, [], 'nothing of the failed query leaves');
  a.query('z', false);
  a.columns('z', COLUMNS);
  t.deepEqual(s.out, [{ request_id: 'z', metadata: { columns: COLUMNS } }]);
});
