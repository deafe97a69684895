/**
 * Requests out of order: before begin, a second begin, behind commit, undecodable ones, and the
 * client half-closing without commit. Which ones end the stream and which are answered in-band.
 */
import test from 'ava';
import { Code, errors } from '../../../src/errors.js';
import { deferred } from '../pool/helpers/fake-hooks.js';
import { begin, commit, execute, harness, invalid, opened, query, rollback } from './helpers/setup.js';

test('a statement before begin ends the stream FAILED_PRECONDITION BEGIN_REQUIRED without leasing anything', async (t) => {
  const h = harness();
  h.session.push(query('q', 'SELECT 1'));
  const end = await h.events.ended();
  t.like(end.err, { code: Code.FAILED_PRECONDITION, reason: 'BEGIN_REQUIRED' });
  t.is(h.primary.acquires, 0);
  t.is(h.session.state, 'ended');
});

for (const first of [commit('c'), rollback('r'), execute('x', 'DELETE FROM t')]) {
  test(`${first.kind} before begin ends the stream BEGIN_REQUIRED`, async (t) => {
    const h = harness();
    h.session.push(first);
    const end = await h.events.ended();
    t.is(end.err?.reason, 'BEGIN_REQUIRED');
    t.deepEqual(h.events.trail, ['end']);
  });
}

test('requests pipelined behind a refused first request are answered TRANSACTION_ENDED, then the stream ends', async (t) => {
  const h = harness();
  h.session.push(query('q1', 'SELECT 1'));
  h.session.push(begin('b'));
  await h.events.ended();
  t.deepEqual(h.events.trail, ['failed:b', 'end']);
  t.is(h.events.failure('b')?.reason, 'TRANSACTION_ENDED');
  t.is(h.primary.acquires, 0);
});

test('a second begin is answered ALREADY_BEGUN in-band and the transaction stays open', async (t) => {
  const h = harness();
  await opened(h);
  h.session.push(begin('b2'));
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  await h.events.waitFor('executed', 'x');
  t.like(h.events.failure('b2'), { code: Code.FAILED_PRECONDITION, reason: 'ALREADY_BEGUN' });
  t.is(h.session.state, 'open');
  t.is(h.events.ends.length, 0);
  t.is(h.primary.acquires, 1, 'no second connection');
});

test('statements pipelined behind commit are answered TRANSACTION_ENDED in-band and never reach MySQL', async (t) => {
  const h = harness();
  h.session.push(begin('b'));
  h.session.push(commit('c'));
  h.session.push(query('q', 'SELECT 1'));
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  const end = await h.events.ended();
  t.is(end.err, undefined);
  t.deepEqual(h.events.trail, ['begun:b', 'committed:c', 'failed:q', 'failed:x', 'end']);
  t.like(h.events.failure('q'), { code: Code.FAILED_PRECONDITION, reason: 'TRANSACTION_ENDED' });
  t.is(h.events.failure('x')?.reason, 'TRANSACTION_ENDED');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'COMMIT']);
});

test('requests pushed after the stream ended are ignored', async (t) => {
  const h = harness();
  h.session.push(begin('b'));
  h.session.push(rollback('r'));
  await h.events.ended();
  const before = h.events.trail.length;
  h.session.push(query('late', 'SELECT 1'));
  await h.session.whenEnded();
  t.is(h.events.trail.length, before);
});

test('an undecodable begin (invalid, wasBegin) ends the stream with its own error', async (t) => {
  const h = harness();
  const bad = errors.invalidArgument('BAD_ISOLATION_LEVEL', 'isolation_level 99 is unknown');
  h.session.push(invalid('b', bad, true));
  const end = await h.events.ended();
  t.is(end.err, bad);
  t.is(h.primary.acquires, 0);
  t.is(h.session.state, 'ended');
  t.deepEqual(h.outcomes, ['aborted']);
});

test('an undecodable non-begin request before begin ends the stream BEGIN_REQUIRED', async (t) => {
  const h = harness();
  h.session.push(invalid('q', errors.invalidArgument('BAD_PARAM', 'bad param'), false));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'BEGIN_REQUIRED');
});

test('an undecodable request after begin is answered in-band with its error; the transaction stays open', async (t) => {
  const h = harness();
  await opened(h);
  const bad = errors.invalidArgument('BAD_PARAM', 'params[0] has no value');
  h.session.push(invalid('q', bad, false));
  h.session.push(invalid('b2', errors.invalidArgument('BAD_ISOLATION_LEVEL', 'x'), true));
  h.session.push(commit('c'));
  const end = await h.events.ended();
  t.is(h.events.failure('q'), bad);
  t.is(h.events.failure('b2')?.reason, 'ALREADY_BEGUN');
  t.is(end.err, undefined);
  t.deepEqual(h.events.trail, ['begun:b', 'failed:q', 'failed:b2', 'committed:c', 'end']);
});

test('a statement refused by the checks is answered in-band and the transaction stays open', async (t) => {
  const h = harness();
  await opened(h);
  h.session.push(query('q', 'COMMIT'));
  h.session.push(commit('c'));
  await h.events.ended();
  t.is(h.events.failure('q')?.reason, 'TRANSACTION_CONTROL_SQL');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'COMMIT']);
});

test('half-close without commit rolls back and ends the stream ABORTED TRANSACTION_ABANDONED', async (t) => {
  const h = harness();
  await opened(h);
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  h.session.halfClose();
  const end = await h.events.ended();
  t.like(end.err, { code: Code.ABORTED, reason: 'TRANSACTION_ABANDONED' });
  t.deepEqual(h.events.trail, ['begun:b', 'executed:x', 'end'], 'queued requests run before the rollback');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'INSERT INTO t VALUES (1)', 'ROLLBACK']);
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('half-close after commit ends nothing twice', async (t) => {
  const h = harness();
  h.session.push(begin('b'));
  h.session.push(commit('c'));
  h.session.halfClose();
  await h.events.ended();
  await h.session.whenEnded();
  t.is(h.events.ends.length, 1);
  t.is(h.events.ends[0]?.err, undefined);
  t.false(h.primary.sqls.includes('ROLLBACK'));
});

test('half-close before begin ends the stream TRANSACTION_ABANDONED', async (t) => {
  const h = harness();
  h.session.halfClose();
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_ABANDONED');
  t.is(h.primary.acquires, 0);
});

test('more than 256 queued requests pause reading from the client; it resumes once the queue drains', async (t) => {
  const h = harness();
  const held = deferred<void>();
  h.primary.onAcquire = () => held.promise;
  h.session.push(begin('b'));
  for (let i = 0; i < 300; i++) h.session.push(execute(`x${i}`, 'INSERT INTO t VALUES (1)'));
  t.deepEqual(
    h.events.trail.filter((e) => e === 'pauseInput'),
    ['pauseInput'],
    'paused once',
  );
  held.resolve();
  await h.events.waitFor('executed', 'x299');
  t.deepEqual(
    h.events.trail.filter((e) => e.endsWith('Input')),
    ['pauseInput', 'resumeInput'],
  );
});
