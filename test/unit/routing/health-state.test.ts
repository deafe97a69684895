/** The pure state machine, table by table. */
import test from 'ava';
import {
  afterConnectionErrors,
  afterFailure,
  afterSuccess,
  type BackendHealth,
  type HealthRules,
  type HealthState,
  initialHealth,
  judgeReplication,
  type ReplicationStatus,
} from '../../../src/routing/health-state.js';

const running = (secondsBehind: number | null): ReplicationStatus => ({
  ioRunning: true,
  sqlRunning: true,
  secondsBehind,
});

test('judgeReplication', (t) => {
  const table: [string, ReplicationStatus | undefined, number, ReturnType<typeof judgeReplication>][] = [
    ['in sync', running(0), 5000, { running: true, lagMs: 0, fresh: true }],
    ['at the limit', running(5), 5000, { running: true, lagMs: 5000, fresh: true }],
    ['over the limit', running(6), 5000, { running: true, lagMs: 6000, fresh: false }],
    ['lag unknown', running(null), 5000, { running: true, lagMs: undefined, fresh: false }],
    ['lag unknown, not checked', running(null), 0, { running: true, lagMs: undefined, fresh: true }],
    ['huge lag, not checked', running(86_400), 0, { running: true, lagMs: 86_400_000, fresh: true }],
    [
      'SQL thread stopped',
      { ioRunning: true, sqlRunning: false, secondsBehind: 0 },
      5000,
      { running: false, lagMs: undefined, fresh: false },
    ],
    [
      'IO thread stopped',
      { ioRunning: false, sqlRunning: true, secondsBehind: 0 },
      0,
      { running: false, lagMs: undefined, fresh: false },
    ],
    ['no replication', undefined, 0, { running: false, lagMs: undefined, fresh: false }],
    ['negative (clock skew)', running(-1), 5000, { running: true, lagMs: 0, fresh: true }],
  ];
  for (const [label, status, max, expected] of table)
    t.deepEqual(judgeReplication(status, max), expected, label);
});

const replicaRules: HealthRules = {
  role: 'replica',
  failuresToDown: 3,
  successesToUp: 2,
  maxReplicaLagMs: 5000,
};
const primaryRules: HealthRules = { ...replicaRules, role: 'primary' };
const ok = { pingMs: 1, readOnly: true, replication: running(0) };
const lagging = { pingMs: 1, readOnly: true, replication: running(60) };

function at(state: HealthState, counts: Partial<BackendHealth> = {}): BackendHealth {
  return { ...initialHealth('replica'), lastError: undefined, state, ...counts };
}

test('afterSuccess', (t) => {
  const table: [string, BackendHealth, typeof ok, boolean, HealthState][] = [
    ['never up: first good check brings it up', initialHealth('replica'), ok, false, 'healthy'],
    ['never up, lagging', initialHealth('replica'), lagging, false, 'lagging'],
    ['was up, 1st success of 2', at('down'), ok, true, 'down'],
    ['was up, 2nd success of 2', at('down', { consecutiveSuccesses: 1 }), ok, true, 'healthy'],
    ['was up, 2nd success, lagging', at('down', { consecutiveSuccesses: 1 }), lagging, true, 'lagging'],
    ['healthy stays healthy', at('healthy'), ok, true, 'healthy'],
    ['healthy -> lagging at once', at('healthy'), lagging, true, 'lagging'],
    ['lagging -> healthy at once', at('lagging'), ok, true, 'healthy'],
  ];
  for (const [label, prev, result, everUp, expected] of table) {
    t.is(afterSuccess(prev, result, replicaRules, 1, everUp).state, expected, label);
  }
  t.like(afterSuccess(at('down', { consecutiveFailures: 7 }), ok, replicaRules, 42, true), {
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
    lastCheckAt: 42,
    lastError: undefined,
  });
  t.like(afterSuccess(initialHealth('primary'), lagging, primaryRules, 1, false), {
    state: 'healthy',
    lagMs: undefined,
    replicationRunning: undefined,
  });
});

test('afterFailure', (t) => {
  const table: [string, BackendHealth, HealthState][] = [
    ['1st failure of 3', at('healthy'), 'healthy'],
    ['2nd failure of 3', at('healthy', { consecutiveFailures: 1 }), 'healthy'],
    ['3rd failure of 3', at('healthy', { consecutiveFailures: 2 }), 'down'],
    ['lagging, 3rd failure', at('lagging', { consecutiveFailures: 2 }), 'down'],
    ['down stays down', at('down', { consecutiveFailures: 9 }), 'down'],
  ];
  for (const [label, prev, expected] of table)
    t.is(afterFailure(prev, 'x', replicaRules, 1).state, expected, label);
  t.like(
    afterFailure(
      at('healthy', { consecutiveSuccesses: 5, lagMs: 0, readOnly: true }),
      'boom',
      replicaRules,
      7,
    ),
    {
      consecutiveSuccesses: 0,
      consecutiveFailures: 1,
      lagMs: undefined,
      readOnly: undefined,
      lastError: 'boom',
      lastCheckAt: 7,
    },
  );
});

test('afterConnectionErrors', (t) => {
  t.like(afterConnectionErrors(at('healthy', { consecutiveSuccesses: 4, lagMs: 0 }), 'refused'), {
    state: 'down',
    consecutiveSuccesses: 0,
    lastError: 'refused',
    lagMs: 0,
  });
});
