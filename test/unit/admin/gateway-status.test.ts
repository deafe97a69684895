/** The status snapshot over fake clusters: what each health and pool figure becomes, filtering, uptime. */
import test from 'ava';
import { errors } from '../../../src/errors.js';
import type { PoolStats } from '../../../src/pool/pool-events.js';
import { type BackendHealth, initialHealth } from '../../../src/routing/health-state.js';
import {
  gatewayStatus,
  type StatusBackend,
  type StatusCluster,
  type StatusSources,
} from '../../../src/admin/gateway-status.js';

function stats(over: Partial<PoolStats> = {}): PoolStats {
  return {
    name: 'x',
    total: 3,
    idle: 1,
    used: 2,
    waiting: 4,
    pending: 1,
    created: 10,
    closed: 7,
    errors: 2,
    acquireTimeouts: 1,
    longestWaitMs: 12.6,
    min: 1,
    max: 8,
    ...over,
  };
}

function backend(name: string, role: 'primary' | 'replica', over: Partial<PoolStats> = {}): StatusBackend {
  return { name, role, inFlight: 2, weight: role === 'primary' ? 1 : 3, pool: { stats: () => stats(over) } };
}

const HEALTH: Record<string, BackendHealth> = {
  p: { ...initialHealth('primary'), readOnly: false, pingMs: 0.4567, lastCheckAt: 1 },
  r1: {
    ...initialHealth('replica'),
    state: 'lagging',
    lagMs: 0,
    replicationRunning: true,
    readOnly: true,
    pingMs: 2,
    lastError: undefined,
  },
  r2: { ...initialHealth('replica'), state: 'down', lastError: 'backend unavailable: ECONNREFUSED' },
};

const main: StatusCluster = {
  name: 'main',
  serving: true,
  backends: [backend('p', 'primary'), backend('r1', 'replica'), backend('r2', 'replica', { waiting: 0 })],
  health: { health: (name) => HEALTH[name] as BackendHealth },
};
const bare: StatusCluster = { name: 'bare', serving: false, backends: [backend('b', 'primary')] };

function sources(now = 5_000): StatusSources {
  const all = [main, bare];
  return {
    clusters: {
      all: () => all,
      get: (name) => {
        const c = all.find((x) => x.name === name);
        if (!c) throw errors.notFound('UNKNOWN_CLUSTER', `unknown cluster "${name}"`);
        return c;
      },
    },
    sessions: {
      counts: () => ({ active: 2 }),
      openTransactions: () => [
        {
          principal: 'svc',
          openedAt: 2_500,
          cluster: 'main',
          backend: 'p',
          connectionId: 77,
          state: 'open',
          requestTag: 'checkout',
        },
        {
          principal: '',
          openedAt: 4_900,
          cluster: '',
          backend: '',
          connectionId: 0,
          state: 'awaitingBegin',
          requestTag: '',
        },
      ],
    },
    startedAt: 1_000,
    now: () => now,
  };
}

test('every cluster and backend, with health and pool figures as JSON values', (t) => {
  const s = gatewayStatus(sources());
  t.is(s.active_transactions, 2);
  t.is(s.uptime_ms, 4_000);
  // Ages from the same clock as uptime (now 5,000): 5,000 - 2,500 and 5,000 - 4,900.
  t.deepEqual(s.open_transactions, [
    {
      principal: 'svc',
      age_ms: 2_500,
      cluster: 'main',
      backend: 'p',
      connection_id: 77,
      state: 'open',
      request_tag: 'checkout',
    },
    {
      principal: '',
      age_ms: 100,
      cluster: '',
      backend: '',
      connection_id: 0,
      state: 'awaitingBegin',
      request_tag: '',
    },
  ]);
  t.deepEqual(
    s.clusters.map((c) => [c.name, c.serving, c.backends.map((b) => b.name)]),
    [
      ['main', true, ['p', 'r1', 'r2']],
      ['bare', false, ['b']],
    ],
  );
  const [p, r1, r2] = s.clusters[0]?.backends ?? [];
  t.deepEqual(p, {
    name: 'p',
    role: 'primary',
    state: 'healthy',
    lag_ms: null,
    ping_us: 457,
    last_error: null,
    read_only: false,
    in_flight: 2,
    weight: 1,
    pool: {
      total: 3,
      idle: 1,
      used: 2,
      waiting: 4,
      pending: 1,
      created: 10,
      closed: 7,
      errors: 2,
      acquire_timeouts: 1,
      longest_wait_ms: 13,
      min: 1,
      max: 8,
    },
  });
  t.like(r1, { state: 'lagging', lag_ms: 0, ping_us: 2000, read_only: true, last_error: null, weight: 3 });
  t.like(r2, {
    state: 'down',
    lag_ms: null,
    ping_us: null,
    read_only: null,
    last_error: 'backend unavailable: ECONNREFUSED',
  });
  t.is(r2?.pool.waiting, 0);
});

test('a cluster without a health monitor reports its backends as unknown', (t) => {
  const b = gatewayStatus(sources()).clusters[1]?.backends[0];
  t.like(b, { state: 'unknown', lag_ms: null, ping_us: null, last_error: null, read_only: null });
});

test('one cluster by name; an unknown name is NOT_FOUND', (t) => {
  t.deepEqual(
    gatewayStatus(sources(), 'bare').clusters.map((c) => c.name),
    ['bare'],
  );
  t.is(gatewayStatus(sources(), '').clusters.length, 2, 'empty means all');
  const err = t.throws(() => gatewayStatus(sources(), 'nope'));
  t.is((err as { reason?: string }).reason, 'UNKNOWN_CLUSTER');
});

test('uptime never goes negative when the clock steps back', (t) => {
  t.is(gatewayStatus(sources(500)).uptime_ms, 0);
});
