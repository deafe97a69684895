/**
 * The FIFO queue of callers blocked in `Pool.acquire()`. An intrusive doubly linked list, so that
 * push, shift and removing a timed-out or aborted waiter from the middle are all O(1) (no array
 * shifts on long queues). The queue also owns each waiter's timer and abort listener: a waiter
 * leaving the queue, for whatever reason, always has both cleared.
 */

import type { AbortSignalLike } from '../abort-signal.js';
import type { Clock } from './clock.js';

/** One blocked `acquire()` call. */
export class Waiter<T> {
  /** List links and membership, owned by {@link WaiterQueue}. */
  prev: Waiter<T> | undefined = undefined;
  next: Waiter<T> | undefined = undefined;
  queued = false;
  /** Timer handle while queued, owned by {@link WaiterQueue}. */
  timer: unknown = undefined;
  /** Listener registered on `signal` while queued, owned by {@link WaiterQueue}. */
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
    /** Clock time at which the caller started waiting. */
    readonly since: number,
    /** True when the timer is the call's own deadline rather than `acquireTimeoutMs`. */
    readonly callerDeadline: boolean,
    readonly signal: AbortSignalLike | undefined,
  ) {}
}

/** FIFO of {@link Waiter}s; calls back when a waiter's timer fires or its signal aborts. */
export class WaiterQueue<T> {
  #head: Waiter<T> | undefined = undefined;
  #tail: Waiter<T> | undefined = undefined;
  #size = 0;
  readonly #clock: Clock;
  readonly #onTimeout: (waiter: Waiter<T>) => void;
  readonly #onAbort: (waiter: Waiter<T>) => void;

  /**
   * @param onTimeout called with a waiter whose timer fired, already removed from the queue.
   * @param onAbort called with a waiter whose signal aborted, already removed from the queue.
   */
  constructor(clock: Clock, onTimeout: (waiter: Waiter<T>) => void, onAbort: (waiter: Waiter<T>) => void) {
    this.#clock = clock;
    this.#onTimeout = onTimeout;
    this.#onAbort = onAbort;
  }

  get size(): number {
    return this.#size;
  }

  /** The longest-waiting waiter, if any. */
  get head(): Waiter<T> | undefined {
    return this.#head;
  }

  /** Appends a waiter that times out after `timeoutMs` and leaves when `signal` aborts. */
  push(waiter: Waiter<T>, timeoutMs: number): void {
    waiter.prev = this.#tail;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    waiter.queued = true;
    this.#size++;
    waiter.timer = this.#clock.setTimeout(() => {
      waiter.timer = undefined;
      if (this.remove(waiter)) this.#onTimeout(waiter);
    }, timeoutMs);
    const signal = waiter.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => {
        if (this.remove(waiter)) this.#onAbort(waiter);
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
  }

  /** Removes and returns the head. */
  shift(): Waiter<T> | undefined {
    const waiter = this.#head;
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }

  /** Removes `waiter` if it is queued, clearing its timer and abort listener; returns whether it was. */
  remove(waiter: Waiter<T>): boolean {
    if (!waiter.queued) return false;
    if (waiter.prev === undefined) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    waiter.queued = false;
    this.#size--;
    if (waiter.timer !== undefined) {
      this.#clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    if (waiter.onAbort !== undefined) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.onAbort = undefined;
    }
    return true;
  }
}
