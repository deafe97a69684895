/**
 * Builds a whole gateway from a loaded configuration: telemetry, backends and their pools,
 * clusters, the session registry, the gRPC server and the admin HTTP listener. `close()` takes
 * it down in reverse order.
 */
import { AdminHttpServer } from './admin/admin-http-server.js';
import { addHealthRoutes } from './admin/health-routes.js';
import { type BackendSample, StatusHistory } from './admin/status-history.js';
import { addStatusRoutes } from './admin/status-routes.js';
import { adminPageAuthorizer, isLoopback } from './admin/admin-pages.js';
import { Authenticator } from './auth/authenticator.js';
import { CallGuard } from './auth/call-guard.js';
import { Backend, type BackendRole } from './backend/backend.js';
import type { ConnectorSettings } from './backend/connector.js';
import type { BackendConfig, ClusterConfig } from './config/cluster-schema.js';
import type { GatewayConfig } from './config/schema.js';
import { Code, GatewayError } from './errors.js';
import { Cluster, ClusterRegistry } from './routing/cluster.js';
import { HealthMonitor } from './routing/health-monitor.js';
import { HedgePolicy } from './routing/hedge-policy.js';
import { mysqlProbe } from './routing/mysql-probe.js';
import { serverCredentials } from './server/credentials.js';
import { GatewayServer } from './server/gateway-server.js';
import { IdempotencyStore } from './session/idempotency-store.js';
import type { SessionRegistry } from './session/session-registry.js';
import { SessionService } from './session/session-service.js';
import { CallScaffold } from './server/call-scaffold.js';
import type { CallTrace } from './telemetry/call-trace.js';
import { RowBatchBuilder, RowCollector } from './wire/row-batch-builder.js';
import { StatementClassifier } from './sql/classify.js';
import { type GatewayStatus, gatewayStatus } from './admin/gateway-status.js';
import type { Logger } from './telemetry/logger.js';
import { Telemetry, type TelemetryOptions } from './telemetry/telemetry.js';
import { DigestingTracer } from './telemetry/digest-trace.js';
import { observeDigestMetrics } from './telemetry/digest-metrics.js';
import { QueryDigests } from './telemetry/query-digests.js';
import { QueryTextCache } from './telemetry/query-text.js';
import { statusDigests } from './admin/query-stats.js';

/** Prepared statements each connection keeps (the server-wide cap is `max_prepared_stmt_count`). */
const MAX_PREPARED_PER_CONNECTION = 256;

/** Maps a configured backend to the connector's settings (the password stays behind a function). */
export function backendSettings(b: BackendConfig, cluster: ClusterConfig): ConnectorSettings {
  return {
    name: b.name || `${b.host}:${b.port}`,
    host: b.host,
    port: b.port,
    user: b.user,
    password: () => b.password.reveal(),
    database: b.database,
    connectTimeoutMs: b.connectTimeoutMs,
    readTimeoutMs: b.readTimeoutMs,
    writeTimeoutMs: b.writeTimeoutMs,
    keepAlive: b.keepAlive,
    keepAliveIntervalMs: b.keepAliveIntervalMs,
    tls: b.tls,
    charset: b.charset,
    collation: b.collation,
    sqlMode: b.sqlMode,
    reconnect: cluster.reconnect,
    maxPreparedStatements: MAX_PREPARED_PER_CONNECTION,
  };
}

function buildBackend(
  name: string,
  cfg: ClusterConfig,
  b: BackendConfig,
  role: BackendRole,
  logger: Logger,
  telemetry: Telemetry,
): Backend {
  const { validationQuery, ...pool } = cfg.pool;
  return new Backend({
    settings: backendSettings(b, cfg),
    role,
    cluster: name,
    weight: b.weight,
    pool,
    validationQuery,
    onPoolEvent: telemetry.poolEventListener,
    connectorDeps: {
      onAttemptFailed: (attempt, err, delayMs) =>
        logger.warn(
          { cluster: name, backend: b.name || `${b.host}:${b.port}`, attempt, reason: err.reason, delayMs },
          'connect attempt failed',
        ),
    },
  });
}

/** Options of {@link Gateway.create} besides the configuration. */
export interface GatewayOptions {
  /**
   * Telemetry overrides (tests and benchmarks: in-memory span processors, metric readers to
   * collect from); the rest comes from `config.telemetry`.
   */
  readonly telemetry?: Omit<TelemetryOptions, 'logger'>;
}

/** A running gateway. */
export class Gateway {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: GatewayConfig,
    readonly clusters: ClusterRegistry,
    readonly sessions: SessionRegistry,
    readonly server: GatewayServer,
    /** The admin HTTP listener; undefined when `admin.port` is -1. */
    readonly admin: AdminHttpServer | undefined,
    /** The status page's last minutes; undefined without an admin listener. */
    private readonly history: StatusHistory | undefined,
    readonly telemetry: Telemetry,
    private readonly logger: Logger,
    /** Idempotency key stores, one per cluster (their expiry sweepers stop at close). */
    private readonly keyStores: readonly IdempotencyStore[],
  ) {}

  /** The bound gRPC port. */
  get port(): number {
    return this.server.port;
  }

  /** The bound admin HTTP port; undefined when the admin listener is disabled. */
  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  /** Builds, starts the pools and binds the servers. Closes what it built if a step fails. */
  static async create(config: GatewayConfig, logger: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
    const startedAt = Date.now();
    const telemetry = Telemetry.create(config.telemetry, {
      prometheus: config.admin.port !== -1,
      ...opts.telemetry,
      logger,
    });
    // The server is built after the clusters; health changes reach it through this late binding.
    let onServingChange: (cluster: string, serving: boolean) => void = () => {};
    const clusters = new ClusterRegistry(
      Object.entries(config.clusters).map(([name, c]) => {
        const primary = buildBackend(name, c, c.primary, 'primary', logger, telemetry);
        const replicas = c.replicas.map((r) => buildBackend(name, c, r, 'replica', logger, telemetry));
        const byName = new Map([primary, ...replicas].map((b) => [b.name, b]));
        const monitor = new HealthMonitor({
          backends: [primary, ...replicas].map((b) => ({ name: b.name, role: b.role })),
          probe: (backendName) => mysqlProbe((byName.get(backendName) as Backend).connector),
          settings: c.healthCheck,
          maxReplicaLagMs: c.maxReplicaLagMs,
          onChange: (backend, prev, next, health) => {
            // Recovering (and replicas coming up at start) is good news: info; losing one: warn.
            const level = next === 'healthy' ? 'info' : 'warn';
            logger[level](
              { cluster: name, backend, from: prev, to: next, lagMs: health.lagMs, error: health.lastError },
              'backend health changed',
            );
            if (backend === primary.name) onServingChange(name, next !== 'down');
            const b = byName.get(backend);
            if (next === 'down' && b) {
              // A hung backend would hold its statements and waiters until their deadlines: fail them now.
              const failed = b.markDown(health.lastError ?? 'health checks failed');
              if (failed > 0)
                logger.warn(
                  { cluster: name, backend, statements: failed },
                  'failed statements in flight on a down backend',
                );
            } else if (prev === 'down') {
              b?.markUp();
            }
          },
        });
        return new Cluster(
          name,
          primary,
          replicas,
          {
            defaultReadPreference: c.defaultReadPreference,
            maxReplicaLagMs: c.maxReplicaLagMs,
            hedging: c.hedging.enabled ? new HedgePolicy(c.hedging) : undefined,
          },
          monitor,
        );
      }),
    );
    // Idempotency key tables: one store per cluster, on its primary (created at start when missing).
    const stores = new Map(
      clusters.all().map((cluster) => {
        const settings = (config.clusters[cluster.name] as ClusterConfig).idempotency;
        const store = new IdempotencyStore(cluster.name, cluster.primary, settings, (err) =>
          logger.warn(
            { cluster: cluster.name, code: err.code, reason: err.reason, errno: err.mysqlErrno },
            'idempotency key expiry failed',
          ),
        );
        return [cluster.name, store] as const;
      }),
    );
    // Classification runs on every call: cache it per SQL text.
    const classifier = new StatementClassifier();
    const service = new SessionService({
      clusters,
      limits: config.limits,
      classify: (sql) => classifier.classify(sql),
      transactions: config.transactions,
      newRowBatch: () => new RowBatchBuilder(),
      collectRows: () => new RowCollector(),
      batch: config.limits,
      idempotency: (cluster) => stores.get(cluster),
      replayByDefault: (cluster) => config.clusters[cluster]?.transactions.replay === true,
    });
    const sessions = service.registry;
    // One snapshot for Admin.GetStatus and the admin HTTP status routes, so they cannot disagree.
    const status = (cluster?: string) => gatewayStatus({ clusters, sessions, startedAt }, cluster);
    telemetry.observe({ clusters: () => clusters.all(), sessionCounts: () => sessions.counts() });
    // The status page's last minutes, read from the same snapshot (only with an admin listener).
    const history =
      config.admin.port === -1
        ? undefined
        : new StatusHistory({
            probe: {
              backends: () => historyBackends(status()),
              activeTransactions: () => sessions.counts().active,
            },
          });
    // Query digests count every statement, with telemetry on or off (telemetry/digest-trace.ts).
    const digestConfig = config.telemetry.queryDigests;
    const queryDigests = digestConfig.enabled
      ? new QueryDigests({ maxEntries: digestConfig.maxEntries })
      : undefined;
    if (queryDigests !== undefined) observeDigestMetrics(telemetry.metrics.meter, queryDigests);
    const tracer = new DigestingTracer(telemetry, {
      digests: queryDigests,
      texts: new QueryTextCache(),
      slowStatementMs: config.telemetry.slowStatementMs,
      logger,
    });
    const queryStats = { digests: queryDigests, maxEntries: digestConfig.maxEntries };
    const guard = new CallGuard(config.auth.enabled ? new Authenticator(config.auth) : undefined);
    warnAboutSecurity(config, logger);
    let server: GatewayServer | undefined;
    try {
      clusters.start();
      for (const store of stores.values()) {
        store.start();
        prepareKeyTable(store, logger);
      }
      server = await GatewayServer.create({
        credentials: serverCredentials(config.server.tls),
        host: config.server.host,
        port: config.server.port,
        maxReceiveMessageBytes: config.server.maxReceiveMessageBytes,
        maxSendMessageBytes: config.server.maxSendMessageBytes,
        maxConcurrentStreamsPerConnection: config.server.maxConcurrentStreamsPerConnection,
        keepaliveTimeMs: config.server.keepaliveTimeMs,
        keepaliveTimeoutMs: config.server.keepaliveTimeoutMs,
        deps: {
          scaffold: new CallScaffold({
            guard,
            telemetry: tracer,
            onError: (method, err, trace, principal) => logCallFailure(logger, method, err, trace, principal),
            ...(history ? { observer: history } : {}),
          }),
          sessions: service,
          clusters,
          status,
          queryStats,
        },
      });
      const grpc = server;
      onServingChange = (cluster, serving) => grpc.setClusterServing(cluster, serving);
      for (const c of clusters.all()) grpc.setClusterServing(c.name, c.serving);
      const admin = await startAdmin(config, clusters, guard, status, history, telemetry, logger, () => ({
        query_digests: statusDigests(queryDigests),
      }));
      history?.start();
      return new Gateway(config, clusters, sessions, grpc, admin, history, telemetry, logger, [
        ...stores.values(),
      ]);
    } catch (err) {
      await history?.close();
      await server?.close(0);
      await Promise.all([...stores.values()].map((s) => s.close()));
      await clusters.close();
      await telemetry.close();
      throw err;
    }
  }

  /** Graceful stop: health NOT_SERVING, drain, roll back transactions, close pools. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger.info('shutting down');
      await this.admin?.close();
      await this.history?.close();
      await this.server.close(this.config.server.shutdownGraceMs);
      await Promise.all(this.keyStores.map((s) => s.close()));
      await this.clusters.close();
      await this.telemetry.close();
      this.logger.info('stopped');
    })();
    return this.closing;
  }
}

/** Every backend's pool and lag in a status snapshot, by `cluster/backend` (a history sample's). */
function historyBackends(s: GatewayStatus): Record<string, BackendSample> {
  const out: Record<string, BackendSample> = {};
  for (const c of s.clusters)
    for (const b of c.backends)
      out[`${c.name}/${b.name}`] = { used: b.pool.used, waiting: b.pool.waiting, lag_ms: b.lag_ms };
  return out;
}

/** Creates a cluster's key table in the background; a failure is logged, keyed calls then retry it. */
function prepareKeyTable(store: IdempotencyStore, logger: Logger): void {
  const signal = new AbortController().signal;
  store.ensureTable({ signal, deadline: Date.now() + 30_000 }).then(
    () => logger.debug({ cluster: store.cluster, table: store.table }, 'idempotency key table ready'),
    (err: unknown) => {
      const e = GatewayError.from(err);
      logger.warn(
        { cluster: store.cluster, table: store.table, reason: e.reason, error: e.message },
        'idempotency key table not available',
      );
    },
  );
}

/** Logs a failed call: codes and reasons only (server messages can echo values); INTERNAL with its stack. */
function logCallFailure(
  logger: Logger,
  method: string,
  err: unknown,
  trace: CallTrace,
  principal: string,
): void {
  const e = GatewayError.from(err);
  const fields = trace.logFields();
  logger.info(
    {
      ...fields,
      method,
      ...(principal === '' ? {} : { principal }),
      code: e.code,
      reason: e.reason,
      errno: e.mysqlErrno,
      sqlState: e.sqlState,
    },
    'call failed',
  );
  if (e.code === Code.INTERNAL)
    logger.error({ ...fields, method, stack: (e.cause as Error | undefined)?.stack }, 'internal error');
}

/** Says loudly what the configuration leaves open: no authentication, tokens over plaintext. */
function warnAboutSecurity(config: GatewayConfig, logger: Logger): void {
  const { auth, server, admin } = config;
  if (!auth.enabled) {
    logger.warn(
      { listen: `${server.host}:${server.port}`, admin: `${admin.host}:${admin.port}` },
      'AUTHENTICATION IS OFF (auth.enabled: false): anyone who can reach the gateway can run any ' +
        'statement on every cluster and read its status. Use this only on a private machine.',
    );
    return;
  }
  const principals = Object.values(auth.principals);
  if (principals.length === 0) {
    logger.warn('authentication is on but auth.principals is empty: every call will fail UNAUTHENTICATED');
  }
  if (
    server.tls.cert === '' &&
    !isLoopback(server.host) &&
    principals.some((p) => p.tokenSha256.length > 0)
  ) {
    logger.warn(
      { listen: `${server.host}:${server.port}` },
      'bearer tokens will cross the network in plaintext: set server.tls.cert and server.tls.key',
    );
  }
}

/**
 * Binds the admin HTTP listener (unless `admin.port` is -1) with its health, status and metrics
 * routes.
 */
async function startAdmin(
  config: GatewayConfig,
  clusters: ClusterRegistry,
  guard: CallGuard,
  status: () => GatewayStatus,
  history: StatusHistory | undefined,
  telemetry: Telemetry,
  logger: Logger,
  statusExtras: () => Record<string, unknown>,
): Promise<AdminHttpServer | undefined> {
  if (config.admin.port === -1) return undefined;
  const admin = await AdminHttpServer.create({
    host: config.admin.host,
    port: config.admin.port,
    authorize: adminPageAuthorizer(guard, config.admin.host),
    onError: (path, err) =>
      logger.error({ path, stack: (err as Error | undefined)?.stack }, 'admin request failed'),
  });
  addHealthRoutes(admin, () => clusters.all());
  addStatusRoutes(admin, status, history ? () => history.json() : undefined, statusExtras);
  const metrics = telemetry.prometheusHandler;
  if (metrics !== undefined) admin.route('/metrics', metrics);
  logger.info({ admin: `${config.admin.host}:${admin.port}`, paths: admin.paths }, 'admin HTTP listening');
  return admin;
}
