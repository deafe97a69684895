/**
 * Time source for the pool. Injected so that unit tests can drive every timeout, idle period and
 * lifetime with a fake clock instead of sleeping.
 */

/** A source of time and one-shot timers. */
export interface Clock {
  /**
   * Current time in milliseconds. The pool compares it with the absolute `deadline` passed to
   * `Pool.acquire`, so callers must compute deadlines on the same clock.
   */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer created by {@link Clock.setTimeout}; a no-op for fired or cleared handles. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: wall-clock milliseconds (`Date.now()`, so a gRPC call deadline converts with
 * `deadline.getTime()`) and Node timers that are `unref()`ed, so that a pool never keeps the
 * process alive on its own.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
