/**
 * The errors `Pool.acquire()` and `Pool.start()` fail with. Each names the pool, so that a client
 * seeing one knows which backend was saturated or down; none carries resource details.
 */

import type { AbortSignalLike } from '../abort-signal.js';
import { Code, errors, GatewayError } from '../errors.js';

/** UNAVAILABLE `POOL_CLOSED`: the pool is closing or closed. */
export function poolClosedError(pool: string): GatewayError {
  return errors.unavailable('POOL_CLOSED', `pool "${pool}" is closed`);
}

/** FAILED_PRECONDITION `POOL_ALREADY_STARTED`: `start()` called twice. */
export function poolAlreadyStartedError(pool: string): GatewayError {
  return errors.failedPrecondition('POOL_ALREADY_STARTED', `pool "${pool}" was already started`);
}

/** RESOURCE_EXHAUSTED `ACQUIRE_TIMEOUT`: waited `acquireTimeoutMs` for a resource. */
export function acquireTimeoutError(pool: string, acquireTimeoutMs: number, max: number): GatewayError {
  return errors.resourceExhausted(
    'ACQUIRE_TIMEOUT',
    `pool "${pool}": no resource became available within acquireTimeoutMs ${acquireTimeoutMs} ms (all ${max} in use)`,
  );
}

/** RESOURCE_EXHAUSTED `POOL_EXHAUSTED`: the wait queue is full. */
export function poolExhaustedError(pool: string, max: number, maxWaiting: number): GatewayError {
  return errors.resourceExhausted(
    'POOL_EXHAUSTED',
    `pool "${pool}" exhausted: all ${max} resources in use and ${maxWaiting} callers already waiting`,
  );
}

/** DEADLINE_EXCEEDED: the call's own deadline passed before a resource was available. */
export function acquireDeadlineError(pool: string): GatewayError {
  return errors.deadlineExceeded(
    'DEADLINE_EXCEEDED',
    `pool "${pool}": call deadline exceeded while waiting for a resource`,
  );
}

/** CANCELLED: the caller's AbortSignal fired; its reason is kept as `cause`. */
export function acquireCancelledError(pool: string, signal: AbortSignalLike): GatewayError {
  return new GatewayError(Code.CANCELLED, 'CANCELLED', `pool "${pool}": acquire cancelled`, {
    cause: signal.reason,
  });
}

/**
 * UNAVAILABLE `BACKEND_UNAVAILABLE`: creating a resource failed with `error` (kept as `cause`).
 * A create error that already says something more precise than "unavailable" (wrong
 * credentials: PERMISSION_DENIED, unknown database: NOT_FOUND) is passed on as it is, so callers
 * see the real cause and its MySQL errno.
 */
export function backendUnavailableError(pool: string, error: unknown): GatewayError {
  if (error instanceof GatewayError && error.code !== Code.UNAVAILABLE && error.code !== Code.INTERNAL)
    return error;
  const detail = error instanceof Error ? error.message : String(error);
  return errors.unavailable(
    'BACKEND_UNAVAILABLE',
    `pool "${pool}": cannot open a resource: ${detail}`,
    error,
  );
}
