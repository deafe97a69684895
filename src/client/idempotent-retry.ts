/**
 * Safe retries of writes: one idempotency key per logical operation (the caller's, or a new
 * UUID), reused on every attempt, so an attempt whose answer was lost (UNAVAILABLE,
 * DEADLINE_EXCEEDED, `COMMIT_OUTCOME_UNKNOWN`) can run again without writing twice: the gateway
 * answers the first attempt's recorded outcome instead (docs/idempotency.md).
 * `GatewayClient.execute`, `batch` and `transaction` use it when given `retry`.
 */
import { randomUUID } from 'node:crypto';
import { GatewayClientError, invalidArgument, StatusCode } from './errors.js';
import type { RetryOptions } from './options.js';
import { isRetryable, type RetryEnvironment, realEnvironment, retryLoop } from './retry.js';

/** The key of one logical operation: `given`, or a new random UUID. */
export function operationKey(given: string | undefined): string {
  return given || randomUUID();
}

/**
 * True for errors after which a keyed call is safe to send again with the same key: UNAVAILABLE
 * (a lost connection, a restarting primary, `COMMIT_OUTCOME_UNKNOWN`,
 * `IDEMPOTENT_WRITE_NOT_COMMITTED`) and DEADLINE_EXCEEDED (the next attempt gets a fresh deadline).
 * Nothing else: the gateway gave a definite answer.
 */
export function isRetryableWithKey(err: unknown): err is GatewayClientError {
  return (
    err instanceof GatewayClientError &&
    (err.code === StatusCode.UNAVAILABLE || err.code === StatusCode.DEADLINE_EXCEEDED)
  );
}

/** A keyed transaction may also run again after ABORTED before its commit (a deadlock), as without a key. */
export function isRetryableKeyedTransaction(err: unknown): err is GatewayClientError {
  return isRetryable(err) || isRetryableWithKey(err);
}

/** True for the refusal of a begin whose key already committed. */
export function isAlreadyCommitted(err: unknown): err is GatewayClientError {
  return (
    err instanceof GatewayClientError &&
    err.code === StatusCode.ALREADY_EXISTS &&
    err.reason === 'TRANSACTION_ALREADY_COMMITTED'
  );
}

/** The retry options of `retry` (undefined: no retry); throws INVALID_ARGUMENT for anything else. */
export function retryOptionsOf(retry: unknown, signal: AbortSignal | undefined): RetryOptions | undefined {
  if (retry === undefined || retry === false) return undefined;
  if (retry === true) return signal ? { signal } : {};
  if (typeof retry !== 'object' || retry === null)
    throw invalidArgument('INVALID_OPTION', 'retry must be true, false or retry options');
  return signal ? { signal, ...retry } : (retry as RetryOptions);
}

/**
 * Runs `fn(key, attempt)` until it succeeds or fails with an error that is not
 * `retryable` (default {@link isRetryableWithKey}), within `opts`' attempts and time bound,
 * with the same `key` every time.
 */
export function retryWithKey<T>(
  key: string,
  opts: RetryOptions,
  fn: (key: string, attempt: number) => Promise<T>,
  retryable: (err: unknown) => err is GatewayClientError = isRetryableWithKey,
  env: RetryEnvironment = realEnvironment,
): Promise<T> {
  return retryLoop((attempt) => fn(key, attempt), opts, env, retryable);
}
