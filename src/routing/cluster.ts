/**
 * Named clusters (the original design's "multiple named connections"): each a primary and its
 * replicas, and the choice of which backend serves a statement.
 */
import type { Backend } from '../backend/backend.js';
import { errors } from '../errors.js';
import { type Candidate, chooseForRead, type ReadPreference } from './choose-backend.js';
import type { BackendHealth } from './health-state.js';
import type { HedgePolicy } from './hedge-policy.js';

export type { ReadPreference } from './choose-backend.js';

/** What routing needs from the health monitor (src/routing/health-monitor.ts). */
export interface HealthSource {
  health(name: string): BackendHealth;
  reportConnectionError(name: string, err: unknown): void;
  start(): void;
  close(): Promise<void>;
}

/** What the router needs to know about a read. */
export interface ReadRequest {
  /** The statement is proven read-only (sql/classify). Anything else goes to the primary. */
  readonly readOnly: boolean;
  /** Unset = the cluster's default. */
  readonly readPreference?: ReadPreference | undefined;
  /** 0/unset = the cluster's max replica lag. */
  readonly maxStalenessMs?: number | undefined;
}

/** A routing decision, with the reason (shown on spans and in logs). */
export interface Route {
  readonly backend: Backend;
  readonly reason: string;
}

/** Options of a {@link Cluster}. */
export interface ClusterOptions {
  readonly defaultReadPreference: ReadPreference;
  readonly maxReplicaLagMs: number;
  /** Hedged reads (hedge-policy.ts); undefined when `hedging.enabled` is false. */
  readonly hedging?: HedgePolicy | undefined;
}

/** A primary and its replicas. Owns (starts and closes) its backends and their health monitor. */
export class Cluster {
  constructor(
    readonly name: string,
    readonly primary: Backend,
    readonly replicas: readonly Backend[],
    readonly options: ClusterOptions,
    /** Health of the backends; without one every backend counts as healthy with unknown lag. */
    readonly health?: HealthSource,
    private readonly random: () => number = Math.random,
  ) {}

  /** Every backend, primary first. */
  get backends(): readonly Backend[] {
    return [this.primary, ...this.replicas];
  }

  /** Starts every backend's pool and the health monitor. */
  start(): void {
    for (const b of this.backends) b.start();
    this.health?.start();
  }

  private candidate(b: Backend): Candidate {
    const h = this.health?.health(b.name);
    return {
      name: b.name,
      state: h?.state ?? 'healthy',
      lagMs: h?.lagMs,
      inFlight: b.inFlight,
      weight: b.weight,
    };
  }

  /** True unless the health monitor has taken the primary down (the cluster's grpc.health status). */
  get serving(): boolean {
    return this.health?.health(this.primary.name).state !== 'down';
  }

  /** Tells the health monitor that real traffic could not reach `backend`. */
  reportConnectionError(backend: Backend, err: unknown): void {
    this.health?.reportConnectionError(backend.name, err);
  }

  /**
   * Writes, DDL and read-write transactions: always the primary. While the health monitor has
   * the primary down, fails at once with UNAVAILABLE `PRIMARY_UNRESPONSIVE` instead of letting
   * each call hold a connection until its deadline; calls reach it again as soon as the monitor
   * brings it back.
   */
  routeWrite(): Route {
    this.failIfPrimaryDown();
    return { backend: this.primary, reason: 'write' };
  }

  /** Throws UNAVAILABLE `PRIMARY_UNRESPONSIVE` while the health monitor has the primary down. */
  private failIfPrimaryDown(): void {
    const h = this.health?.health(this.primary.name);
    if (h?.state !== 'down') return;
    const since = h.downSince === undefined ? '' : ` since ${new Date(h.downSince).toISOString()}`;
    throw errors.unavailable(
      'PRIMARY_UNRESPONSIVE',
      `the primary "${this.primary.name}" of cluster "${this.name}" is unresponsive: marked down by ` +
        `its health checks${since}${h.lastError ? ` (${h.lastError})` : ''}; nothing was sent to it`,
    );
  }

  /**
   * Chooses the backend for a read: statements not proven read-only go to the primary; the
   * others follow the read preference over the replicas that are healthy and within the lag
   * bound, least outstanding requests per weight first. `exclude` skips a backend that just
   * failed (retry elsewhere). Throws UNAVAILABLE naming why when REPLICA finds no replica, and
   * UNAVAILABLE `PRIMARY_UNRESPONSIVE` when the read can only go to a primary that is down.
   */
  routeRead(req: ReadRequest, exclude?: Backend): Route {
    if (!req.readOnly) {
      this.failIfPrimaryDown();
      return { backend: this.primary, reason: 'not read-only: primary' };
    }
    const preference = req.readPreference ?? this.options.defaultReadPreference;
    const maxLag =
      req.maxStalenessMs && req.maxStalenessMs > 0 ? req.maxStalenessMs : this.options.maxReplicaLagMs;
    const replicas = this.replicas.map((b) => {
      const c = this.candidate(b);
      return b === exclude ? { ...c, state: 'down' } : c;
    });
    // Ties go to a random start: a counter would fall into step with callers' own patterns.
    const start = Math.floor(this.random() * Math.max(1, replicas.length));
    const choice = chooseForRead(preference, this.candidate(this.primary), replicas, maxLag, start);
    if (typeof choice === 'string') throw errors.unavailable('NO_USABLE_REPLICA', choice);
    if (choice.replica < 0) {
      // A read that can only go to a down primary fails at once, as a write does.
      this.failIfPrimaryDown();
      return { backend: this.primary, reason: choice.reason };
    }
    const backend = this.replicas[choice.replica] as Backend;
    return { backend, reason: choice.reason };
  }

  /** Stops the health monitor, then closes every backend. */
  async close(): Promise<void> {
    await this.health?.close();
    await Promise.all(this.backends.map((b) => b.close()));
  }
}

/** The named clusters of a gateway. */
export class ClusterRegistry {
  private readonly byName: ReadonlyMap<string, Cluster>;

  constructor(clusters: readonly Cluster[]) {
    this.byName = new Map(clusters.map((c) => [c.name, c]));
  }

  /** The cluster called `name`; empty means `default`. NOT_FOUND naming it otherwise. */
  get(name: string | undefined): Cluster {
    const key = name || 'default';
    const cluster = this.byName.get(key);
    if (!cluster) throw errors.notFound('UNKNOWN_CLUSTER', `unknown cluster "${key.slice(0, 100)}"`);
    return cluster;
  }

  /** All clusters. */
  all(): readonly Cluster[] {
    return [...this.byName.values()];
  }

  /** Starts every cluster. */
  start(): void {
    for (const c of this.byName.values()) c.start();
  }

  /** Closes every cluster. */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((c) => c.close()));
  }
}
