/**
 * The health state machine of one backend, as pure functions: what a check outcome or a burst of
 * connection errors does to a {@link BackendHealth}. {@link HealthMonitor} (health-monitor.ts)
 * owns the timers, the probes and the listeners; everything that decides a state lives here so
 * that it can be tested table by table.
 *
 * States:
 * - `healthy`: reachable; a replica also replicates with both threads and lags at most
 *   `maxReplicaLagMs`.
 * - `lagging`: a replica that answers but must get no reads: replication is not running (IO or
 *   SQL thread stopped, or no replication configured), its lag is unknown, or it lags more than
 *   `maxReplicaLagMs`. One good check with acceptable lag leaves this state.
 * - `down`: `failuresToDown` consecutive failed checks, or as many connection errors reported
 *   by traffic within one check interval. Leaving it takes `successesToUp` consecutive good
 *   checks, except before the first good check ever (see {@link initialHealth}).
 */
import { GatewayError } from '../errors.js';

/** Health of a backend. */
export type HealthState = 'healthy' | 'lagging' | 'down';

/** A snapshot of a backend's health, for the router and Admin.GetStatus. */
export interface BackendHealth {
  readonly state: HealthState;
  /**
   * Replica lag in ms (`Seconds_Behind_Master`/`Seconds_Behind_Source` × 1000, so whole seconds).
   * Undefined for the primary, when the last check failed, or when the lag is unknown
   * (replication stopped, IO or SQL thread not running).
   */
  readonly lagMs: number | undefined;
  /** Replicas: IO and SQL threads both running, as of the last check; undefined for the primary or after a failed check. */
  readonly replicationRunning: boolean | undefined;
  /** `@@global.read_only` as of the last check; undefined after a failed check. */
  readonly readOnly: boolean | undefined;
  /** Round trip of the last check's first statement, ms; undefined after a failed check. */
  readonly pingMs: number | undefined;
  /** Why the last check failed (codes and reasons, never server-echoed values or passwords); undefined after a good check. */
  readonly lastError: string | undefined;
  /** When the last check ended, epoch ms; undefined before the first. */
  readonly lastCheckAt: number | undefined;
  /** Failed checks in a row (traffic-reported errors do not count here). */
  readonly consecutiveFailures: number;
  /** Good checks in a row. */
  readonly consecutiveSuccesses: number;
  /**
   * When the backend went down, epoch ms (set by the monitor on the transition); undefined while
   * it is not down, and for a replica that has not passed its first check yet.
   */
  readonly downSince?: number | undefined;
}

/** What one successful check found out. */
export interface ProbeResult {
  /** Round trip of the first statement of the check, ms. */
  readonly pingMs: number;
  /** `@@global.read_only`. */
  readonly readOnly: boolean;
  /** Replica status (`SHOW REPLICA STATUS`); absent for the primary or when the server has no replication configured. */
  readonly replication?: ReplicationStatus;
}

/** The part of `SHOW REPLICA STATUS` the monitor uses. */
export interface ReplicationStatus {
  /** `Slave_IO_Running`/`Replica_IO_Running` is `Yes`. */
  readonly ioRunning: boolean;
  /** `Slave_SQL_Running`/`Replica_SQL_Running` is `Yes`. */
  readonly sqlRunning: boolean;
  /** `Seconds_Behind_Master`/`Seconds_Behind_Source`; null when the server does not know. */
  readonly secondsBehind: number | null;
  /** MariaDB `@@global.gtid_slave_pos`, when read. */
  readonly gtidSlavePos?: string;
}

/** The thresholds a backend's health is judged by. */
export interface HealthRules {
  readonly role: 'primary' | 'replica';
  /** Consecutive failed checks that take a backend down (≥ 1). */
  readonly failuresToDown: number;
  /** Consecutive good checks that bring a down backend back (≥ 1). */
  readonly successesToUp: number;
  /** A replica lagging more than this is `lagging`, ms; 0 = lag not checked (stopped replication still is). */
  readonly maxReplicaLagMs: number;
}

/** `lastError` of a backend that has not been checked yet. */
export const NOT_CHECKED_YET = 'not checked yet';

/**
 * The health before the first check. The primary starts `healthy`, so the gateway serves writes
 * (and reads, which fall back on the primary) at once; traffic errors and failed checks take it
 * down. A replica starts `down` with lastError {@link NOT_CHECKED_YET} and gets no reads until its
 * first good check, which alone is enough to bring it up (`successesToUp` applies to backends that
 * were up once and went down).
 */
export function initialHealth(role: 'primary' | 'replica'): BackendHealth {
  return {
    state: role === 'primary' ? 'healthy' : 'down',
    lagMs: undefined,
    replicationRunning: undefined,
    readOnly: undefined,
    pingMs: undefined,
    lastError: role === 'primary' ? undefined : NOT_CHECKED_YET,
    lastCheckAt: undefined,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  };
}

/** A replica's replication as the router sees it. */
export interface ReplicaVerdict {
  readonly running: boolean;
  readonly lagMs: number | undefined;
  /** Replication runs and the lag is known and within bounds. */
  readonly fresh: boolean;
}

/** Judges a replica's replication status against `maxReplicaLagMs` (0 = lag not checked). */
export function judgeReplication(
  status: ReplicationStatus | undefined,
  maxReplicaLagMs: number,
): ReplicaVerdict {
  // Without both threads the server's lag figure means nothing (MySQL shows NULL, MariaDB may not).
  if (!status?.ioRunning || !status.sqlRunning) return { running: false, lagMs: undefined, fresh: false };
  const lagMs = status.secondsBehind === null ? undefined : Math.max(0, status.secondsBehind) * 1000;
  const fresh = maxReplicaLagMs === 0 || (lagMs !== undefined && lagMs <= maxReplicaLagMs);
  return { running: true, lagMs, fresh };
}

/**
 * The health after a good check that ended at `now`. `everUp` says whether the backend has passed
 * a check before; until it has, one good check brings it up.
 */
export function afterSuccess(
  prev: BackendHealth,
  result: ProbeResult,
  rules: HealthRules,
  now: number,
  everUp: boolean,
): BackendHealth {
  const consecutiveSuccesses = prev.consecutiveSuccesses + 1;
  let reachable: HealthState = 'healthy';
  let lagMs: number | undefined;
  let replicationRunning: boolean | undefined;
  if (rules.role === 'replica') {
    const verdict = judgeReplication(result.replication, rules.maxReplicaLagMs);
    lagMs = verdict.lagMs;
    replicationRunning = verdict.running;
    if (!verdict.fresh) reachable = 'lagging';
  }
  const staysDown = prev.state === 'down' && everUp && consecutiveSuccesses < rules.successesToUp;
  return {
    state: staysDown ? 'down' : reachable,
    lagMs,
    replicationRunning,
    readOnly: result.readOnly,
    pingMs: result.pingMs,
    lastError: undefined,
    lastCheckAt: now,
    consecutiveFailures: 0,
    consecutiveSuccesses,
  };
}

/** The health after a failed check that ended at `now`; nothing measured is known any more. */
export function afterFailure(
  prev: BackendHealth,
  error: string,
  rules: HealthRules,
  now: number,
): BackendHealth {
  const consecutiveFailures = prev.consecutiveFailures + 1;
  return {
    state: consecutiveFailures >= rules.failuresToDown ? 'down' : prev.state,
    lagMs: undefined,
    replicationRunning: undefined,
    readOnly: undefined,
    pingMs: undefined,
    lastError: error,
    lastCheckAt: now,
    consecutiveFailures,
    consecutiveSuccesses: 0,
  };
}

/**
 * The health after traffic reported `failuresToDown` connection errors within one interval: down
 * at once, and `successesToUp` good checks needed to come back.
 */
export function afterConnectionErrors(prev: BackendHealth, error: string): BackendHealth {
  return { ...prev, state: 'down', lastError: error, consecutiveSuccesses: 0 };
}

/** What a check must do besides the built-in ones. */
export interface ProbeCheckOptions {
  /** Read the replica status (`SHOW REPLICA STATUS`); set for replicas only. @default false */
  readonly replication?: boolean;
  /** Statements that must succeed, run after the built-in ones (`healthCheck.queries`). @default [] */
  readonly queries?: readonly string[];
  /** Aborts the check (the monitor's timeout, or close); the probe then drops its connection. */
  readonly signal?: AbortSignal;
}

/** How to run a check against one backend: the monitor's narrow dependency. */
export interface HealthProbe {
  /**
   * Runs one check on a dedicated monitor connection (opened lazily, reopened after it failed),
   * bounded by `timeoutMs`. Resolves with what it found, rejects when the backend failed the check.
   * Never called again before the previous call settled.
   */
  check(timeoutMs: number, options?: ProbeCheckOptions): Promise<ProbeResult>;
  /** Closes the monitor connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * A short, safe description of a failure for `lastError`: codes and reasons for server errors
 * (server messages can echo values), the gateway's own message otherwise. Never holds a password:
 * neither mysql2 nor the server put one in an error.
 */
export function describeError(err: unknown): string {
  let text: string;
  if (err instanceof GatewayError && err.mysqlErrno !== undefined) {
    text = `${err.reason} (errno ${err.mysqlErrno}${err.sqlState ? `, SQLSTATE ${err.sqlState}` : ''})`;
  } else if (err instanceof Error) {
    text = err.message;
  } else {
    text = String(err);
  }
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
