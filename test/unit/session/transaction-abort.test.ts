/**
 * Ending a transaction from outside: `abort(reason)` (gateway shutdown) and the call's signal
 * (cancel, deadline), while idle and while a statement runs.
 */
import test from 'ava';
import { CallAbort } from '../../../src/abort-signal.js';
import { Code, errors, GatewayError } from '../../../src/errors.js';
import { hang } from './helpers/fake-backend.js';
import { begin, execute, harness, opened, query } from './helpers/setup.js';

const SHUTDOWN = new GatewayError(Code.UNAVAILABLE, 'SHUTTING_DOWN', 'the gateway is shutting down');

test('abort(reason) while idle rolls back, ends the stream with the reason and resolves once the lease is back', async (t) => {
  const h = harness();
  await opened(h);
  await h.session.abort(SHUTDOWN);
  t.is(h.session.state, 'ended');
  t.deepEqual(
    h.primary.leases[0]?.ends,
    [{ kind: 'release', reset: false }],
    'lease back before abort() resolves',
  );
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'ROLLBACK']);
  t.deepEqual(h.events.trail, ['begun:b', 'end']);
  t.is(h.events.ends[0]?.err, SHUTDOWN);
  t.deepEqual(h.outcomes, ['aborted']);
});

test('the rollback after an abort runs although the session signal has fired', async (t) => {
  const h = harness();
  await opened(h);
  await h.session.abort(SHUTDOWN);
  const rollbackRun = h.primary.runs.find((r) => r.sql === 'ROLLBACK');
  t.false(rollbackRun?.ctx.signal.aborted, 'ROLLBACK is not bound by the aborted signal');
});

test('abort(reason) during a statement kills it, destroys the connection and ends the stream with the reason', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^UPDATE/, hang);
  h.session.push(execute('x', 'UPDATE t SET a = 1'));
  await h.primary.started(/^UPDATE/);
  await h.session.abort(SHUTDOWN);
  t.is(h.primary.aborted.length, 1, 'the statement is aborted on the backend');
  t.is(h.primary.aborted[0]?.reason, SHUTDOWN);
  t.true(h.events.failure('x')?.transactionRolledBack, 'the statement is answered as rolled back');
  t.is(h.events.ends[0]?.err, SHUTDOWN);
  t.is(h.events.ends.length, 1);
  t.false(h.primary.sqls.includes('ROLLBACK'), 'no ROLLBACK on a killed connection');
  t.deepEqual(
    h.primary.leases[0]?.ends.map((e) => e.kind),
    ['destroy'],
  );
});

test("the call's deadline firing mid-statement kills the statement and ends the stream DEADLINE_EXCEEDED", async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^SELECT SLEEP/, hang);
  h.session.push(query('q', 'SELECT SLEEP(100)'));
  await h.primary.started(/^SELECT SLEEP/);
  const deadline = errors.deadlineExceeded('DEADLINE_EXCEEDED', 'deadline exceeded');
  h.callSignal.abort(deadline);
  const end = await h.events.ended();
  t.is(end.err, deadline);
  t.is(h.primary.aborted[0]?.reason, deadline);
  t.like(h.events.failure('q'), { code: Code.DEADLINE_EXCEEDED, transactionRolledBack: true });
  t.deepEqual(h.events.trail, ['begun:b', 'failed:q', 'end']);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(h.primary.leases[0]?.ends.length, 1);
  t.is(h.session.state, 'ended');
});

test('the call being cancelled while idle rolls back on the still healthy connection and returns it', async (t) => {
  const h = harness();
  await opened(h);
  const cancelled = new GatewayError(Code.CANCELLED, 'CANCELLED', 'the client cancelled');
  h.callSignal.abort(cancelled);
  const end = await h.events.ended();
  t.is(end.err, cancelled);
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'ROLLBACK']);
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('a call already cancelled when the session opens ends it at once without leasing', async (t) => {
  const signal = new CallAbort();
  const cancelled = new GatewayError(Code.CANCELLED, 'CANCELLED', 'the client cancelled');
  signal.abort(cancelled);
  const h = harness({ callSignal: signal });
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(end.err, cancelled);
  t.is(h.primary.leases.length, 0);
});

test('the call cancelled just as begin gets its connection: nothing starts, the lease is rolled back and returned', async (t) => {
  const h = harness();
  const cancelled = new GatewayError(Code.CANCELLED, 'CANCELLED', 'the client cancelled');
  // The client cancels while the pool is still handing the connection over.
  h.primary.onAcquire = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    h.callSignal.abort(cancelled);
  };
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(end.err, cancelled);
  t.deepEqual(h.primary.sqls, ['ROLLBACK']);
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  t.is(h.events.ends.length, 1);
});

test('abort() twice and after the end resolves without ending anything twice', async (t) => {
  const h = harness();
  await opened(h);
  await Promise.all([h.session.abort(SHUTDOWN), h.session.abort(errors.unavailable('OTHER', 'other'))]);
  await h.session.abort(SHUTDOWN);
  t.is(h.events.ends.length, 1);
  t.is(h.events.ends[0]?.err, SHUTDOWN);
  t.is(h.primary.leases[0]?.ends.length, 1);
});
