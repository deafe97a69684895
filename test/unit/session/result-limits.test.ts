/**
 * StatementRunner.streamRows with a result that breaks a limit: the statement is aborted on its
 * backend (KILL QUERY, connection poisoned) and the caller gets the limit's error, not whatever
 * the killed statement reported; a slow client pauses the connection the statement runs on.
 */
import test from 'ava';
import { CallAbort } from '../../../src/abort-signal.js';
import { Code } from '../../../src/errors.js';
import { checkStatement } from '../../../src/session/statement.js';
import { classifyStatement } from '../../../src/sql/classify.js';
import { FakeBackend, hang, rowsResult } from './helpers/fake-backend.js';
import { FakeConnection } from './helpers/fake-connection.js';
import { RecordingSink } from './helpers/fake-row-batch.js';
import { LIMITS, newRunner } from './helpers/setup.js';

const SQL = 'SELECT n FROM numbers';

function setup(limits: Partial<typeof LIMITS>, bytesPerRow = 10) {
  const backend = new FakeBackend('primary:3306');
  const conn = new FakeConnection(42);
  const runner = newRunner(limits, bytesPerRow);
  const stmt = checkStatement(SQL, [], { ...LIMITS, ...limits }, 'query', classifyStatement);
  const sink = new RecordingSink();
  const ctx = { signal: new CallAbort() };
  const stream = (maxRowsPerBatch = 0) =>
    runner.streamRows(backend.backend, conn.db, stmt, sink, maxRowsPerBatch, ctx);
  return { backend, conn, sink, stream };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => [i]);

for (const [label, limits, reason] of [
  ['ROW_LIMIT', { maxRowsPerQuery: 10 }, 'ROW_LIMIT'],
  ['BYTE_LIMIT', { maxBytesPerQuery: 55 }, 'BYTE_LIMIT'],
] as const) {
  test(`${label}: the statement is aborted on its backend and the caller gets RESOURCE_EXHAUSTED ${reason}`, async (t) => {
    const s = setup(limits);
    s.backend.on(SQL, (call) => {
      rowsResult(['n'], many(100))(call);
      return hang(call);
    });
    const err = await t.throwsAsync(s.stream());
    t.like(err, { code: Code.RESOURCE_EXHAUSTED, reason });
    t.is(s.backend.aborted.length, 1, 'aborted once');
    t.is(s.backend.aborted[0]?.conn, s.conn);
    t.is(s.backend.aborted[0]?.reason as unknown, err);
    t.true(s.conn.broken, 'the connection is poisoned: its lease holder destroys it');
  });
}

test('the limit error wins over the error the killed statement reports', async (t) => {
  const s = setup({ maxRowsPerQuery: 3 });
  s.backend.killOnly = true;
  s.backend.on(SQL, (call) => {
    rowsResult(['n'], many(5))(call);
    throw Object.assign(new Error('Query execution was interrupted'), { errno: 1317, sqlState: '70100' });
  });
  t.like(await t.throwsAsync(s.stream()), { reason: 'ROW_LIMIT' });
});

test('a slow client pauses the connection the statement runs on; drain resumes it', async (t) => {
  const s = setup({});
  s.sink.accept = false;
  s.backend.on(SQL, (call) => {
    rowsResult(['n'], many(6))(call);
    return hang(call);
  });
  const running = s.stream(2);
  await s.backend.started(SQL);
  t.is(s.conn.pauses, 1);
  s.sink.drain();
  t.is(s.conn.resumes, 1);
  s.conn.lose();
  await t.throwsAsync(running);
});

test('a complete result resolves with its totals, flushing the tail without pausing', async (t) => {
  const s = setup({});
  s.sink.accept = false;
  s.backend.on(SQL, rowsResult(['n'], many(5)));
  const totals = await s.stream(0);
  t.like(totals, { rowCount: 5, bytes: 50, backend: 'primary:3306', backendRole: 'primary' });
  t.deepEqual(s.sink.batchSizes, [5]);
  t.is(s.conn.pauses, 0);
});
