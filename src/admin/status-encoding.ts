/**
 * The status snapshot ({@link GatewayStatus}, gateway-status.ts) in the proto's encoding: the
 * `GetStatusResponse` the gRPC `Admin.GetStatus` adapter (server/admin.ts) sends.
 */
import type {
  BackendState,
  BackendStatus,
  ClusterStatus,
  GatewayStatus,
  OpenTransactionStatus,
  PoolStatus,
} from './gateway-status.js';

const STATE_ENUM: Record<BackendState, string> = {
  healthy: 'BACKEND_HEALTH_STATE_HEALTHY',
  lagging: 'BACKEND_HEALTH_STATE_LAGGING',
  down: 'BACKEND_HEALTH_STATE_DOWN',
  unknown: 'BACKEND_HEALTH_STATE_UNSPECIFIED',
};

/** Every field of `T`, so that a field added to the snapshot must be encoded here too. */
type Encoded<T> = { readonly [K in keyof T]-?: unknown };

function encodePool(p: PoolStatus): Encoded<PoolStatus> {
  return {
    total: p.total,
    idle: p.idle,
    used: p.used,
    waiting: p.waiting,
    pending: p.pending,
    created: String(p.created),
    closed: String(p.closed),
    errors: String(p.errors),
    acquire_timeouts: String(p.acquire_timeouts),
    longest_wait_ms: String(p.longest_wait_ms),
    min: p.min,
    max: p.max,
  };
}

function encodeBackend(b: BackendStatus): Encoded<BackendStatus> & { lag_known: boolean } {
  return {
    name: b.name,
    role: b.role,
    state: STATE_ENUM[b.state],
    // Set whenever known, 0 included: proto-loader then writes it, so clients generated from the
    // earlier `optional uint64 lag_ms` still see it present exactly when known.
    lag_ms: b.lag_ms === null ? undefined : String(b.lag_ms),
    lag_known: b.lag_ms !== null,
    ping_us: String(b.ping_us ?? 0),
    last_error: b.last_error ?? '',
    read_only: b.read_only ?? false,
    in_flight: b.in_flight,
    weight: b.weight,
    pool: encodePool(b.pool),
  };
}

function encodeCluster(c: ClusterStatus): Encoded<ClusterStatus> {
  return { name: c.name, serving: c.serving, backends: c.backends.map(encodeBackend) };
}

function encodeOpenTransaction(t: OpenTransactionStatus): Encoded<OpenTransactionStatus> {
  return {
    principal: t.principal,
    age_ms: String(t.age_ms),
    cluster: t.cluster,
    backend: t.backend,
    connection_id: String(t.connection_id),
    state: t.state,
    request_tag: t.request_tag,
  };
}

/**
 * `GetStatusResponse` as proto-loader takes it (uint64 as decimal strings, enums by name).
 * Values the snapshot does not know (null) become the proto's defaults.
 */
export function encodeGetStatusResponse(s: GatewayStatus): Encoded<GatewayStatus> {
  return {
    clusters: s.clusters.map(encodeCluster),
    active_transactions: s.active_transactions,
    uptime_ms: String(s.uptime_ms),
    open_transactions: s.open_transactions.map(encodeOpenTransaction),
  };
}
