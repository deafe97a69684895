/**
 * Routing while the health monitor has the primary down: calls that need it fail at once with
 * UNAVAILABLE PRIMARY_UNRESPONSIVE (saying since when and why), reads that may go elsewhere do,
 * and everything goes to the primary again once it is back.
 */
import test from 'ava';
import type { Backend } from '../../../src/backend/backend.js';
import { Code, GatewayError } from '../../../src/errors.js';
import { Cluster, type HealthSource } from '../../../src/routing/cluster.js';
import type { BackendHealth, HealthState } from '../../../src/routing/health-state.js';

const DOWN_SINCE = Date.UTC(2026, 0, 2, 3, 4, 5);

class Health implements HealthSource {
  readonly states = new Map<string, HealthState>();
  health(name: string): BackendHealth {
    const state = this.states.get(name) ?? 'healthy';
    return {
      state,
      lagMs: 0,
      replicationRunning: true,
      readOnly: undefined,
      pingMs: undefined,
      lastError: state === 'down' ? 'health check timed out after 1000 ms' : undefined,
      lastCheckAt: undefined,
      consecutiveFailures: state === 'down' ? 3 : 0,
      consecutiveSuccesses: 0,
      ...(state === 'down' ? { downSince: DOWN_SINCE } : {}),
    };
  }
  reportConnectionError(): void {}
  start(): void {}
  async close(): Promise<void> {}
}

function backend(name: string, role: 'primary' | 'replica'): Backend {
  return { name, role, inFlight: 0, weight: 1 } as unknown as Backend;
}

function setup(replicas = 1) {
  const health = new Health();
  const primary = backend('primary', 'primary');
  const reps = Array.from({ length: replicas }, (_, i) => backend(`replica${i + 1}`, 'replica'));
  const cluster = new Cluster(
    'main',
    primary,
    reps,
    { defaultReadPreference: 'REPLICA_PREFERRED', maxReplicaLagMs: 0 },
    health,
    () => 0,
  );
  return { cluster, health, primary, reps };
}

function assertUnresponsive(t: import('ava').ExecutionContext, fn: () => unknown): void {
  const err = t.throws(fn, { instanceOf: GatewayError });
  t.is(err?.code, Code.UNAVAILABLE);
  t.is(err?.reason, 'PRIMARY_UNRESPONSIVE');
  t.regex(err?.message ?? '', /primary "primary" of cluster "main" is unresponsive/);
  t.regex(err?.message ?? '', /since 2026-01-02T03:04:05\.000Z \(health check timed out after 1000 ms\)/);
}

test('writes and reads that need the primary fail at once while it is down', (t) => {
  const { cluster, health } = setup();
  health.states.set('primary', 'down');
  assertUnresponsive(t, () => cluster.routeWrite());
  assertUnresponsive(t, () => cluster.routeRead({ readOnly: false }));
  assertUnresponsive(t, () => cluster.routeRead({ readOnly: true, readPreference: 'PRIMARY' }));
  t.false(cluster.serving);
});

test('reads that may go to a replica do while the primary is down', (t) => {
  const { cluster, health, reps } = setup();
  health.states.set('primary', 'down');
  for (const readPreference of ['REPLICA', 'REPLICA_PREFERRED', 'PRIMARY_PREFERRED'] as const) {
    t.is(cluster.routeRead({ readOnly: true, readPreference }).backend, reps[0] as Backend, readPreference);
  }
});

test('with no usable replica either, a read falling back on the down primary fails at once', (t) => {
  const { cluster, health } = setup();
  health.states.set('primary', 'down');
  health.states.set('replica1', 'down');
  assertUnresponsive(t, () => cluster.routeRead({ readOnly: true, readPreference: 'REPLICA_PREFERRED' }));
  assertUnresponsive(t, () => cluster.routeRead({ readOnly: true, readPreference: 'PRIMARY_PREFERRED' }));
  const err = t.throws(() => cluster.routeRead({ readOnly: true, readPreference: 'REPLICA' }));
  t.is((err as GatewayError).reason, 'NO_USABLE_REPLICA');
});

test('a read retried away from a failed replica fails at once when only the down primary is left', (t) => {
  const { cluster, health, reps } = setup();
  health.states.set('primary', 'down');
  assertUnresponsive(t, () => cluster.routeRead({ readOnly: true }, reps[0] as Backend));
});

test('the primary back up takes writes and reads again', (t) => {
  const { cluster, health, primary } = setup();
  health.states.set('primary', 'down');
  t.throws(() => cluster.routeWrite());
  health.states.set('primary', 'healthy');
  t.is(cluster.routeWrite().backend, primary);
  t.is(cluster.routeRead({ readOnly: true, readPreference: 'PRIMARY' }).backend, primary);
  t.true(cluster.serving);
});

test('without a health source the primary always counts as up', (t) => {
  const primary = backend('primary', 'primary');
  const cluster = new Cluster('main', primary, [], { defaultReadPreference: 'PRIMARY', maxReplicaLagMs: 0 });
  t.is(cluster.routeWrite().backend, primary);
});
