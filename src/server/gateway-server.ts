/**
 * The gRPC server: the Gateway service, the standard health service (overall and one entry per
 * cluster) and server reflection, on one port. Owns the grpc-js Server; {@link close} drains it.
 */
import { type ChannelOptions, Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { Code, GatewayError } from '../errors.js';
import type { HandlerDeps } from './handler-deps.js';
import { getQueryStatsHandler, getStatusHandler } from './admin.js';
import { batchHandler } from './batch.js';
import { executeHandler } from './execute.js';
import { DescriptorSet } from '../wire/descriptor-set.js';
import { gatewayServices } from '../wire/proto.js';
import { queryHandler } from './query.js';
import { ServerReflection } from './reflection.js';
import { transactionHandler } from './transaction.js';

/** Waits for `p`, at most `ms`. */
function withinMs(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The fully-qualified name of the Gateway service, also its health-check service name. */
export const GATEWAY_SERVICE = 'mysqlgateway.v1.Gateway';

/** The fully-qualified name of the Admin service. */
export const ADMIN_SERVICE = 'mysqlgateway.v1.Admin';

/** The standard health service (grpc-health-check's). */
const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** The health-check service name of a cluster. */
export function clusterHealthName(cluster: string): string {
  return `${GATEWAY_SERVICE}/${cluster}`;
}

/** Options of {@link GatewayServer.create}. */
export interface GatewayServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly maxConcurrentStreamsPerConnection: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly credentials?: ServerCredentials;
  readonly deps: HandlerDeps;
}

/** A listening gateway. */
export class GatewayServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly health: HealthImplementation,
    /** The bound port (useful with port 0). */
    readonly port: number,
    private readonly deps: HandlerDeps,
  ) {}

  /** Builds and binds the server; it serves once this resolves. */
  static async create(opts: GatewayServerOptions): Promise<GatewayServer> {
    const channelOptions: ChannelOptions = {
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes,
      'grpc.max_send_message_length': opts.maxSendMessageBytes,
      'grpc.max_concurrent_streams': opts.maxConcurrentStreamsPerConnection,
      'grpc.keepalive_time_ms': opts.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      // Nothing reads channelz here; tracking it costs closures and timestamps on every call.
      'grpc.enable_channelz': 0,
    };
    const server = new Server(channelOptions);
    const { Gateway, Admin } = gatewayServices();
    server.addService(Gateway, {
      Query: queryHandler(opts.deps),
      Execute: executeHandler(opts.deps),
      Transaction: transactionHandler(opts.deps),
      Batch: batchHandler(opts.deps),
    });
    server.addService(Admin, {
      GetStatus: getStatusHandler(opts.deps),
      GetQueryStats: getQueryStatsHandler(opts.deps),
    });
    const statuses: ServingStatusMap = { '': 'SERVING', [GATEWAY_SERVICE]: 'SERVING' };
    for (const c of opts.deps.clusters.all())
      statuses[clusterHealthName(c.name)] = c.serving ? 'SERVING' : 'NOT_SERVING';
    const health = new HealthImplementation(statuses);
    health.addToServer(server);
    new ServerReflection(DescriptorSet.load(), [GATEWAY_SERVICE, ADMIN_SERVICE, HEALTH_SERVICE]).addToServer(
      server,
    );
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`,
        opts.credentials ?? ServerCredentials.createInsecure(),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      );
    });
    return new GatewayServer(server, health, port, opts.deps);
  }

  /** Follows a cluster's primary health (SERVING while the primary is usable). Ignored once closing. */
  setClusterServing(cluster: string, serving: boolean): void {
    if (this.closing) return;
    this.health.setStatus(clusterHealthName(cluster), serving ? 'SERVING' : 'NOT_SERVING');
  }

  /**
   * Graceful stop: health NOT_SERVING, no new calls, calls in flight get `graceMs`, then open
   * transactions are rolled back and remaining calls cut off. Idempotent. Pools are closed by the
   * caller afterwards (they belong to the clusters).
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      this.health.setStatus('', 'NOT_SERVING');
      this.health.setStatus(GATEWAY_SERVICE, 'NOT_SERVING');
      for (const c of this.deps.clusters.all())
        this.health.setStatus(clusterHealthName(c.name), 'NOT_SERVING');
      const drained = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      await withinMs(drained, graceMs);
      await this.deps.sessions.close(
        new GatewayError(
          Code.UNAVAILABLE,
          'GATEWAY_SHUTTING_DOWN',
          'the gateway is shutting down: transaction rolled back',
        ),
      );
      // Let the statuses just written (the rolled-back transactions') reach their clients.
      await withinMs(drained, 1000);
      this.server.forceShutdown();
    })();
    return this.closing;
  }
}
