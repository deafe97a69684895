/** The resource pool: public API of `src/pool`. */

export { type Clock, systemClock } from './clock.js';
export type { Lease } from './lease.js';
export { Pool } from './pool.js';
export type { DestroyReason, PoolEvent, PoolStats, RejectReason } from './pool-events.js';
export type { AcquireOptions, PoolDeps, PoolHooks, PoolState } from './pool-hooks.js';
export { type CompiledPoolOptions, compilePoolOptions, type PoolOptions } from './pool-options.js';
