/**
 * The gateway's metric instruments: the OpenTelemetry database-client and RPC-server metrics,
 * the connection-pool metrics (from pool events and `Pool.stats()`), and the gateway's own
 * (health, replica lag, retries, transactions, rows and bytes streamed). Gauges read their
 * sources only when a reader collects (a Prometheus scrape, an OTLP export), never per call.
 */
import type { Attributes, Counter, Meter, Observable } from '@opentelemetry/api';
import type { PoolEvent } from '../pool/pool-events.js';
import { HEDGE_OUTCOMES, type StatementTarget } from './call-trace.js';
import { type DurationHistogram, type HistogramProducer, NOOP_HISTOGRAM } from './histograms.js';
import { ATTR, DURATION_BUCKETS_S, LABEL, METRIC } from './semconv.js';

/** The part of `PoolStats` the metrics read. */
export interface ObservedPoolStats {
  readonly idle: number;
  readonly used: number;
  readonly waiting: number;
  readonly created: number;
  readonly closed: number;
  readonly errors: number;
  readonly acquireTimeouts: number;
  readonly min: number;
  readonly max: number;
}

/** A backend as the metrics see it (a `Backend` fits). */
export interface ObservedBackend extends StatementTarget {
  readonly inFlight: number;
  readonly pool: { readonly options: { readonly name: string }; stats(): ObservedPoolStats };
}

/** A cluster as the metrics see it (a `Cluster` fits). */
export interface ObservedCluster {
  readonly name: string;
  readonly serving: boolean;
  readonly backends: readonly ObservedBackend[];
  readonly health?: {
    health(name: string): { readonly state: string; readonly lagMs: number | undefined };
  };
}

/** Where the gauges read from (wired by the gateway once its clusters exist). */
export interface ObservedGateway {
  clusters(): readonly ObservedCluster[];
  sessionCounts(): {
    readonly active: number;
    readonly committed: number;
    readonly rolledBack: number;
    readonly aborted: number;
  };
}

const HEALTH_STATES = ['healthy', 'lagging', 'down'] as const;

function durationHistogram(
  producer: HistogramProducer | undefined,
  name: string,
  description: string,
): DurationHistogram {
  return producer?.histogram(name, description, 's', DURATION_BUCKETS_S) ?? NOOP_HISTOGRAM;
}

/** Every instrument, created once per meter. */
export class GatewayMetrics {
  /** `db.client.operation.duration`, seconds, per statement. */
  readonly dbOperationDuration: DurationHistogram;
  /** `rpc.server.call.duration`, seconds, per RPC. */
  readonly rpcCallDuration: DurationHistogram;
  readonly retries: Counter;
  /** Transaction replays by cluster and outcome. */
  readonly transactionReplays: Counter;
  /** Hedged reads by outcome (`sent`, `won`, `lost`, `skipped_budget`, `skipped_no_backend`). */
  readonly hedges: Counter;
  private readonly createTime: DurationHistogram;
  private readonly waitTime: DurationHistogram;
  private readonly useTime: DurationHistogram;
  /** Pool attributes per backend, built once. */
  private readonly poolAttributes = new WeakMap<object, Attributes>();
  private readonly backendAttributes = new WeakMap<object, Attributes>();
  /**
   * Rows and bytes streamed per backend, summed here and read by an observable counter at
   * collection: two additions per statement instead of two attribute-hashing `Counter.add`s.
   */
  private readonly streamedTotals = new WeakMap<object, { rows: number; bytes: number }>();
  private observed = false;

  /**
   * @param meter Creates the counters and gauges.
   * @param histograms Where the hot-path histograms live (served to the readers as a
   *   `MetricProducer`); undefined when metrics are off.
   */
  constructor(
    /** The meter the instruments come from (a no-op meter while metrics are off). */
    readonly meter: Meter,
    histograms: HistogramProducer | undefined,
    private readonly startedAtMs: number = Date.now(),
  ) {
    this.dbOperationDuration = durationHistogram(
      histograms,
      METRIC.dbOperationDuration,
      'Duration of database client operations (one statement sent to MySQL/MariaDB).',
    );
    this.rpcCallDuration = durationHistogram(
      histograms,
      METRIC.rpcServerCallDuration,
      'Duration of gateway RPCs, from the call to its status (a Transaction: the whole stream).',
    );
    this.createTime = durationHistogram(
      histograms,
      METRIC.connectionCreateTime,
      'The time it took to create a new connection.',
    );
    this.waitTime = durationHistogram(
      histograms,
      METRIC.connectionWaitTime,
      'The time it took to obtain an open connection from the pool.',
    );
    this.useTime = durationHistogram(
      histograms,
      METRIC.connectionUseTime,
      'The time between borrowing a connection and returning it to the pool.',
    );
    this.retries = meter.createCounter(METRIC.retries, {
      description: 'Read-only queries re-sent after a connection failure, by cluster.',
      unit: '{retry}',
    });
    this.transactionReplays = meter.createCounter(METRIC.transactionReplays, {
      description: 'Transactions replayed on a new connection after losing theirs, by cluster and outcome.',
      unit: '{replay}',
    });
    this.hedges = meter.createCounter(METRIC.hedges, {
      description:
        'Hedged reads by cluster and outcome: sent, won (the hedge answered first), lost (the first attempt did), ' +
        'skipped_budget, skipped_no_backend.',
      unit: '{hedge}',
    });
  }

  /** Adds a result streamed from `source` to the rows and bytes counters. */
  streamed(source: StatementTarget, rows: number, bytes: number): void {
    const totals = this.streamedTotals.get(source);
    if (totals === undefined) this.streamedTotals.set(source, { rows, bytes });
    else {
      totals.rows += rows;
      totals.bytes += bytes;
    }
  }

  /** `{cluster, backend, role}` of a backend, built once. */
  backendLabels(b: StatementTarget): Attributes {
    let attrs = this.backendAttributes.get(b);
    if (attrs === undefined) {
      attrs = { [LABEL.cluster]: b.cluster, [LABEL.backend]: b.name, [LABEL.role]: b.role };
      this.backendAttributes.set(b, attrs);
    }
    return attrs;
  }

  private poolLabels(b: ObservedBackend): Attributes {
    let attrs = this.poolAttributes.get(b);
    if (attrs === undefined) {
      attrs = { [ATTR.dbPoolName]: b.pool.options.name };
      this.poolAttributes.set(b, attrs);
    }
    return attrs;
  }

  /** Records a pool event of `backend` (the `onPoolEvent` option of `Backend`). */
  onPoolEvent(backend: ObservedBackend, e: PoolEvent): void {
    switch (e.type) {
      case 'acquired':
        this.waitTime.record(e.waitMs / 1000, this.poolLabels(backend));
        break;
      case 'released':
        this.useTime.record(e.useMs / 1000, this.poolLabels(backend));
        break;
      case 'created':
        this.createTime.record(e.createMs / 1000, this.poolLabels(backend));
        break;
      default:
      // Timeouts, closes and errors are counted by the pool itself and read from its stats.
    }
  }

  /**
   * Registers the gauges over `source`: pools, health, replica lag, transactions, uptime. Counters
   * that only move on rare events start at 0 for every cluster and backend, so that `rate()` and
   * dashboards see them from the first scrape. Call once.
   */
  observe(source: ObservedGateway): void {
    if (this.observed) throw new Error('GatewayMetrics.observe() called twice');
    this.observed = true;
    const m = this.meter;
    const count = m.createObservableUpDownCounter(METRIC.connectionCount, {
      description: 'The number of connections that are currently in state described by the state attribute.',
      unit: '{connection}',
    });
    const idleMax = m.createObservableUpDownCounter(METRIC.connectionIdleMax, {
      description: 'The maximum number of idle open connections allowed (the pool max).',
      unit: '{connection}',
    });
    const idleMin = m.createObservableUpDownCounter(METRIC.connectionIdleMin, {
      description: 'The minimum number of idle open connections allowed (the pool min).',
      unit: '{connection}',
    });
    const max = m.createObservableUpDownCounter(METRIC.connectionMax, {
      description: 'The maximum number of open connections allowed (pool.max).',
      unit: '{connection}',
    });
    const limit = m.createObservableUpDownCounter(METRIC.connectionLimit, {
      description: 'The maximum number of open connections allowed (pool.max; newer name of .max).',
      unit: '{connection}',
    });
    const pending = m.createObservableUpDownCounter(METRIC.connectionPendingRequests, {
      description: 'The number of current pending requests for an open connection (callers waiting).',
      unit: '{request}',
    });
    const timeouts = m.createObservableCounter(METRIC.connectionTimeouts, {
      description:
        'The number of connection timeouts that have occurred trying to obtain a connection from the pool.',
      unit: '{timeout}',
    });
    const created = m.createObservableCounter(METRIC.connectionsCreated, {
      description: 'Connections opened by the pool.',
      unit: '{connection}',
    });
    const closed = m.createObservableCounter(METRIC.connectionsClosed, {
      description: 'Connections closed by the pool (idle, lifetime, broken, validation, reset, shutdown).',
      unit: '{connection}',
    });
    const errors = m.createObservableCounter(METRIC.connectionErrors, {
      description: 'Failed connection opens, validations and resets.',
      unit: '{error}',
    });
    const lag = m.createObservableGauge(METRIC.replicationLag, {
      description: 'Replica lag (Seconds_Behind_Master) as of the last health check; absent while unknown.',
      unit: 's',
    });
    const health = m.createObservableGauge(METRIC.healthState, {
      description: 'Backend health: 1 for the current state (healthy, lagging, down), 0 for the others.',
      unit: '1',
    });
    const inFlight = m.createObservableUpDownCounter(METRIC.backendInFlight, {
      description: 'Leases held on the backend right now (what least-outstanding-requests routing compares).',
      unit: '{request}',
    });
    const serving = m.createObservableGauge(METRIC.clusterServing, {
      description: '1 while the cluster primary is not down (grpc.health SERVING), else 0.',
      unit: '1',
    });
    const active = m.createObservableUpDownCounter(METRIC.transactionsActive, {
      description: 'Open Transaction streams.',
      unit: '{transaction}',
    });
    const ended = m.createObservableCounter(METRIC.transactionsEnded, {
      description: 'Ended Transaction streams by outcome: committed, rolled_back (by the client) or aborted.',
      unit: '{transaction}',
    });
    const rowsStreamed = m.createObservableCounter(METRIC.rowsStreamed, {
      description: 'Result rows streamed to clients, by backend.',
      unit: '{row}',
    });
    const bytesStreamed = m.createObservableCounter(METRIC.bytesStreamed, {
      description: 'Result payload streamed to clients (estimated encoded size), by backend.',
      unit: 'By',
    });
    const uptime = m.createObservableGauge(METRIC.uptime, {
      description: 'Time since the gateway started.',
      unit: 's',
    });
    const observables: Observable[] = [
      count,
      idleMax,
      idleMin,
      max,
      limit,
      pending,
      timeouts,
      created,
      closed,
      errors,
      lag,
      health,
      inFlight,
      serving,
      active,
      ended,
      rowsStreamed,
      bytesStreamed,
      uptime,
    ];
    m.addBatchObservableCallback((r) => {
      for (const c of source.clusters()) {
        r.observe(serving, c.serving ? 1 : 0, { [LABEL.cluster]: c.name });
        for (const b of c.backends) {
          const s = b.pool.stats();
          const pool = this.poolLabels(b);
          r.observe(count, s.idle, { ...pool, [ATTR.dbConnectionState]: 'idle' });
          r.observe(count, s.used, { ...pool, [ATTR.dbConnectionState]: 'used' });
          r.observe(idleMax, s.max, pool);
          r.observe(idleMin, s.min, pool);
          r.observe(max, s.max, pool);
          r.observe(limit, s.max, pool);
          r.observe(pending, s.waiting, pool);
          r.observe(timeouts, s.acquireTimeouts, pool);
          r.observe(created, s.created, pool);
          r.observe(closed, s.closed, pool);
          r.observe(errors, s.errors, pool);
          const labels = this.backendLabels(b);
          r.observe(inFlight, b.inFlight, labels);
          const streamed = this.streamedTotals.get(b);
          r.observe(rowsStreamed, streamed?.rows ?? 0, labels);
          r.observe(bytesStreamed, streamed?.bytes ?? 0, labels);
          const h = c.health?.health(b.name);
          const state = h?.state ?? 'healthy';
          for (const st of HEALTH_STATES)
            r.observe(health, st === state ? 1 : 0, { ...labels, [LABEL.state]: st });
          if (h?.lagMs !== undefined) r.observe(lag, h.lagMs / 1000, labels);
        }
      }
      const t = source.sessionCounts();
      r.observe(active, t.active);
      r.observe(ended, t.committed, { [LABEL.outcome]: 'committed' });
      r.observe(ended, t.rolledBack, { [LABEL.outcome]: 'rolled_back' });
      r.observe(ended, t.aborted, { [LABEL.outcome]: 'aborted' });
      r.observe(uptime, (Date.now() - this.startedAtMs) / 1000);
    }, observables);
    for (const c of source.clusters()) {
      this.retries.add(0, { [LABEL.cluster]: c.name });
      for (const outcome of ['replayed', 'mismatch', 'failed'])
        this.transactionReplays.add(0, { [LABEL.cluster]: c.name, [LABEL.outcome]: outcome });
      for (const outcome of HEDGE_OUTCOMES)
        this.hedges.add(0, { [LABEL.cluster]: c.name, [LABEL.outcome]: outcome });
    }
  }
}
