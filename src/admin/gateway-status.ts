/**
 * The one status snapshot of a gateway: every cluster, its backends, their health and pool
 * statistics, open transactions and uptime. Both the gRPC `Admin.GetStatus` (server/admin.ts,
 * through status-encoding.ts) and the admin HTTP `/status.json` and `/status` page
 * (status-routes.ts) report what
 * {@link gatewayStatus} returns, so they cannot disagree.
 *
 * Field names are the proto's (`mysqlgateway.v1.GetStatusResponse`, snake_case). Values are
 * plain JSON: numbers for the proto's uint64 fields (none of them comes near 2^53), `null` where
 * a value is not known (the proto then sends its default), and the health state as the monitor's
 * word (`healthy`, `lagging`, `down`) instead of the enum name.
 */
import type { PoolStats } from '../pool/pool-events.js';
import type { BackendHealth, HealthState } from '../routing/health-state.js';

/** A backend's health state; `unknown` when its cluster has no health monitor (tests only). */
export type BackendState = HealthState | 'unknown';

/** One backend's connection pool (proto `PoolStatus`). */
export interface PoolStatus {
  /** Open connections: `idle + used`. */
  readonly total: number;
  readonly idle: number;
  /** Leased (or being validated or reset). */
  readonly used: number;
  /** Callers blocked waiting for a connection. */
  readonly waiting: number;
  /** Connections being opened. */
  readonly pending: number;
  /** Connections opened since start. */
  readonly created: number;
  /** Connections closed since start. */
  readonly closed: number;
  /** Failed connects, validations and resets since start. */
  readonly errors: number;
  /** Acquires that timed out since start. */
  readonly acquire_timeouts: number;
  /** How long the oldest current waiter has waited, whole ms; 0 when nobody waits. */
  readonly longest_wait_ms: number;
  /** Configured `pool.min`. */
  readonly min: number;
  /** Configured `pool.max`. */
  readonly max: number;
}

/** One server of a cluster (proto `BackendStatus`). */
export interface BackendStatus {
  /** Display name (`name`, else `host:port`). Comes from configuration: escape it when rendering. */
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly state: BackendState;
  /** Replication lag, ms (whole seconds × 1000); null for the primary or when unknown. */
  readonly lag_ms: number | null;
  /** Round trip of the last health check's first statement, µs; null after a failed check or before the first. */
  readonly ping_us: number | null;
  /** Why the last check failed, or what traffic reported; null after a good check. */
  readonly last_error: string | null;
  /** `@@global.read_only` as last seen; null when not known. */
  readonly read_only: boolean | null;
  /** Requests holding or waiting for a connection of this backend. */
  readonly in_flight: number;
  /** Routing weight among the replicas. */
  readonly weight: number;
  readonly pool: PoolStatus;
}

/** One named cluster (proto `ClusterStatus`). */
export interface ClusterStatus {
  readonly name: string;
  /** The primary is not down (the cluster's grpc.health status is SERVING). */
  readonly serving: boolean;
  /** Primary first, then the replicas in configuration order. */
  readonly backends: readonly BackendStatus[];
}

/** The snapshot (proto `GetStatusResponse`). */
export interface GatewayStatus {
  readonly clusters: readonly ClusterStatus[];
  /** Open Transaction streams. */
  readonly active_transactions: number;
  /** Since the gateway was built, ms. */
  readonly uptime_ms: number;
  /** The open Transaction streams, oldest first (proto `OpenTransaction`). */
  readonly open_transactions: readonly OpenTransactionStatus[];
}

/** One open Transaction stream (proto `OpenTransaction`). */
export interface OpenTransactionStatus {
  /** The caller's principal; '' when authentication is off. */
  readonly principal: string;
  /** How long the stream has been open, ms. */
  readonly age_ms: number;
  /** Cluster and backend it is pinned to; '' before begin. */
  readonly cluster: string;
  readonly backend: string;
  /** MySQL connection id of the pinned connection; 0 before begin. */
  readonly connection_id: number;
  /** The session's state: awaitingBegin, beginning, open, finishing. */
  readonly state: string;
  /** The begin's request tag; '' without one. */
  readonly request_tag: string;
}

/** A backend as the snapshot reads it (a `Backend` fits). */
export interface StatusBackend {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly inFlight: number;
  readonly weight: number;
  readonly pool: { stats(): PoolStats };
}

/** A cluster as the snapshot reads it (a `Cluster` fits). */
export interface StatusCluster {
  readonly name: string;
  readonly serving: boolean;
  readonly backends: readonly StatusBackend[];
  readonly health?: { health(name: string): BackendHealth };
}

/** Where the snapshot comes from. */
export interface StatusSources {
  /** The clusters (a `ClusterRegistry` fits); `get` throws NOT_FOUND for an unknown name. */
  readonly clusters: { all(): readonly StatusCluster[]; get(name: string): StatusCluster };
  /** Open transactions (a `SessionRegistry` fits). */
  readonly sessions: {
    counts(): { readonly active: number };
    openTransactions(): readonly {
      readonly principal: string;
      readonly openedAt: number;
      readonly cluster: string;
      readonly backend: string;
      readonly connectionId: number;
      readonly state: string;
      readonly requestTag: string;
    }[];
  };
  /** When the gateway started, epoch ms. */
  readonly startedAt: number;
  /** Epoch ms now. @default Date.now */
  readonly now?: () => number;
}

function poolStatus(p: PoolStats): PoolStatus {
  return {
    total: p.total,
    idle: p.idle,
    used: p.used,
    waiting: p.waiting,
    pending: p.pending,
    created: p.created,
    closed: p.closed,
    errors: p.errors,
    acquire_timeouts: p.acquireTimeouts,
    longest_wait_ms: Math.round(p.longestWaitMs),
    min: p.min,
    max: p.max,
  };
}

/** The status of one backend of `cluster`. */
export function backendStatus(cluster: StatusCluster, b: StatusBackend): BackendStatus {
  const h = cluster.health?.health(b.name);
  return {
    name: b.name,
    role: b.role,
    state: h?.state ?? 'unknown',
    lag_ms: h?.lagMs ?? null,
    ping_us: h?.pingMs === undefined ? null : Math.round(h.pingMs * 1000),
    last_error: h?.lastError ?? null,
    read_only: h?.readOnly ?? null,
    in_flight: b.inFlight,
    weight: b.weight,
    pool: poolStatus(b.pool.stats()),
  };
}

/** The status of one cluster. */
export function clusterStatus(c: StatusCluster): ClusterStatus {
  return { name: c.name, serving: c.serving, backends: c.backends.map((b) => backendStatus(c, b)) };
}

/**
 * The snapshot: every cluster, or only `cluster` when given (NOT_FOUND if there is none of that
 * name). Reads in-memory state only: no I/O, cheap enough to call on every page poll.
 */
export function gatewayStatus(src: StatusSources, cluster?: string): GatewayStatus {
  const clusters = cluster ? [src.clusters.get(cluster)] : src.clusters.all();
  const now = src.now ?? Date.now;
  const at = now();
  return {
    clusters: clusters.map(clusterStatus),
    active_transactions: src.sessions.counts().active,
    uptime_ms: Math.max(0, at - src.startedAt),
    open_transactions: src.sessions.openTransactions().map((t) => ({
      principal: t.principal,
      age_ms: Math.max(0, at - t.openedAt),
      cluster: t.cluster,
      backend: t.backend,
      connection_id: t.connectionId,
      state: t.state,
      request_tag: t.requestTag,
    })),
  };
}
