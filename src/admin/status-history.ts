/**
 * The last minutes of a gateway, in memory, for the status page's charts: one sample a second
 * (`intervalMs`) in a ring of `capacity` samples (15 minutes by default), nothing stored
 * anywhere else. Each sample holds, for the second that just ended, the calls and failed calls of
 * each RPC with their p50 and p99 latency, and, read at that moment, every backend's pool (leased
 * and waiting) and replication lag and the open transactions.
 *
 * Latencies of one second are kept as they arrive (at most {@link MAX_LATENCIES_PER_SECOND} per
 * RPC, a uniform reservoir beyond that) and sorted once when the second ends: exact percentiles
 * for the traffic a status page is about, bounded memory and work under any load.
 */
import { type Clock, systemClock } from '../pool/clock.js';

/** Latencies kept per RPC and second; beyond, a uniform sample of this many. */
export const MAX_LATENCIES_PER_SECOND = 2048;

/** One RPC during one sample's second. */
export interface RpcSample {
  readonly calls: number;
  /** Calls that ended with a status other than OK. */
  readonly errors: number;
  /** Latency percentiles of the calls that ended in that second, µs; null without calls. */
  readonly p50_us: number | null;
  readonly p99_us: number | null;
}

/** One backend when the sample was taken. */
export interface BackendSample {
  /** Leased connections. */
  readonly used: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** Replication lag, ms; null for a primary or when unknown. */
  readonly lag_ms: number | null;
}

/** One second of the gateway. */
export interface HistorySample {
  /** When the second ended, epoch ms. */
  readonly t: number;
  /** By RPC method name (Query, Execute, Transaction, Batch, GetStatus …): only those called. */
  readonly rpc: Readonly<Record<string, RpcSample>>;
  /** By `cluster/backend`. */
  readonly backends: Readonly<Record<string, BackendSample>>;
  readonly active_transactions: number;
}

/** What `/status/history.json` sends. */
export interface StatusHistoryJson {
  readonly interval_ms: number;
  /** Oldest first. */
  readonly samples: readonly HistorySample[];
}

/** The figures read at each sample (clusters and sessions, through gateway.ts). */
export interface HistoryProbe {
  backends(): Record<string, BackendSample>;
  activeTransactions(): number;
}

/** Options of {@link StatusHistory}. */
export interface StatusHistoryOptions {
  readonly probe: HistoryProbe;
  /** Length of a sample, ms. @default 1000 */
  readonly intervalMs?: number;
  /** Samples kept. @default 900 (15 minutes of 1 s samples) */
  readonly capacity?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Uniform random numbers in [0, 1), for the latency reservoir. @default Math.random */
  readonly random?: () => number;
}

interface Window {
  calls: number;
  errors: number;
  latencies: number[];
}

/** Records calls as they end and samples the gateway every interval. */
export class StatusHistory {
  private readonly probe: HistoryProbe;
  private readonly intervalMs: number;
  private readonly capacity: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly ring: HistorySample[] = [];
  private windows = new Map<string, Window>();
  private timer: unknown;
  private closed = false;

  constructor(opts: StatusHistoryOptions) {
    this.probe = opts.probe;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.capacity = opts.capacity ?? 900;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  /** Starts sampling (every `intervalMs`, on unref'd timers). */
  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.schedule();
  }

  /** A call of `method` ended with gRPC status `code` after `durationUs` microseconds. */
  callEnded(method: string, code: number, durationUs: number): void {
    let w = this.windows.get(method);
    if (w === undefined) {
      w = { calls: 0, errors: 0, latencies: [] };
      this.windows.set(method, w);
    }
    w.calls++;
    if (code !== 0) w.errors++;
    if (w.latencies.length < MAX_LATENCIES_PER_SECOND) w.latencies.push(durationUs);
    else {
      // Reservoir sampling: every call of the second has the same chance to be kept.
      const slot = Math.floor(this.random() * w.calls);
      if (slot < MAX_LATENCIES_PER_SECOND) w.latencies[slot] = durationUs;
    }
  }

  /** Ends the current second: its sample joins the ring (the oldest leaves when full). */
  sample(): HistorySample {
    const rpc: Record<string, RpcSample> = {};
    for (const [method, w] of this.windows) {
      const sorted = w.latencies.sort((a, b) => a - b);
      rpc[method] = {
        calls: w.calls,
        errors: w.errors,
        p50_us: percentile(sorted, 50),
        p99_us: percentile(sorted, 99),
      };
    }
    this.windows = new Map();
    const s: HistorySample = {
      t: this.clock.now(),
      rpc,
      backends: this.probe.backends(),
      active_transactions: this.probe.activeTransactions(),
    };
    this.ring.push(s);
    if (this.ring.length > this.capacity) this.ring.shift();
    return s;
  }

  /** The samples kept, oldest first, as `/status/history.json` sends them. */
  json(): StatusHistoryJson {
    return { interval_ms: this.intervalMs, samples: [...this.ring] };
  }

  /** Stops sampling. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.sample();
      if (!this.closed) this.schedule();
    }, this.intervalMs);
  }
}

/** Nearest-rank percentile of sorted values; null when there are none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] as number);
}
