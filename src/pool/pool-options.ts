/**
 * Pool options: the {@link PoolOptions} interface callers fill in, and {@link compilePoolOptions},
 * which checks it once (unknown keys and out-of-range values are rejected) and fills in defaults.
 */

import { errors, type GatewayError } from '../errors.js';

/** Options of a {@link Pool}. Every field but `name` is optional; durations are milliseconds. */
export interface PoolOptions {
  /** Name used in error messages, stats and metrics labels, e.g. `"default/primary 127.0.0.1:3306"`. */
  name: string;
  /**
   * Resources kept open even when idle: created by `Pool.start()` and re-created after losses.
   * @default 0
   */
  min?: number;
  /**
   * Most resources open at once (idle + leased + being validated/reset + being created). Keep the
   * sum over all gateways below the server's `max_connections`.
   * @default 10
   */
  max?: number;
  /**
   * Longest an `acquire()` waits for a resource, in ms; then it fails with RESOURCE_EXHAUSTED
   * `ACQUIRE_TIMEOUT`. Never unbounded.
   * @default 5000
   */
  acquireTimeoutMs?: number;
  /**
   * Callers that may queue for a resource to be released once the pool is at `max`. A caller
   * arriving when the queue is full fails at once with RESOURCE_EXHAUSTED `POOL_EXHAUSTED`.
   * Callers waiting only for a resource that is being created, validated or reset for them do not
   * count. 0 = fail at once whenever nothing is available.
   * @default 1000
   */
  maxWaiting?: number;
  /**
   * Idle resources above `min` are destroyed once idle this long, in ms; 0 = never. Should be well
   * below the server's `wait_timeout`.
   * @default 600000 (10 minutes)
   */
  idleTimeoutMs?: number;
  /**
   * A resource idle longer than this (ms) is validated (`hooks.validate`, e.g. COM_PING) before it
   * is handed out; a resource used more recently is handed out without a check.
   * @default 10000
   */
  validationIntervalMs?: number;
  /**
   * Longest a resource lives, in ms, minus a random jitter of up to `lifetimeJitterMs` per
   * resource. An expired idle resource is destroyed; an expired leased one is destroyed on release.
   * 0 = unlimited.
   * @default 1800000 (30 minutes)
   */
  maxLifetimeMs?: number;
  /**
   * Upper bound of the random amount, in ms, subtracted from each resource's `maxLifetimeMs`, so
   * that resources created together do not all expire together. Must be below `maxLifetimeMs`
   * (and 0 when `maxLifetimeMs` is 0).
   * @default 2.5% of `maxLifetimeMs`, rounded down
   */
  lifetimeJitterMs?: number;
  /**
   * Period of the background sweeper, in ms: evicts idle and expired resources and re-creates
   * resources below `min` (this is also the retry interval after a failed create).
   * @default 1000
   */
  evictionIntervalMs?: number;
}

/** {@link PoolOptions} after {@link compilePoolOptions}: every field set, frozen. */
export type CompiledPoolOptions = Readonly<Required<PoolOptions>>;

type NumericKey = Exclude<keyof PoolOptions, 'name'>;

/** Longest delay a Node timer accepts; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

interface NumericRule {
  readonly min: number;
  readonly max?: number;
  readonly default: number | undefined;
}

/** Defaults and bounds of the numeric options (`lifetimeJitterMs` is derived). */
const NUMERIC: Readonly<Record<NumericKey, NumericRule>> = {
  min: { min: 0, default: 0 },
  max: { min: 1, default: 10 },
  acquireTimeoutMs: { min: 1, max: MAX_TIMER_MS, default: 5000 },
  maxWaiting: { min: 0, default: 1000 },
  idleTimeoutMs: { min: 0, default: 600_000 },
  validationIntervalMs: { min: 0, default: 10_000 },
  maxLifetimeMs: { min: 0, default: 1_800_000 },
  lifetimeJitterMs: { min: 0, default: undefined },
  evictionIntervalMs: { min: 1, max: MAX_TIMER_MS, default: 1000 },
};

const KNOWN_KEYS: ReadonlySet<string> = new Set(['name', ...Object.keys(NUMERIC)]);

function invalid(message: string): GatewayError {
  return errors.invalidArgument('INVALID_POOL_OPTIONS', `invalid pool options: ${message}`);
}

/**
 * Checks `input` and returns a frozen copy with every default filled in.
 * @throws GatewayError INVALID_ARGUMENT `INVALID_POOL_OPTIONS` on an unknown key, a missing name,
 *   a value that is not a safe integer in range (timer-backed ones at most 2^31-1 ms), `min > max`, or a jitter not below the lifetime.
 */
export function compilePoolOptions(input: PoolOptions): CompiledPoolOptions {
  if (typeof input !== 'object' || input === null) throw invalid('expected an object');
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) throw invalid(`unknown option "${key}"`);
  }
  if (typeof input.name !== 'string' || input.name === '') throw invalid('"name" must be a non-empty string');

  const values = {} as Record<NumericKey, number>;
  for (const key of Object.keys(NUMERIC) as NumericKey[]) {
    const rule = NUMERIC[key];
    const value: unknown = input[key];
    if (value === undefined) {
      if (rule.default !== undefined) values[key] = rule.default;
      continue;
    }
    const max = rule.max ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rule.min || value > max) {
      const range = rule.max === undefined ? `>= ${rule.min}` : `in [${rule.min}, ${rule.max}]`;
      throw invalid(`"${key}" must be an integer ${range}, got ${String(value)}`);
    }
    values[key] = value;
  }
  values.lifetimeJitterMs ??= Math.floor(values.maxLifetimeMs / 40);

  if (values.min > values.max) throw invalid(`"min" (${values.min}) exceeds "max" (${values.max})`);
  if (
    values.maxLifetimeMs === 0
      ? values.lifetimeJitterMs !== 0
      : values.lifetimeJitterMs >= values.maxLifetimeMs
  ) {
    throw invalid(
      `"lifetimeJitterMs" (${values.lifetimeJitterMs}) must be below "maxLifetimeMs" (${values.maxLifetimeMs})`,
    );
  }
  return Object.freeze({ name: input.name, ...values });
}
