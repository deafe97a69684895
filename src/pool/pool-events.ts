/** What a {@link Pool} reports: events for metrics and logs, and a point-in-time stats snapshot. */

/** Why a resource was destroyed. */
export type DestroyReason =
  /** Idle for `idleTimeoutMs` while the pool held more than `min`. */
  | 'idle'
  /** Reached its `maxLifetimeMs` (minus jitter). */
  | 'lifetime'
  /** The lease holder called `lease.destroy()`. */
  | 'broken'
  /** `hooks.validate` resolved false or rejected. */
  | 'validation'
  /** `hooks.reset` rejected. */
  | 'reset'
  /** The pool is closing. */
  | 'closed';

/** Why an `acquire()` was rejected without being served (besides `acquireTimeout`). */
export type RejectReason =
  /** The wait queue was full (RESOURCE_EXHAUSTED `POOL_EXHAUSTED`). */
  | 'queueFull'
  /** The pool was closing or closed (UNAVAILABLE `POOL_CLOSED`). */
  | 'closed'
  /** The call's own deadline passed (DEADLINE_EXCEEDED). */
  | 'deadline'
  /** The call's AbortSignal fired (CANCELLED). */
  | 'aborted'
  /** Creating a resource failed and nothing else could serve the caller (UNAVAILABLE `BACKEND_UNAVAILABLE`). */
  | 'backendUnavailable';

/**
 * One pool event, discriminated on `type`. Every `acquire()` ends in exactly one of `acquired`,
 * `acquireTimeout` or `rejected`. Durations are clock milliseconds.
 */
export type PoolEvent =
  /** A lease was handed out after waiting `waitMs` (0 when an idle resource was ready). */
  | { readonly type: 'acquired'; readonly waitMs: number }
  /** A lease ended (released or destroyed) after being held `useMs`. */
  | { readonly type: 'released'; readonly useMs: number }
  /** `hooks.create` succeeded after `createMs`. */
  | { readonly type: 'created'; readonly createMs: number }
  /** `hooks.create` rejected (not reported while the pool is closing). */
  | { readonly type: 'createFailed'; readonly error: unknown }
  /** A resource left the pool and `hooks.destroy` was called; `cause` is what the lease holder passed. */
  | { readonly type: 'destroyed'; readonly reason: DestroyReason; readonly cause?: unknown }
  /** An `acquire()` waited `acquireTimeoutMs` (RESOURCE_EXHAUSTED `ACQUIRE_TIMEOUT`). */
  | { readonly type: 'acquireTimeout'; readonly waitMs: number }
  /** An `acquire()` failed for another reason. */
  | { readonly type: 'rejected'; readonly reason: RejectReason };

/** A snapshot of a pool, from `Pool.stats()`. Counters are totals since construction. */
export interface PoolStats {
  /** `PoolOptions.name`. */
  readonly name: string;
  /** Open resources: `idle + used`. Resources being created are in `pending`, not here. */
  readonly total: number;
  /** Resources ready to be handed out. */
  readonly idle: number;
  /** Resources leased, or being validated before a hand-out, or being reset after a release. */
  readonly used: number;
  /** Callers blocked in `acquire()`. */
  readonly waiting: number;
  /** `hooks.create` calls in flight. */
  readonly pending: number;
  /** Resources created (counter). */
  readonly created: number;
  /** Resources destroyed (counter); `created - closed === total`. */
  readonly closed: number;
  /** Failed hook calls (counter): create rejected, validate false/rejected, reset rejected. */
  readonly errors: number;
  /** `acquire()` calls that failed with `ACQUIRE_TIMEOUT` (counter). */
  readonly acquireTimeouts: number;
  /** How long the oldest current waiter has waited, in ms (0 when nobody waits). */
  readonly longestWaitMs: number;
  /** `PoolOptions.min`. */
  readonly min: number;
  /** `PoolOptions.max`. */
  readonly max: number;
}
