/**
 * Transaction replay over fake backends: the result checksum, the log's bounds, and the session
 * replaying on a new connection when its own is lost before COMMIT (or not, when it must not).
 */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import type { ExecuteTotals, QueryTotals, ResultColumn } from '../../../src/session/commands.js';
import {
  DEFAULT_REPLAY_SETTINGS,
  ReplayLog,
  ResultChecksum,
  replayTransaction,
} from '../../../src/session/transaction-replay.js';
import type { WireValue } from '../../../src/sql/values.js';
import { ok, rowsResult } from './helpers/fake-backend.js';
import { networkError, serverError } from './helpers/fake-connection.js';
import { fakeCluster } from './helpers/fake-cluster.js';
import { begin, commit, execute, flush, harness, newRunner, opened, query } from './helpers/setup.js';
import { FakeClock } from '../pool/helpers/fake-clock.js';
import { CallAbort } from '../../../src/abort-signal.js';

const COL = { name: 'a', type: 'COLUMN_TYPE_LONGLONG', type_name: 'BIGINT' } as unknown as ResultColumn;
const DONE: QueryTotals = { rowCount: 1, warningCount: 0, backend: 'p', backendRole: 'primary', bytes: 8 };
const EXEC: ExecuteTotals = {
  affectedRows: 1,
  lastInsertId: '7',
  warningCount: 0,
  info: '',
  backend: 'p',
  consistencyToken: '',
};

/** Checksum of a query result: columns, rows, totals. */
function queryDigest(columns: ResultColumn[], rows: WireValue[][], totals = DONE): string {
  const sum = new ResultChecksum();
  sum.columns(columns);
  for (const r of rows) sum.row(r);
  sum.done(totals);
  return sum.digest();
}

function execDigest(totals: ExecuteTotals): string {
  const sum = new ResultChecksum();
  sum.executed(totals);
  return sum.digest();
}

test('equal results have equal checksums', (t) => {
  const rows = [
    [{ int64_value: '1' }, { bytes_value: Buffer.from([0, 1]) }, { null_value: 'NULL_VALUE' }],
  ] as WireValue[][];
  t.is(queryDigest([COL], rows), queryDigest([COL], structuredClone(rows)));
  t.is(execDigest(EXEC), execDigest({ ...EXEC, backend: 'elsewhere', consistencyToken: '0-1-2' }));
});

const differences: { name: string; a: string; b: string }[] = [
  {
    name: 'a value',
    a: queryDigest([COL], [[{ int64_value: '1' }]]),
    b: queryDigest([COL], [[{ int64_value: '2' }]]),
  },
  {
    name: 'a value of another kind with the same text',
    a: queryDigest([COL], [[{ int64_value: '1' }]]),
    b: queryDigest([COL], [[{ string_value: '1' }]]),
  },
  {
    name: 'values split differently across columns',
    a: queryDigest([COL, COL], [[{ string_value: 'ab' }, { string_value: 'c' }]]),
    b: queryDigest([COL, COL], [[{ string_value: 'a' }, { string_value: 'bc' }]]),
  },
  {
    name: 'a column type',
    a: queryDigest([COL], []),
    b: queryDigest([{ ...COL, type: 'COLUMN_TYPE_VARCHAR' } as ResultColumn], []),
  },
  {
    name: 'one row more',
    a: queryDigest([COL], [[{ int64_value: '1' }]]),
    b: queryDigest([COL], [[{ int64_value: '1' }], [{ int64_value: '1' }]]),
  },
  {
    name: 'a warning count',
    a: queryDigest([COL], [], DONE),
    b: queryDigest([COL], [], { ...DONE, warningCount: 1 }),
  },
  { name: 'affected rows', a: execDigest(EXEC), b: execDigest({ ...EXEC, affectedRows: 2 }) },
  { name: 'the last insert id', a: execDigest(EXEC), b: execDigest({ ...EXEC, lastInsertId: '8' }) },
  { name: 'warnings of a write', a: execDigest(EXEC), b: execDigest({ ...EXEC, warningCount: 3 }) },
  {
    name: 'an error instead of a result',
    a: execDigest(EXEC),
    b: (() => {
      const s = new ResultChecksum();
      s.error(GatewayError.from(serverError(1062, '23000', 'dup')));
      return s.digest();
    })(),
  },
  {
    name: 'another errno',
    a: (() => {
      const s = new ResultChecksum();
      s.error(GatewayError.from(serverError(1062, '23000', 'dup')));
      return s.digest();
    })(),
    b: (() => {
      const s = new ResultChecksum();
      s.error(GatewayError.from(serverError(1452, '23000', 'fk')));
      return s.digest();
    })(),
  },
];
for (const { name, a, b } of differences) {
  test(`the checksum differs on ${name}`, (t) => {
    t.not(a, b);
  });
}

const SETTINGS = {
  replayTimeoutMs: 1000,
  replayMaxStatements: 3,
  replayMaxBytes: 100,
  replayOnDeadlock: false,
};
const stmt = (sql: string, params: WireValue[] = []) => ({ sql, params, maxRowsPerBatch: 0 });

test('the log keeps statements up to the count bound, then turns replay off and forgets them', (t) => {
  const log = new ReplayLog(SETTINGS);
  for (let i = 0; i < 3; i++) t.true(log.record('execute', stmt(`DO ${i}`), 'x'));
  t.is(log.statements.length, 3);
  t.false(log.record('execute', stmt('DO 4'), 'x'));
  t.false(log.enabled);
  t.regex(log.disabledWhy, /replayMaxStatements/);
  t.is(log.statements.length, 0);
  t.false(log.record('execute', stmt('DO 5'), 'x'), 'stays off');
});

test('the log counts SQL and parameter bytes against the byte bound', (t) => {
  const log = new ReplayLog(SETTINGS);
  t.true(log.record('execute', stmt('INSERT INTO t VALUES (?)', [{ string_value: 'x'.repeat(50) }]), 'x'));
  t.is(log.recordedBytes, 24 + 50);
  t.false(log.record('execute', stmt('DO ?', [{ bytes_value: Buffer.alloc(30) }]), 'x'));
  t.regex(log.disabledWhy, /replayMaxBytes/);
});

/** A primary whose SELECT returns `values()` each time it runs. */
function selectReturns(h: ReturnType<typeof harness>, values: () => WireValue[][]) {
  h.primary.on(/^SELECT/, (call) => rowsResult(['a'], values())(call));
}

test('a statement that finds the connection lost replays the transaction on a new connection and runs there', async (t) => {
  const h = harness();
  h.primary.on(/^INSERT/, () => ok({ affectedRows: 1, insertId: 5 }));
  selectReturns(h, () => [[{ int64_value: '1' }]]);
  await opened(h, begin('b', { replay: true }));
  h.session.push(execute('i', 'INSERT INTO t VALUES (?)', [{ int64_value: '1' }]));
  h.session.push(query('s', 'SELECT a FROM t'));
  await h.events.waitFor('done', 's');
  h.primary.once(/^UPDATE/, () => {
    throw networkError();
  });
  h.session.push(execute('u', 'UPDATE t SET a = 2'));
  await h.events.waitFor('executed', 'u');
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.is(end.err, undefined);
  t.deepEqual(h.events.trail, [
    'begun:b',
    'executed:i',
    'columns:s',
    'rows:s',
    'done:s',
    'replayed',
    'executed:u',
    'committed:c',
    'end',
  ]);
  t.like(h.events.events.find((e) => e.type === 'replayed')?.data, {
    backend: 'primary:3306',
    connectionId: 101,
    previousConnectionId: 100,
    statements: 2,
  });
  t.deepEqual(
    h.primary.runs.filter((r) => r.conn.threadId === 101).map((r) => r.sql),
    ['START TRANSACTION', 'INSERT INTO t VALUES (?)', 'SELECT a FROM t', 'UPDATE t SET a = 2', 'COMMIT'],
  );
  t.is(h.primary.leases[0]?.ends.length, 1);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.deepEqual(h.primary.leases[1]?.ends, [{ kind: 'release', reset: false }]);
  t.deepEqual(h.outcomes, ['committed']);
});

test('a different result on replay ends the stream ABORTED REPLAY_MISMATCH naming the statement, never its values', async (t) => {
  const h = harness();
  let n = 0;
  selectReturns(h, () => [[{ string_value: `secret-${n++}` }]]);
  await opened(h, begin('b', { replay: true }));
  h.session.push(query('s', 'SELECT NOW(6)'));
  await h.events.waitFor('done', 's');
  h.primary.once(/^INSERT/, () => {
    throw networkError();
  });
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.like(end.err, { code: Code.ABORTED, reason: 'REPLAY_MISMATCH' });
  t.regex(end.err?.message ?? '', /statement 1 of 1/);
  t.notRegex(end.err?.message ?? '', /secret/);
  t.is(h.events.events.filter((e) => e.type === 'rows').length, 1, 're-run rows never reach the client');
  t.false(h.events.trail.includes('replayed'));
  t.false(h.primary.runs.some((r) => r.conn.threadId === 101 && r.sql.startsWith('INSERT')));
  t.is(h.primary.leases[1]?.ends.length, 1, 'the replay connection is handed back once');
  t.is(h.events.failure('c')?.reason, 'TRANSACTION_ENDED');
});

test('without replay a lost connection ends the transaction as before: one acquire, TRANSACTION_ROLLED_BACK', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.once(/^INSERT/, () => {
    throw networkError();
  });
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_ROLLED_BACK');
  t.is(h.primary.acquires, 1);
});

test('the cluster default turns replay on for a begin that does not ask', async (t) => {
  const h = harness({ replayByDefault: (cluster) => cluster === 'default' });
  await opened(h);
  h.primary.once(/^INSERT/, () => {
    throw networkError();
  });
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  await h.events.waitFor('executed', 'i');
  t.true(h.events.trail.includes('replayed'));
  t.is(h.primary.acquires, 2);
});

test('past the statement bound the transaction is no longer replayed', async (t) => {
  const h = harness({ settings: { replayMaxStatements: 2 } });
  await opened(h, begin('b', { replay: true }));
  for (const id of ['1', '2', '3']) h.session.push(execute(id, `INSERT INTO t VALUES (${id})`));
  await h.events.waitFor('executed', '3');
  h.primary.once(/^UPDATE/, () => {
    throw networkError();
  });
  h.session.push(execute('u', 'UPDATE t SET a = 2'));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_ROLLED_BACK');
  t.is(h.primary.acquires, 1);
});

test('a connection lost during COMMIT is never replayed: COMMIT_OUTCOME_UNKNOWN', async (t) => {
  const h = harness();
  await opened(h, begin('b', { replay: true }));
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  await h.events.waitFor('executed', 'i');
  h.primary.once('COMMIT', () => {
    throw networkError();
  });
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.like(end.err, { reason: 'COMMIT_OUTCOME_UNKNOWN', mayHaveExecuted: true });
  t.is(h.primary.acquires, 1);
});

test('a connection lost while idle is replayed before COMMIT is sent, and COMMIT goes to the new one', async (t) => {
  const h = harness();
  await opened(h, begin('b', { replay: true }));
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  await h.events.waitFor('executed', 'i');
  h.primary.leases[0]?.conn.lose();
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.is(end.err, undefined);
  t.deepEqual(h.events.trail.slice(-3), ['replayed', 'committed:c', 'end']);
  t.false(h.primary.runs.some((r) => r.conn.threadId === 100 && r.sql === 'COMMIT'));
  t.deepEqual(
    h.primary.runs.filter((r) => r.conn.threadId === 101).map((r) => r.sql),
    ['START TRANSACTION', 'INSERT INTO t VALUES (1)', 'COMMIT'],
  );
});

test('a query that already sent its columns when the connection broke is not replayed', async (t) => {
  const h = harness();
  await opened(h, begin('b', { replay: true }));
  h.primary.once(/^SELECT/, (call) => {
    rowsResult(['a'], [])(call);
    throw networkError();
  });
  h.session.push(query('s', 'SELECT a FROM t'));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_ROLLED_BACK');
  t.is(h.primary.acquires, 1);
});

test('a deadlock replays only with replayOnDeadlock; the deadlocked connection goes back to the pool', async (t) => {
  const deadlock = () => {
    throw serverError(1213, '40001', 'Deadlock found');
  };
  const off = harness();
  await opened(off, begin('b', { replay: true }));
  off.primary.once(/^UPDATE/, deadlock);
  off.session.push(execute('u', 'UPDATE t SET a = 1'));
  t.is((await off.events.ended()).err?.reason, 'DEADLOCK');

  const on = harness({ settings: { replayOnDeadlock: true } });
  await opened(on, begin('b', { replay: true }));
  on.primary.once(/^UPDATE/, deadlock);
  on.session.push(execute('u', 'UPDATE t SET a = 1'));
  await on.events.waitFor('executed', 'u');
  t.true(on.events.trail.includes('replayed'));
  t.deepEqual(on.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  on.session.push(commit('c'));
  t.is((await on.events.ended()).err, undefined);
  await flush();
});

test('a replay that cannot reach the cluster before its timeout ends REPLAY_FAILED and leaks nothing', async (t) => {
  const h = harness({ settings: { replayTimeoutMs: 1 } });
  await opened(h, begin('b', { replay: true }));
  h.primary.onAcquire = () => {
    throw networkError('ECONNREFUSED');
  };
  h.primary.leases[0]?.conn.lose();
  h.session.push(execute('i', 'INSERT INTO t VALUES (1)'));
  // The retry waits on the fake clock: move it on until the stream ends.
  const end = h.events.ended();
  for (let i = 0; i < 20 && h.events.ends.length === 0; i++) {
    await flush();
    await h.clock.advance(100);
  }
  t.like((await end).err, { code: Code.UNAVAILABLE, reason: 'REPLAY_FAILED' });
  t.is(h.primary.leases.length, 1);
  t.is(h.primary.leases[0]?.ends.length, 1);
});

test('afterBegin runs on the new connection between BEGIN and the re-run statements', async (t) => {
  const { cluster, primary } = fakeCluster();
  const log = new ReplayLog(DEFAULT_REPLAY_SETTINGS);
  log.record(
    'execute',
    stmt('INSERT INTO t VALUES (1)'),
    execDigest({ ...EXEC, lastInsertId: '0', affectedRows: 0 }),
  );
  const replayed = await replayTransaction({
    cluster,
    begin: { cluster: '', isolationLevel: 'READ COMMITTED', readOnly: false, idleTimeoutMs: 0 },
    log,
    runner: newRunner(),
    settings: DEFAULT_REPLAY_SETTINGS,
    ctx: { signal: new CallAbort() },
    clock: new FakeClock(),
    afterBegin: async (backend, conn, ctx) => {
      await backend.run(conn, { sql: 'INSERT INTO keys VALUES (?)', params: ['k'] }, undefined, ctx);
    },
  });
  t.deepEqual(primary.sqls, [
    'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',
    'START TRANSACTION',
    'INSERT INTO keys VALUES (?)',
    'INSERT INTO t VALUES (1)',
  ]);
  t.is(replayed.statements, 1);
  replayed.lease.release();
});
