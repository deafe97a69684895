/**
 * Retrying transactions that MySQL aborted (deadlocks): {@link withRetry} runs a function
 * again, after an exponential backoff with full jitter, when it failed with gRPC code ABORTED
 * before any commit was sent. Nothing else is retried: an error after the commit request went
 * out may hide a commit that happened.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClientError, invalidArgument, StatusCode } from './errors.js';
import { checkKeys, type RetryOptions } from './options.js';

/** What {@link retryLoop} needs from the outside world (fakes in unit tests). */
export interface RetryEnvironment {
  /** A number in [0, 1). */
  readonly random: () => number;
  /** Resolves after `ms` (or rejects when `signal` aborts). */
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Milliseconds since some fixed point (the `maxElapsedMs` bound). @default Date.now */
  readonly now?: () => number;
}

const RETRY_KEYS = ['attempts', 'baseDelayMs', 'maxDelayMs', 'maxElapsedMs', 'signal', 'onRetry'];

/** The real clock and random source. */
export const realEnvironment: RetryEnvironment = {
  now: Date.now,
  random: Math.random,
  sleep: (ms, signal) => sleep(ms, undefined, signal === undefined ? undefined : { signal }),
};

/**
 * True for errors worth running the whole transaction again for: gRPC code ABORTED (deadlock,
 * lock wait timeout) before the commit request was sent.
 */
export function isRetryable(err: unknown): err is GatewayClientError {
  return err instanceof GatewayClientError && err.code === StatusCode.ABORTED && !err.commitAttempted;
}

/**
 * The delay before retry number `retry` (1-based), "full jitter": uniformly random between 0
 * and `min(maxDelayMs, baseDelayMs * 2^(retry-1))`.
 */
export function backoffDelayMs(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Runs `fn(attempt)` (attempt counts from 1) until it succeeds, fails with an error that is not
 * {@link isRetryable}, or has run `attempts` times; then returns its value or throws its last
 * error.
 *
 * `fn` runs again from the start, so it must be safe to repeat: with
 * {@link GatewayClient.transaction} the database work is (the failed attempt was rolled back),
 * side effects outside the database are up to you.
 */
export function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  return retryLoop(fn, opts, realEnvironment);
}

/**
 * {@link withRetry} with its clock and random source injected; `retryable` decides which errors
 * run `fn` again (default {@link isRetryable}).
 */
export async function retryLoop<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions,
  env: RetryEnvironment,
  retryable: (err: unknown) => err is GatewayClientError = isRetryable,
): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs, maxElapsedMs } = compileRetryOptions(opts);
  const now = env.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retryable(err) || attempt >= attempts || opts.signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, env.random);
      if (maxElapsedMs !== undefined && now() - started + delayMs >= maxElapsedMs) throw err;
      opts.onRetry?.(err, attempt, delayMs);
      try {
        await env.sleep(delayMs, opts.signal);
      } catch {
        throw err;
      }
    }
  }
}

/** Retry options with defaults; throws INVALID_ARGUMENT for unknown keys or bad values. */
export function compileRetryOptions(opts: RetryOptions): {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxElapsedMs: number | undefined;
} {
  checkKeys(opts, RETRY_KEYS, 'retry');
  const attempts = opts.attempts ?? 3;
  const baseDelayMs = opts.baseDelayMs ?? 20;
  const maxDelayMs = opts.maxDelayMs ?? 1000;
  const bad = (message: string) => invalidArgument('INVALID_OPTION', message);
  if (!Number.isInteger(attempts) || attempts < 1) throw bad('attempts must be an integer of at least 1');
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0)) throw bad('baseDelayMs and maxDelayMs must be >= 0');
  const maxElapsedMs = opts.maxElapsedMs;
  if (maxElapsedMs !== undefined && !(typeof maxElapsedMs === 'number' && maxElapsedMs > 0))
    throw bad('maxElapsedMs must be a number > 0');
  if (opts.onRetry !== undefined && typeof opts.onRetry !== 'function')
    throw bad('onRetry must be a function');
  return { attempts, baseDelayMs, maxDelayMs: Math.max(maxDelayMs, 0), maxElapsedMs };
}
