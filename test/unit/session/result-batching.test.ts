/**
 * ResultBatcher under a slow reader: batches cut by rows and bytes, the connection paused once
 * while the client is behind and resumed on drain, never paused by finish(), result limits that
 * abort the statement, and a second result set refused.
 */
import test from 'ava';
import { Code, type GatewayError } from '../../../src/errors.js';
import { type BatchLimits, ResultBatcher } from '../../../src/session/result-stream.js';
import { batchLimits } from '../../../src/session/statement-runner.js';
import { flush } from '../pool/helpers/fake-clock.js';
import { fakeShape } from './helpers/fake-backend.js';
import { FakeConnection } from './helpers/fake-connection.js';
import { FakeRowBatch, RecordingSink } from './helpers/fake-row-batch.js';
import { LIMITS } from './helpers/setup.js';

const ROOMY: BatchLimits = {
  maxRowsPerBatch: 1000,
  maxBatchBytes: 1_000_000,
  maxRowsPerQuery: 0,
  maxBytesPerQuery: 0,
};

function setup(limits: Partial<BatchLimits> = {}, bytesPerRow = 10) {
  const conn = new FakeConnection(7);
  const sink = new RecordingSink();
  const batch = new FakeRowBatch(bytesPerRow);
  const limitFailures: GatewayError[] = [];
  const batcher = new ResultBatcher(conn.db, sink, batch, { ...ROOMY, ...limits }, (err) =>
    limitFailures.push(err),
  );
  /** Columns, then `n` rows numbered from `from`, all in one synchronous burst (one socket read). */
  const rows = (n: number, from = 1) => {
    for (let i = 0; i < n; i++) batcher.row([from + i]);
  };
  batcher.fields([], 'binary', fakeShape(['n']));
  return { conn, sink, batch, batcher, limitFailures, rows };
}

test('rows parsed from one socket read go out together, once the read has been parsed', async (t) => {
  const s = setup();
  s.rows(3);
  t.deepEqual(s.sink.batches, [], 'nothing sent while rows are still arriving');
  await flush();
  t.deepEqual(s.sink.batches, [[[1], [2], [3]]]);
  t.deepEqual(s.sink.columnCalls, [fakeShape(['n']).columns]);
});

test('batches are cut at maxRowsPerBatch', async (t) => {
  const s = setup({ maxRowsPerBatch: 4 });
  s.rows(10);
  t.deepEqual(s.sink.batchSizes, [4, 4], 'full batches go at once');
  await flush();
  t.deepEqual(s.sink.batchSizes, [4, 4, 2]);
  t.deepEqual(s.sink.batches.flat().flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'in order, none lost');
});

test('batches are cut once their encoded rows reach maxBatchBytes', (t) => {
  const s = setup({ maxBatchBytes: 250 }, 100);
  s.rows(7);
  t.deepEqual(s.sink.batchSizes, [3, 3]);
  s.batcher.finish();
  t.deepEqual(s.sink.batchSizes, [3, 3, 1]);
  t.is(s.batcher.bytes, 700);
  t.is(s.batcher.rowCount, 7);
});

test('a client that is behind pauses the connection once; drain resumes it', (t) => {
  const s = setup({ maxRowsPerBatch: 2 });
  s.sink.accept = false;
  s.rows(6);
  t.is(s.sink.batches.length, 3);
  t.is(s.conn.pauses, 1, 'paused once, not once per batch');
  t.is(s.sink.drainWaiters.length, 1, 'one drain wait');
  t.is(s.conn.resumes, 0);
  s.sink.accept = true;
  s.sink.drain();
  t.is(s.conn.resumes, 1);
  t.false(s.conn.paused);
  s.sink.accept = false;
  s.rows(2, 7);
  t.is(s.conn.pauses, 2, 'behind again: paused again');
});

test('a client keeping up never pauses the connection', async (t) => {
  const s = setup({ maxRowsPerBatch: 2 });
  s.rows(6);
  await flush();
  t.is(s.conn.pauses, 0);
  t.is(s.sink.drainWaiters.length, 0);
});

test('finish() sends what is left without pausing, even when the client is behind', (t) => {
  const s = setup();
  s.sink.accept = false;
  s.rows(3);
  s.batcher.finish();
  t.deepEqual(s.sink.batchSizes, [3]);
  t.is(s.conn.pauses, 0, 'the next command could not start on a paused connection');
  t.is(s.sink.drainWaiters.length, 0);
});

test('finish() cancels the scheduled flush: nothing is sent twice', async (t) => {
  const s = setup();
  s.rows(2);
  s.batcher.finish();
  await flush();
  t.deepEqual(s.sink.batchSizes, [2]);
});

test('finish() sends empty columns when the statement returned none, and columns only once', (t) => {
  const conn = new FakeConnection(1);
  const sink = new RecordingSink();
  const batcher = new ResultBatcher(conn.db, sink, new FakeRowBatch(), ROOMY, () => {});
  batcher.finish();
  t.deepEqual(sink.columnCalls, [[]]);
  t.deepEqual(sink.batches, []);

  const s = setup();
  s.batcher.finish();
  t.deepEqual(s.sink.columnCalls, [fakeShape(['n']).columns], 'not followed by empty columns');
});

test('more rows than maxRowsPerQuery: RESOURCE_EXHAUSTED ROW_LIMIT through onLimit, pending rows discarded', async (t) => {
  const s = setup({ maxRowsPerBatch: 2, maxRowsPerQuery: 5 });
  s.rows(8);
  t.is(s.limitFailures.length, 1, 'onLimit called once');
  t.like(s.limitFailures[0], { code: Code.RESOURCE_EXHAUSTED, reason: 'ROW_LIMIT' });
  t.is(s.batcher.failure, s.limitFailures[0]);
  t.true(s.batch.discards >= 1, 'the pending batch is discarded');
  t.is(s.batch.added, 5, 'rows after the failure are not encoded');
  await flush();
  t.deepEqual(s.sink.batchSizes, [2, 2], 'the 5th row never goes out');
});

test('more bytes than maxBytesPerQuery: RESOURCE_EXHAUSTED BYTE_LIMIT through onLimit, nothing more sent', async (t) => {
  const s = setup({ maxBytesPerQuery: 250 }, 100);
  s.rows(5);
  t.is(s.limitFailures.length, 1);
  t.like(s.limitFailures[0], { code: Code.RESOURCE_EXHAUSTED, reason: 'BYTE_LIMIT' });
  t.is(s.batch.added, 3);
  await flush();
  t.deepEqual(s.sink.batches, []);
});

test('limits of 0 mean unlimited', async (t) => {
  const s = setup({ maxRowsPerQuery: 0, maxBytesPerQuery: 0 });
  s.rows(5000);
  await flush();
  t.is(s.limitFailures.length, 0);
  t.is(s.sink.batches.flat().length, 5000);
});

test('a second result set fails FAILED_PRECONDITION MULTIPLE_RESULT_SETS through onLimit', async (t) => {
  const s = setup();
  s.rows(2);
  s.batcher.fields([], 'binary', fakeShape(['m']));
  s.rows(2, 3);
  t.is(s.limitFailures.length, 1);
  t.like(s.limitFailures[0], { code: Code.FAILED_PRECONDITION, reason: 'MULTIPLE_RESULT_SETS' });
  t.is(s.sink.columnCalls.length, 1, 'the second columns never reach the client');
  await flush();
  t.deepEqual(s.sink.batches, [], 'the first result set is not half sent');
});

test('discard() drops pending rows and the scheduled flush', async (t) => {
  const s = setup();
  s.rows(3);
  s.batcher.discard();
  await flush();
  t.deepEqual(s.sink.batches, []);
  t.true(s.batch.discards >= 1);
});

test("the caller's batch size is clamped to limits.maxRowsPerBatch; 0 means limits.defaultRowsPerBatch", (t) => {
  const limits = { ...LIMITS, maxRowsPerBatch: 100, defaultRowsPerBatch: 50 };
  t.is(batchLimits(limits, 0).maxRowsPerBatch, 50);
  t.is(batchLimits(limits, 7).maxRowsPerBatch, 7);
  t.is(batchLimits(limits, 100).maxRowsPerBatch, 100);
  t.is(batchLimits(limits, 5000).maxRowsPerBatch, 100);
});
