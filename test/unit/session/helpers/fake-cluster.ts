/**
 * A real {@link Cluster} (routing is pure) over {@link FakeBackend}s, with a fake health source
 * that records the connection errors traffic reports and a recorder of every routeRead call.
 */
import type { Backend } from '../../../../src/backend/backend.js';
import type { ReadPreference } from '../../../../src/routing/choose-backend.js';
import {
  Cluster,
  ClusterRegistry,
  type HealthSource,
  type ReadRequest,
} from '../../../../src/routing/cluster.js';
import type { BackendHealth, HealthState } from '../../../../src/routing/health-state.js';
import type { HedgePolicy } from '../../../../src/routing/hedge-policy.js';
import { FakeBackend } from './fake-backend.js';

export class FakeHealth implements HealthSource {
  readonly states = new Map<string, HealthState>();
  readonly reported: { name: string; err: unknown }[] = [];

  health(name: string): BackendHealth {
    return {
      state: this.states.get(name) ?? 'healthy',
      lagMs: 0,
      replicationRunning: true,
      readOnly: undefined,
      pingMs: undefined,
      lastError: undefined,
      lastCheckAt: undefined,
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
    };
  }

  reportConnectionError(name: string, err: unknown): void {
    this.reported.push({ name, err });
  }

  start(): void {}

  async close(): Promise<void> {}
}

export interface FakeClusterOptions {
  /** Replicas named replica1..N. @default 0 */
  readonly replicas?: number;
  /** @default 'REPLICA_PREFERRED' */
  readonly defaultReadPreference?: ReadPreference;
  /** Hedged reads. @default undefined (off) */
  readonly hedging?: HedgePolicy;
}

export interface FakeClusterSetup {
  readonly cluster: Cluster;
  readonly registry: ClusterRegistry;
  readonly primary: FakeBackend;
  readonly replicas: readonly FakeBackend[];
  readonly health: FakeHealth;
  /** Every routeRead call: the request and the backend it excluded. */
  readonly routeReads: { req: ReadRequest; exclude: string | undefined }[];
}

/** The cluster "default": a primary and `replicas` replicas; ties between replicas go to the first. */
export function fakeCluster(opts: FakeClusterOptions = {}): FakeClusterSetup {
  const primary = new FakeBackend('primary:3306', 'primary', 100);
  const replicas = Array.from(
    { length: opts.replicas ?? 0 },
    (_, i) => new FakeBackend(`replica${i + 1}:3306`, 'replica', 1000 * (i + 1)),
  );
  const health = new FakeHealth();
  const cluster = new Cluster(
    'default',
    primary.backend,
    replicas.map((r) => r.backend),
    {
      defaultReadPreference: opts.defaultReadPreference ?? 'REPLICA_PREFERRED',
      maxReplicaLagMs: 0,
      hedging: opts.hedging,
    },
    health,
    () => 0,
  );
  const routeReads: { req: ReadRequest; exclude: string | undefined }[] = [];
  const routeRead = cluster.routeRead.bind(cluster);
  cluster.routeRead = (req: ReadRequest, exclude?: Backend) => {
    routeReads.push({ req, exclude: exclude?.name });
    return routeRead(req, exclude);
  };
  return { cluster, registry: new ClusterRegistry([cluster]), primary, replicas, health, routeReads };
}
