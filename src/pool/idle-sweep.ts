/** The sweeper's choice of idle resources to destroy: a pure function over the idle list. */

import type { PooledResource } from './lease.js';

/** An idle resource picked for destruction, and why. */
export interface Eviction<R> {
  readonly entry: PooledResource<R>;
  readonly reason: 'lifetime' | 'idle';
}

/**
 * Removes from `idle` (in place, keeping the order of the rest) every resource whose lifetime has
 * expired, and resources idle for `idleTimeoutMs` or longer as long as more than `surplus` remain
 * above the pool's `min` (oldest first, since `idle` is ordered by `idleSince`). Returns them.
 * @param surplus open resources above `min`; expired resources count against it too.
 */
export function sweepIdle<R>(
  idle: PooledResource<R>[],
  now: number,
  surplus: number,
  idleTimeoutMs: number,
): Eviction<R>[] {
  const evicted: Eviction<R>[] = [];
  // Expired resources go regardless and use up the surplus first, so that idle eviction never
  // takes the pool below min together with them.
  for (const entry of idle) if (entry.expiresAt <= now) surplus--;
  let kept = 0;
  for (const entry of idle) {
    if (entry.expiresAt <= now) {
      evicted.push({ entry, reason: 'lifetime' });
    } else if (surplus > 0 && idleTimeoutMs > 0 && now - entry.idleSince >= idleTimeoutMs) {
      evicted.push({ entry, reason: 'idle' });
      surplus--;
    } else {
      idle[kept++] = entry;
    }
  }
  idle.length = kept;
  return evicted;
}
