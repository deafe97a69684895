/** Builds a pool over fake hooks and a fake clock, and small helpers the pool tests share. */

import type { ExecutionContext } from 'ava';
import { type Code, GatewayError } from '../../../../src/errors.js';
import { Pool } from '../../../../src/pool/pool.js';
import type { PoolEvent } from '../../../../src/pool/pool-events.js';
import type { PoolOptions } from '../../../../src/pool/pool-options.js';
import { FakeClock, flush } from './fake-clock.js';
import { FakeHooks, type FakeResource } from './fake-hooks.js';

export { FakeClock, flush } from './fake-clock.js';
export { deferred, FakeHooks, FakeResource } from './fake-hooks.js';

export interface Fixture {
  readonly pool: Pool<FakeResource>;
  readonly clock: FakeClock;
  readonly hooks: FakeHooks;
  readonly events: PoolEvent[];
}

/** Test defaults: small and quick to reason about; no lifetime, no jitter. */
export const TEST_OPTIONS = {
  name: 'test-pool',
  min: 0,
  max: 2,
  acquireTimeoutMs: 1000,
  maxWaiting: 10,
  idleTimeoutMs: 10_000,
  validationIntervalMs: 5000,
  maxLifetimeMs: 0,
  lifetimeJitterMs: 0,
  evictionIntervalMs: 1000,
} as const satisfies PoolOptions;

/** A pool with {@link TEST_OPTIONS} overridden by `options`; closed (not awaited) at teardown. */
export function setup(
  t: ExecutionContext,
  options: Partial<PoolOptions> = {},
  deps: { random?: () => number; hooks?: FakeHooks } = {},
): Fixture {
  const clock = new FakeClock();
  const hooks = deps.hooks ?? new FakeHooks();
  const events: PoolEvent[] = [];
  const pool = new Pool(
    hooks,
    { ...TEST_OPTIONS, ...options },
    { clock, random: deps.random ?? (() => 0), onEvent: (event) => events.push(event) },
  );
  t.teardown(() => {
    void pool.close();
  });
  return { pool, clock, hooks, events };
}

/** Follows a promise's outcome without awaiting it. */
export interface Tracked<T> {
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  readonly value: T | undefined;
  readonly error: unknown;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked = { state: 'pending', value: undefined, error: undefined } as {
    state: Tracked<T>['state'];
    value: T | undefined;
    error: unknown;
  };
  promise.then(
    (value) => {
      tracked.state = 'fulfilled';
      tracked.value = value;
    },
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

/** Starts an acquire and lets the pool react (creates resolve, waiters get served). */
export async function acquireSoon<T>(promise: Promise<T>): Promise<Tracked<T>> {
  const tracked = track(promise);
  await flush();
  return tracked;
}

/** Asserts that `error` is a GatewayError with the given code name and reason; returns it. */
export function assertGatewayError(
  t: ExecutionContext,
  error: unknown,
  code: Code,
  reason: string,
): GatewayError {
  t.true(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
  const gatewayError = error as GatewayError;
  t.is(gatewayError.code, code);
  t.is(gatewayError.reason, reason);
  return gatewayError;
}

/** Events of one type, narrowed. */
export function eventsOf<K extends PoolEvent['type']>(
  events: readonly PoolEvent[],
  type: K,
): Extract<PoolEvent, { type: K }>[] {
  return events.filter((event): event is Extract<PoolEvent, { type: K }> => event.type === type);
}
