/**
 * A token bucket: `rate` tokens a second refill it up to `burst`; each request takes one. Refill is
 * computed from the clock on demand (no timer), so an idle principal costs nothing.
 */

/** Milliseconds from an arbitrary origin (injectable for tests). */
export type Clock = () => number;

/** One principal's request budget. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Clock = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Takes one token: 0 when granted, else the milliseconds until one is available. */
  take(): number {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }
}
