/**
 * The pinned connection goes back exactly once: reset when a statement may have changed session
 * state, destroyed when the connection broke or was killed, also when an abort races the end.
 */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { hang } from './helpers/fake-backend.js';
import { begin, commit, execute, harness, opened, query, rollback } from './helpers/setup.js';

const SHUTDOWN = new GatewayError(Code.UNAVAILABLE, 'SHUTTING_DOWN', 'the gateway is shutting down');

for (const [label, sql] of [
  ['SET of a user variable', 'SET @x = 1'],
  ['CREATE TEMPORARY TABLE', 'CREATE TEMPORARY TABLE tmp (a INT)'],
] as const) {
  test(`after ${label} the connection is released with a reset`, async (t) => {
    const h = harness();
    h.session.push(begin('b'));
    h.session.push(execute('x', sql));
    h.session.push(commit('c'));
    await h.events.ended();
    t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: true }]);
  });
}

test('a session-state statement makes the rolled back connection reset too', async (t) => {
  const h = harness();
  h.session.push(begin('b'));
  h.session.push(query('q', 'SELECT @x := 1'));
  h.session.push(rollback('r'));
  await h.events.ended();
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: true }]);
});

test('plain statements leave the connection released without a reset', async (t) => {
  const h = harness();
  h.session.push(begin('b'));
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  h.session.push(query('q', 'SELECT 1'));
  h.session.push(commit('c'));
  await h.events.ended();
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('a dirty connection that broke is destroyed, not reset', async (t) => {
  const h = harness();
  await opened(h);
  h.session.push(execute('x', 'SET @x = 1'));
  await h.events.waitFor('executed', 'x');
  h.primary.on(/^UPDATE/, hang);
  h.session.push(execute('y', 'UPDATE t SET a = 1'));
  const call = await h.primary.started(/^UPDATE/);
  call.conn.lose();
  await h.events.ended();
  t.deepEqual(
    h.primary.leases[0]?.ends.map((e) => e.kind),
    ['destroy'],
  );
});

test('abort racing a commit in flight: the lease ends once, the stream ends once, the outcome is unknown', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on('COMMIT', hang);
  h.session.push(commit('c'));
  await h.primary.started('COMMIT');
  await h.session.abort(SHUTDOWN);
  t.is(h.primary.leases[0]?.ends.length, 1);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(h.events.ends.length, 1);
  t.like(h.events.ends[0]?.err, { reason: 'COMMIT_OUTCOME_UNKNOWN', mayHaveExecuted: true });
  t.deepEqual(h.outcomes, ['aborted']);
});

test('abort, half-close and the deadline together still end the lease and the stream once', async (t) => {
  const h = harness();
  await opened(h);
  h.primary.on(/^UPDATE/, hang);
  h.session.push(execute('x', 'UPDATE t SET a = 1'));
  await h.primary.started(/^UPDATE/);
  h.session.halfClose();
  h.callSignal.abort(new GatewayError(Code.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED', 'deadline'));
  await h.session.abort(SHUTDOWN);
  await h.session.whenEnded();
  t.is(h.primary.leases.length, 1);
  t.is(h.primary.leases[0]?.ends.length, 1);
  t.is(h.events.ends.length, 1);
  t.is(h.events.ends[0]?.err?.reason, 'DEADLINE_EXCEEDED', 'the first reason wins');
  t.deepEqual(h.outcomes, ['aborted']);
});
