/**
 * The transaction state machine: awaitingBegin -> beginning -> open -> finishing -> ended, the
 * begin-failure path beginning -> finishing -> ended, and every transition it does not document
 * throwing ILLEGAL_TRANSITION.
 */
import test from 'ava';
import { Code, errors } from '../../../src/errors.js';
import type { TransactionState } from '../../../src/session/transaction-session.js';
import { ok, type RunScript } from './helpers/fake-backend.js';
import { networkError, serverError } from './helpers/fake-connection.js';
import { begin, commit, execute, harness, opened, rollback } from './helpers/setup.js';

test('begin -> open -> commit -> ended: the commit is reported, the stream ends OK, the lease goes back once', async (t) => {
  const h = harness();
  t.is(h.session.state, 'awaitingBegin');
  const statesDuringRun: TransactionState[] = [];
  const record: RunScript = () => {
    statesDuringRun.push(h.session.state);
    return undefined;
  };
  h.primary.on('START TRANSACTION', record);
  h.primary.on('COMMIT', (call) => {
    record(call);
    return ok({ stateChanges: { systemVariables: { last_gtid: '0-1-42' } } });
  });
  h.session.push(begin('b'));
  h.session.push(execute('x', 'INSERT INTO t VALUES (1)'));
  h.session.push(commit('c'));
  const end = await h.events.ended();

  t.deepEqual(statesDuringRun, ['beginning', 'finishing']);
  t.deepEqual(h.events.trail, ['begun:b', 'executed:x', 'committed:c', 'end']);
  t.deepEqual(
    h.events.events.map((e) => e.state),
    ['open', 'open', 'finishing', 'ended'],
  );
  t.is(end.err, undefined);
  t.is(h.events.events[2]?.data, '0-1-42', 'commit reports the consistency token');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'INSERT INTO t VALUES (1)', 'COMMIT']);
  t.is(h.session.state, 'ended');
  t.deepEqual(
    h.primary.leases.map((l) => l.ends),
    [[{ kind: 'release', reset: false }]],
  );
  t.deepEqual(h.outcomes, ['committed']);
  t.is(h.clock.pendingTimers, 0, 'idle and lifetime timers are cleared');
  await h.session.whenEnded();
});

test('begin reports the backend and the pinned connection id; an isolation level is set before START TRANSACTION', async (t) => {
  const h = harness({ replicas: 1 });
  await opened(h, begin('b', { isolationLevel: 'READ COMMITTED' }));
  t.deepEqual(h.events.events[0]?.data, { backend: 'primary:3306', connectionId: 100 });
  t.deepEqual(h.primary.sqls, ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION']);
  t.is(h.session.state, 'open');
});

test('a read-only begin is routed as a read and starts a READ ONLY transaction', async (t) => {
  const h = harness({ replicas: 1 });
  await opened(h, begin('b', { readOnly: true }));
  t.deepEqual(h.replicas[0]?.sqls, ['START TRANSACTION READ ONLY']);
  t.is(h.primary.acquires, 0);
});

test('begin -> open -> rollback -> ended: ROLLBACK is sent, rolledBack reported, the stream ends OK', async (t) => {
  const h = harness();
  await opened(h);
  let stateAtRollback: TransactionState | undefined;
  h.primary.on('ROLLBACK', () => {
    stateAtRollback = h.session.state;
    return undefined;
  });
  h.session.push(rollback('r'));
  const end = await h.events.ended();
  t.is(stateAtRollback, 'finishing');
  t.deepEqual(h.events.trail, ['begun:b', 'rolledBack:r', 'end']);
  t.is(end.err, undefined);
  t.is(h.primary.sqls.at(-1), 'ROLLBACK');
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  t.deepEqual(h.outcomes, ['rolledBack']);
});

test('begin failing after the lease: beginning -> finishing -> ended, rolled back, the stream ends with the error', async (t) => {
  const h = harness();
  h.primary.on('START TRANSACTION', () => {
    throw serverError(1792, '25006', 'cannot start');
  });
  let stateAtRollback: TransactionState | undefined;
  h.primary.on('ROLLBACK', () => {
    stateAtRollback = h.session.state;
    return undefined;
  });
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(stateAtRollback, 'finishing');
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'ROLLBACK']);
  t.is(end.err?.mysqlErrno, 1792);
  t.deepEqual(h.events.trail, ['end'], 'no begun event');
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  t.deepEqual(h.outcomes, ['aborted']);
  t.is(h.session.state, 'ended');
});

test('begin losing its connection: the broken connection is destroyed, no ROLLBACK is sent on it', async (t) => {
  const h = harness();
  h.primary.on('START TRANSACTION', () => {
    throw networkError();
  });
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(end.err?.code, Code.UNAVAILABLE);
  t.deepEqual(h.primary.sqls, ['START TRANSACTION']);
  t.is(h.primary.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(h.primary.leases[0]?.ends.length, 1);
});

test('begin failing before a lease (acquire fails): the stream ends with the error, nothing to roll back', async (t) => {
  const h = harness();
  h.primary.onAcquire = () => {
    throw errors.unavailable('POOL_TIMEOUT', 'no connection in time');
  };
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'POOL_TIMEOUT');
  t.deepEqual(h.primary.sqls, []);
  t.is(h.session.state, 'ended');
  t.deepEqual(h.outcomes, ['aborted']);
});

test('begin on an unknown cluster ends the stream NOT_FOUND', async (t) => {
  const h = harness();
  h.session.push(begin('b', { cluster: 'nope' }));
  const end = await h.events.ended();
  t.is(end.err?.reason, 'UNKNOWN_CLUSTER');
  t.is(h.primary.acquires, 0);
});

test('a bug thrown while handling a request ends the stream and rolls back instead of wedging it', async (t) => {
  const h = harness();
  h.events.failBegun = new Error('encoder bug');
  h.session.push(begin('b'));
  const end = await h.events.ended();
  t.is(end.err?.code, Code.INTERNAL);
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'ROLLBACK']);
  t.is(h.primary.leases[0]?.ends.length, 1);
});

// The documented transitions, written from the module comment: the chain, the begin-failure
// shortcut, and "any state -> ended" (ended itself is terminal).
const STATES: readonly TransactionState[] = ['awaitingBegin', 'beginning', 'open', 'finishing', 'ended'];
const LEGAL = new Set([
  'awaitingBegin>beginning',
  'beginning>open',
  'open>finishing',
  'finishing>ended',
  'beginning>finishing',
  'awaitingBegin>ended',
  'beginning>ended',
  'open>ended',
]);

/** The private state and transition, reached with a cast: no public path leads to an illegal one. */
interface Internals {
  stateValue: TransactionState;
  transition(to: TransactionState): void;
}

for (const from of STATES) {
  for (const to of STATES) {
    const legal = LEGAL.has(`${from}>${to}`);
    test(`transition ${from} -> ${to} is ${legal ? 'allowed' : 'refused with ILLEGAL_TRANSITION'}`, (t) => {
      const h = harness();
      const inner = h.session as unknown as Internals;
      inner.stateValue = from;
      if (legal) {
        inner.transition(to);
        t.is(h.session.state, to);
      } else {
        const err = t.throws(() => inner.transition(to));
        t.like(err, { code: Code.INTERNAL, reason: 'ILLEGAL_TRANSITION' });
        t.is(h.session.state, from, 'the state does not change');
      }
    });
  }
}
