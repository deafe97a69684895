/**
 * The attribute and metric names the gateway emits, in one place. Stable OpenTelemetry semantic
 * conventions come from `@opentelemetry/semantic-conventions`; names that are still incubating
 * there are copied here (as the package recommends: its incubating entry point may change in
 * minor releases). `mysqlgateway.*` names are the gateway's own.
 */
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  DB_SYSTEM_NAME_VALUE_MARIADB,
  DB_SYSTEM_NAME_VALUE_MYSQL,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';

/** Span and metric attribute names. */
export const ATTR = {
  serviceName: ATTR_SERVICE_NAME,
  errorType: ATTR_ERROR_TYPE,
  // RPC (stable since semantic conventions 1.40).
  rpcSystemName: ATTR_RPC_SYSTEM_NAME,
  /** Fully qualified: `mysqlgateway.v1.Gateway/Query`. */
  rpcMethod: ATTR_RPC_METHOD,
  /** The status code name: `OK`, `NOT_FOUND` ... */
  rpcStatusCode: ATTR_RPC_STATUS_CODE,
  // Older RPC names, still read by many backends (Jaeger's UI, older collectors' processors).
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcGrpcStatusCode: 'rpc.grpc.status_code',
  // Database client (stable).
  dbSystemName: ATTR_DB_SYSTEM_NAME,
  dbNamespace: ATTR_DB_NAMESPACE,
  dbOperationName: ATTR_DB_OPERATION_NAME,
  dbQuerySummary: ATTR_DB_QUERY_SUMMARY,
  dbQueryText: ATTR_DB_QUERY_TEXT,
  dbResponseStatusCode: ATTR_DB_RESPONSE_STATUS_CODE,
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  // Database client (incubating).
  dbResponseReturnedRows: 'db.response.returned_rows',
  /** Statements in a batch operation (set on a Batch call's span when it holds two or more). */
  dbOperationBatchSize: 'db.operation.batch.size',
  dbPoolName: 'db.client.connection.pool.name',
  dbConnectionState: 'db.client.connection.state',
  // The gateway's own.
  cluster: 'mysqlgateway.cluster',
  backend: 'mysqlgateway.backend',
  backendRole: 'mysqlgateway.backend.role',
  routeReason: 'mysqlgateway.route.reason',
  principal: 'mysqlgateway.principal',
  requestTag: 'mysqlgateway.request_tag',
  poolWaitSeconds: 'mysqlgateway.pool.wait.duration',
  connectionId: 'mysqlgateway.connection.id',
  attempt: 'mysqlgateway.attempt',
  reason: 'mysqlgateway.reason',
  rows: 'mysqlgateway.rows',
  bytes: 'mysqlgateway.bytes',
  transactionOutcome: 'mysqlgateway.transaction.outcome',
  replayOutcome: 'mysqlgateway.replay.outcome',
  replayStatements: 'mysqlgateway.replay.statements',
  replayDurationSeconds: 'mysqlgateway.replay.duration',
  replayOffReason: 'mysqlgateway.replay.off_reason',
  /** True on a Query's span when a hedge was sent (src/session/hedge.ts). */
  hedgeSent: 'mysqlgateway.hedge.sent',
  /** `first` or `hedge`: which attempt of a hedged Query answered first. */
  hedgeWinner: 'mysqlgateway.hedge.winner',
  /** Set when a slow Query was not hedged: `budget` or `no_backend`. */
  hedgeSkipped: 'mysqlgateway.hedge.skipped',
} as const;

/** Label names on the gateway's own metrics (short: they become Prometheus labels). */
export const LABEL = {
  cluster: 'cluster',
  backend: 'backend',
  role: 'role',
  state: 'state',
  outcome: 'outcome',
  kind: 'kind',
} as const;

/** Attribute values. */
export const VALUE = {
  grpc: RPC_SYSTEM_NAME_VALUE_GRPC,
  mariadb: DB_SYSTEM_NAME_VALUE_MARIADB,
  mysql: DB_SYSTEM_NAME_VALUE_MYSQL,
} as const;

/** Metric names (OpenTelemetry form; Prometheus replaces dots with underscores). */
export const METRIC = {
  dbOperationDuration: METRIC_DB_CLIENT_OPERATION_DURATION,
  rpcServerCallDuration: METRIC_RPC_SERVER_CALL_DURATION,
  // Incubating connection-pool metrics.
  connectionCount: 'db.client.connection.count',
  connectionIdleMax: 'db.client.connection.idle.max',
  connectionIdleMin: 'db.client.connection.idle.min',
  connectionMax: 'db.client.connection.max',
  connectionLimit: 'db.client.connection.limit',
  connectionPendingRequests: 'db.client.connection.pending_requests',
  connectionTimeouts: 'db.client.connection.timeouts',
  connectionCreateTime: 'db.client.connection.create_time',
  connectionWaitTime: 'db.client.connection.wait_time',
  connectionUseTime: 'db.client.connection.use_time',
  // The gateway's own.
  connectionsCreated: 'mysqlgateway.pool.connections.created',
  connectionsClosed: 'mysqlgateway.pool.connections.closed',
  connectionErrors: 'mysqlgateway.pool.connection.errors',
  replicationLag: 'mysqlgateway.backend.replication.lag',
  healthState: 'mysqlgateway.backend.health.state',
  backendInFlight: 'mysqlgateway.backend.in_flight',
  clusterServing: 'mysqlgateway.cluster.serving',
  retries: 'mysqlgateway.query.retries',
  hedges: 'mysqlgateway.query.hedges',
  transactionsActive: 'mysqlgateway.transactions.active',
  transactionsEnded: 'mysqlgateway.transactions.ended',
  transactionReplays: 'mysqlgateway.transaction.replays',
  rowsStreamed: 'mysqlgateway.rows.streamed',
  bytesStreamed: 'mysqlgateway.bytes.streamed',
  uptime: 'mysqlgateway.uptime',
} as const;

/**
 * Histogram bucket boundaries for durations in seconds: the semantic conventions' advice, with
 * finer buckets below 5 ms because a point select through the gateway takes well under 1 ms.
 */
export const DURATION_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
  7.5, 10,
];
