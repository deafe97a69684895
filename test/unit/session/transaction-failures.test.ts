/**
 * Statements and commits that fail: errors that leave the transaction open, errors after which
 * MySQL rolled it back (deadlock), the pinned connection breaking, and commit losing it.
 */
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { hang, rowsResult } from './helpers/fake-backend.js';
import { networkError, serverError } from './helpers/fake-connection.js';
import { commit, execute, harness, opened, query } from './helpers/setup.js';

test('a statement error that does not roll back is answered in-band; the transaction stays open and can commit', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^INSERT/, () => {
    throw serverError(1062, '23000', "Duplicate entry '1' for key 'PRIMARY'");
  });
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.like(h.events.failure('x'), { code: Code.ALREADY_EXISTS, transactionRolledBack: false });
  t.deepEqual(h.events.trail, ['begun:b', 'failed:x', 'committed:c', 'end']);
  t.is(end.err, undefined);
});

test('a deadlock (MySQL rolled back) is answered in-band and ends the stream; later requests get TRANSACTION_ENDED', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^UPDATE/, () => {
    throw serverError(1213, '40001', 'Deadlock found when trying to get lock');
  });
  h.session.push(execute('x', 'UPDATE t SET a = 1'));
  h.session.push(execute('y', 'INSERT INTO t VALUES (2)'));
  const end = await h.events.ended();
  t.like(h.events.failure('x'), { code: Code.ABORTED, reason: 'DEADLOCK', transactionRolledBack: true });
  t.like(end.err, { code: Code.ABORTED, reason: 'DEADLOCK' });
  t.regex(end.err?.message ?? '', /rolled back/);
  t.is(h.events.failure('y')?.reason, 'TRANSACTION_ENDED');
  t.deepEqual(h.events.trail, ['begun:b', 'failed:x', 'failed:y', 'end']);
  t.false(h.primary.sqls.includes('INSERT INTO t VALUES (2)'));
  t.deepEqual(
    h.primary.leases[0]?.ends,
    [{ kind: 'release', reset: false }],
    'the connection itself is fine',
  );
});

test('the connection breaking mid-statement: rolled back in-band, stream ends UNAVAILABLE TRANSACTION_ROLLED_BACK', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^SELECT/, (call) => {
    rowsResult(['a'], [[1]])(call);
    return hang(call);
  });
  h.session.push(query('q', 'SELECT a FROM t'));
  const call = await h.primary.started(/^SELECT/);
  const lost = networkError('PROTOCOL_CONNECTION_LOST');
  call.conn.lose(lost);
  const end = await h.events.ended();
  t.like(h.events.failure('q'), { code: Code.UNAVAILABLE, transactionRolledBack: true });
  t.like(end.err, { code: Code.UNAVAILABLE, reason: 'TRANSACTION_ROLLED_BACK' });
  t.deepEqual(h.events.trail, ['begun:b', 'columns:q', 'failed:q', 'end']);
  t.false(h.primary.sqls.includes('ROLLBACK'), 'nothing is sent on a dead connection');
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'destroy', reason: lost }]);
  t.deepEqual(h.outcomes, ['aborted']);
});

test('an Execute whose connection fails fatally ends the stream TRANSACTION_ROLLED_BACK too', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^INSERT/, () => {
    throw networkError();
  });
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_ROLLED_BACK');
  t.true(h.events.failure('x')?.transactionRolledBack);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
});

test('commit losing the connection ends the stream UNAVAILABLE COMMIT_OUTCOME_UNKNOWN, mayHaveExecuted', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on('COMMIT', () => {
    throw networkError();
  });
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.like(end.err, { code: Code.UNAVAILABLE, reason: 'COMMIT_OUTCOME_UNKNOWN', mayHaveExecuted: true });
  t.deepEqual(h.events.trail, ['begun:b', 'end'], 'neither committed nor rolled back is claimed');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'COMMIT']);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(h.primary.leases[0]?.ends.length, 1);
});

test('commit refused by the server on a live connection: answered in-band as rolled back, ROLLBACK sent, stream ends with it', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on('COMMIT', () => {
    throw serverError(1180, 'HY000', 'Got error during COMMIT');
  });
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.true(h.events.failure('c')?.transactionRolledBack);
  t.is(end.err?.mysqlErrno, 1180);
  t.false(end.err?.mayHaveExecuted);
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'COMMIT', 'ROLLBACK']);
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('a ROLLBACK that fails poisons the connection, which is then destroyed', async (t) => {
  const h = harness();
  await opened(h);
  const failure = serverError(2013, 'HY000', 'Lost connection during query');
  h.primary.on('ROLLBACK', () => {
    throw failure;
  });
  h.session.halfClose();
  await h.events.ended();
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(h.primary.leases[0]?.ends.length, 1);
});
