/** The Admin RPC: a snapshot of clusters, backends, health and pools (thin adapter). */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Backend } from '../backend/backend.js';
import type { Cluster } from '../routing/cluster.js';
import type { HandlerDeps } from './handler-deps.js';
import { toStatus } from './status.js';

const STATE_ENUM: Record<string, string> = {
  healthy: 'BACKEND_HEALTH_STATE_HEALTHY',
  lagging: 'BACKEND_HEALTH_STATE_LAGGING',
  down: 'BACKEND_HEALTH_STATE_DOWN',
};

function backendStatus(cluster: Cluster, b: Backend): Record<string, unknown> {
  const h = cluster.health?.health(b.name);
  const p = b.pool.stats();
  return {
    name: b.name,
    role: b.role,
    state: STATE_ENUM[h?.state ?? ''] ?? 'BACKEND_HEALTH_STATE_UNSPECIFIED',
    ...(h?.lagMs === undefined ? {} : { lag_ms: String(h.lagMs) }),
    ping_us: String(Math.round((h?.pingMs ?? 0) * 1000)),
    last_error: h?.lastError ?? '',
    read_only: h?.readOnly ?? false,
    in_flight: b.inFlight,
    weight: b.weight,
    pool: {
      total: p.total,
      idle: p.idle,
      used: p.used,
      waiting: p.waiting,
      pending: p.pending,
      created: String(p.created),
      closed: String(p.closed),
      errors: String(p.errors),
      acquire_timeouts: String(p.acquireTimeouts),
      longest_wait_ms: String(Math.round(p.longestWaitMs)),
      min: p.min,
      max: p.max,
    },
  };
}

/** Builds the GetStatus handler. */
export function getStatusHandler(deps: HandlerDeps, startedAt: number) {
  return (call: ServerUnaryCall<{ cluster?: string }, unknown>, callback: sendUnaryData<unknown>): void => {
    try {
      deps.guard.admit(call, { admin: true }).release();
      const clusters = call.request.cluster ? [deps.clusters.get(call.request.cluster)] : deps.clusters.all();
      callback(null, {
        clusters: clusters.map((c) => ({
          name: c.name,
          serving: c.serving,
          backends: c.backends.map((b) => backendStatus(c, b)),
        })),
        active_transactions: deps.sessions.counts().active,
        uptime_ms: String(Date.now() - startedAt),
      });
    } catch (err) {
      callback(toStatus(err));
    }
  };
}
