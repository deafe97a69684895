/**
 * The routing decision as a pure function: which backend of a cluster serves a read, given each
 * backend's health, lag, load and weight. Kept free of I/O so every rule is unit-tested.
 */

/**
 * The read preferences (the proto enum's names without their `READ_PREFERENCE_` prefix). Declared
 * once, here: the configuration (`defaultReadPreference`) and the client library use this list.
 */
export const READ_PREFERENCES = ['PRIMARY', 'PRIMARY_PREFERRED', 'REPLICA', 'REPLICA_PREFERRED'] as const;

/** Where a read may go: one of {@link READ_PREFERENCES}. */
export type ReadPreference = (typeof READ_PREFERENCES)[number];

/** What the router knows of one backend at decision time. */
export interface Candidate {
  readonly name: string;
  /** 'healthy' | 'lagging' | 'down'. */
  readonly state: string;
  /** Replication lag in ms; undefined when unknown (replication stopped) or for the primary. */
  readonly lagMs: number | undefined;
  /** Requests in flight on the backend. */
  readonly inFlight: number;
  /** Share of reads relative to the other replicas; 0 = never read from. */
  readonly weight: number;
}

/** A decision: the index into the replicas, or -1 for the primary, and why. */
export interface Choice {
  readonly replica: number;
  readonly reason: string;
}

/** Why no replica could serve, one phrase per replica (for the UNAVAILABLE message and spans). */
export function replicaProblems(replicas: readonly Candidate[], maxLagMs: number): string[] {
  const out: string[] = [];
  for (const r of replicas) {
    const why = unusableBecause(r, maxLagMs);
    if (why) out.push(`${r.name} ${why}`);
  }
  return out;
}

function unusableBecause(r: Candidate, maxLagMs: number): string | undefined {
  if (r.weight <= 0) return 'has weight 0';
  if (r.state === 'down') return 'is down';
  if (r.state !== 'healthy') return r.lagMs === undefined ? 'is not replicating' : `lags ${r.lagMs} ms`;
  if (maxLagMs > 0) {
    if (r.lagMs === undefined) return 'has unknown lag';
    if (r.lagMs > maxLagMs) return `lags ${r.lagMs} ms > ${maxLagMs} ms`;
  }
  return undefined;
}

/**
 * Picks the usable replica with the fewest requests in flight per unit of weight; ties go
 * round robin from `rotation` so equal replicas share the load. -1 when none is usable.
 */
export function pickReplica(replicas: readonly Candidate[], maxLagMs: number, rotation: number): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  const n = replicas.length;
  for (let k = 0; k < n; k++) {
    const i = (rotation + k) % n;
    const r = replicas[i] as Candidate;
    if (unusableBecause(r, maxLagMs) !== undefined) continue;
    const score = (r.inFlight + 1) / r.weight;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Applies a read preference. Returns the choice, or a string explaining why the read cannot be
 * served (REPLICA with no usable replica).
 */
export function chooseForRead(
  preference: ReadPreference,
  primary: Candidate,
  replicas: readonly Candidate[],
  maxLagMs: number,
  rotation: number,
): Choice | string {
  switch (preference) {
    case 'PRIMARY':
      return { replica: -1, reason: 'read preference PRIMARY' };
    case 'PRIMARY_PREFERRED': {
      if (primary.state !== 'down') return { replica: -1, reason: 'read preference PRIMARY_PREFERRED' };
      const i = pickReplica(replicas, maxLagMs, rotation);
      return i >= 0
        ? { replica: i, reason: 'primary down: PRIMARY_PREFERRED fell back to a replica' }
        : { replica: -1, reason: 'primary down and no usable replica' };
    }
    case 'REPLICA': {
      const i = pickReplica(replicas, maxLagMs, rotation);
      if (i >= 0) return { replica: i, reason: 'read preference REPLICA' };
      const problems = replicaProblems(replicas, maxLagMs);
      return `no usable replica for a REPLICA read: ${problems.length > 0 ? problems.join('; ') : 'the cluster has no replicas'}`;
    }
    case 'REPLICA_PREFERRED': {
      const i = pickReplica(replicas, maxLagMs, rotation);
      if (i >= 0) return { replica: i, reason: 'read preference REPLICA_PREFERRED' };
      const problems = replicaProblems(replicas, maxLagMs);
      return {
        replica: -1,
        reason: `no usable replica (${problems.length > 0 ? problems.join('; ') : 'none configured'}): fell back to the primary`,
      };
    }
  }
}
