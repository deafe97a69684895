/** A manually driven {@link Clock}: time only moves in `advance()`, which fires due timers in order. */

import type { Clock } from '../../../../src/pool/clock.js';

interface Timer {
  readonly at: number;
  readonly fn: () => void;
}

/** Lets every promise callback that is already due run (one macrotask turn, twice for chains). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  /** Insertion order is creation order, which breaks ties between timers due at the same time. */
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /** Timers armed and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in time order and flushing promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const item of this.#timers) {
        if (item[1].at <= target && (next === undefined || item[1].at < next[1].at)) next = item;
      }
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await flush();
    }
    this.#now = target;
    await flush();
  }
}
