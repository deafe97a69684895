/**
 * When to hedge a read and whether it may: the hedge delay of each backend, derived from its
 * recent time to first answer (a p95 over a decaying window, kept in a DDSketch), between a floor
 * and a cap; and the budget that bounds the extra load, a token bucket that earns
 * `budgetPercent / 100` of a token per read and spends one per hedge. Pure bookkeeping over an
 * injected clock: no timers, no I/O (the race itself is src/session/hedge.ts).
 */
import { DDSketch } from '@datadog/sketches-js';
import { type Clock, systemClock } from '../pool/clock.js';

/** Hedging settings of a cluster (config `clusters.<name>.hedging`). */
export interface HedgeOptions {
  /** Hedge slow reads at all. @default false */
  readonly enabled: boolean;
  /** Most hedges, as a share of reads, in percent (0 = never hedge). @default 5 */
  readonly budgetPercent: number;
  /** Shortest hedge delay, ms: no hedge before this, whatever the latency. @default 20 */
  readonly minDelayMs: number;
  /** Longest hedge delay, ms: the most a read waits on a backend that does not answer. @default 500 */
  readonly maxDelayMs: number;
}

/** Unused tokens are kept up to this many: the most hedges a sudden stall can get at once. */
export const HEDGE_BURST = 10;
/** Quantile of the time to first answer after which a read is hedged. */
export const HEDGE_QUANTILE = 0.95;
/** A latency window ends after this many samples... */
export const WINDOW_SAMPLES = 1000;
/** ...or after this long, ms, whichever comes first; the estimate then starts over. */
export const WINDOW_MS = 10_000;
/** Samples a window needs before its own p95 replaces the previous window's. */
export const MIN_SAMPLES = 20;
/** The p95 of the current window is recomputed every this many samples (not on every read). */
const RECOMPUTE_EVERY = 16;
const RELATIVE_ACCURACY = 0.02;

/** Time to first answer of one backend: the current window and the estimate from recent ones. */
class LatencyWindow {
  private sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  private startedAt: number;
  private sinceEstimate = 0;
  /** p95 in ms; undefined until a window had {@link MIN_SAMPLES} samples. */
  estimate: number | undefined;

  constructor(now: number) {
    this.startedAt = now;
  }

  add(ms: number, now: number): void {
    if (this.sketch.count >= WINDOW_SAMPLES || now - this.startedAt >= WINDOW_MS) {
      // The finished window's p95 stands until the new one has enough samples of its own.
      if (this.sketch.count >= MIN_SAMPLES) this.estimate = this.sketch.getValueAtQuantile(HEDGE_QUANTILE);
      this.sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
      this.startedAt = now;
      this.sinceEstimate = 0;
    }
    // DDSketch maps values to log-spaced bins: a 0 ms sample goes to its zero count, fine.
    this.sketch.accept(Math.max(0, ms));
    if (++this.sinceEstimate >= RECOMPUTE_EVERY && this.sketch.count >= MIN_SAMPLES) {
      this.sinceEstimate = 0;
      this.estimate = this.sketch.getValueAtQuantile(HEDGE_QUANTILE);
    }
  }
}

/** Checks hedge options; throws a RangeError naming the bad one (the config loader checks first). */
export function checkHedgeOptions(o: HedgeOptions): void {
  if (!(o.budgetPercent >= 0 && o.budgetPercent <= 100))
    throw new RangeError(`hedging.budgetPercent must be within 0..100, got ${o.budgetPercent}`);
  if (!(Number.isInteger(o.minDelayMs) && o.minDelayMs >= 1))
    throw new RangeError(
      `hedging.minDelayMs must be a whole number of ms of at least 1, got ${o.minDelayMs}`,
    );
  if (!(Number.isInteger(o.maxDelayMs) && o.maxDelayMs >= o.minDelayMs))
    throw new RangeError(
      `hedging.maxDelayMs must be a whole number of ms of at least hedging.minDelayMs, got ${o.maxDelayMs}`,
    );
}

/** The hedge delays and budget of one cluster. Built only when hedging is enabled. */
export class HedgePolicy {
  private readonly windows = new Map<string, LatencyWindow>();
  private readonly earnPerRead: number;
  private tokens = 0;

  constructor(
    readonly options: HedgeOptions,
    /** Time source; tests pass a fake. @default systemClock (its timers are unref'd) */
    readonly clock: Clock = systemClock,
  ) {
    checkHedgeOptions(options);
    this.earnPerRead = options.budgetPercent / 100;
  }

  /**
   * How long a read on `backend` may go without an answer before it is hedged, ms: the p95 of
   * the backend's recent time to first answer, within [minDelayMs, maxDelayMs]; the cap while
   * nothing is known yet.
   */
  delayMs(backend: string): number {
    const { minDelayMs, maxDelayMs } = this.options;
    const p95 = this.windows.get(backend)?.estimate;
    if (p95 === undefined) return maxDelayMs;
    return Math.min(maxDelayMs, Math.max(minDelayMs, Math.ceil(p95)));
  }

  /** Records how long `backend` took to give a read its first answer, ms. */
  record(backend: string, ms: number): void {
    const now = this.clock.now();
    let w = this.windows.get(backend);
    if (w === undefined) {
      w = new LatencyWindow(now);
      this.windows.set(backend, w);
    }
    w.add(ms, now);
  }

  /** A read that could be hedged started: it earns its share of a token. */
  earn(): void {
    if (this.tokens < HEDGE_BURST) this.tokens = Math.min(HEDGE_BURST, this.tokens + this.earnPerRead);
  }

  /** Takes a token for a hedge; false (nothing taken) when the budget is spent. */
  trySpend(): boolean {
    // A small epsilon: twenty reads at 5% must earn a whole token despite binary fractions.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** Tokens available now (for tests and the status of the budget). */
  get available(): number {
    return this.tokens;
  }
}
