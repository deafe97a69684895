/** The pool's collaborators and per-call options: the types a user of {@link Pool} fills in. */

import type { AbortSignalLike } from '../abort-signal.js';
import type { Clock } from './clock.js';
import type { PoolEvent } from './pool-events.js';

/** How the pool opens, checks, resets and closes resources. */
export interface PoolHooks<R> {
  /**
   * Opens a resource. Retries and backoff are the hook's own business. Rejects on failure.
   * `signal` aborts when the pool closes; `Pool.close()` waits for this promise to settle.
   */
  create(signal: AbortSignal): Promise<R>;
  /** Closes a resource. Must not throw: errors are the hook's to swallow or log. */
  destroy(resource: R): Promise<void>;
  /**
   * Cheap liveness check (COM_PING or a validation query), called only before handing out a
   * resource idle longer than `validationIntervalMs`. Resolves false or rejects when dead. Should
   * bound its own duration: the waiter it is for keeps waiting meanwhile.
   */
  validate(resource: R): Promise<boolean>;
  /**
   * Clears session state (COM_RESET_CONNECTION) before reuse; called when a lease is released
   * with `{ reset: true }`. Rejects → the resource is destroyed.
   */
  reset(resource: R): Promise<void>;
}

/** Collaborators of a {@link Pool}, injectable for tests. */
export interface PoolDeps {
  /** @default `systemClock` */
  readonly clock?: Clock;
  /** Uniform random number in [0, 1), for the lifetime jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * Receives every {@link PoolEvent}, synchronously: keep it cheap and do not call back into the
   * pool other than `stats()`. Exceptions it throws are swallowed.
   */
  readonly onEvent?: (event: PoolEvent) => void;
}

/** Per-call options of `Pool.acquire`. */
export interface AcquireOptions {
  /**
   * Absolute deadline in clock ms (with the system clock: `Date.now()` ms, i.e. a gRPC deadline's
   * `getTime()`). If earlier than `acquireTimeoutMs` from now, waiting past it fails with
   * DEADLINE_EXCEEDED; already past fails at once.
   */
  readonly deadline?: number;
  /** Aborting it removes the caller from the queue and fails the call with CANCELLED. */
  readonly signal?: AbortSignalLike;
}

/**
 * `running`: serves acquires (also before `start()`, creating on demand). `closing`: `close()` was
 * called; every acquire fails; resources are destroyed as they come back. `closed`: all destroyed.
 */
export type PoolState = 'running' | 'closing' | 'closed';

/** Calls a hook, turning a synchronous throw into a rejection. Internal to `src/pool`. */
export function callHook<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}
