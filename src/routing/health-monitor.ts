/**
 * Health checks of every backend (the original design's ConnectionHealthMonitor, for primaries
 * and replicas alike): a periodic check over a dedicated connection per backend, connection
 * errors reported by real traffic, and the resulting state per backend for the router and
 * Admin.GetStatus. The state machine itself is in health-state.ts.
 *
 * With the defaults (`intervalMs` 1000, `timeoutMs` 1000, `failuresToDown` 3) a backend that
 * refuses connections is down 2-3 s after it died (measured on the sandbox: about 2.7 s after
 * the process was gone), one that hangs 3-4 s; under traffic, `failuresToDown` connection errors
 * within one interval take it down at once.
 *
 * The real probe over MySQL is in mysql-probe.ts.
 */
import type { HealthCheckSettings } from '../config/cluster-schema.js';
import { Code, errors, GatewayError } from '../errors.js';
import { type Clock, systemClock } from '../pool/clock.js';
import {
  afterConnectionErrors,
  afterFailure,
  afterSuccess,
  type BackendHealth,
  type HealthRules,
  type HealthState,
  initialHealth,
  describeError,
  type HealthProbe,
  type ProbeResult,
} from './health-state.js';

export type {
  BackendHealth,
  HealthProbe,
  HealthState,
  ProbeCheckOptions,
  ProbeResult,
  ReplicationStatus,
} from './health-state.js';
export { describeError } from './health-state.js';
export { NOT_CHECKED_YET } from './health-state.js';

/** A backend the monitor watches. */
export interface MonitoredBackend {
  /** Unique name (the backend's display name). */
  readonly name: string;
  readonly role: 'primary' | 'replica';
}

/** Options of {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  /** The backends to watch: a cluster's primary and replicas. */
  readonly backends: readonly MonitoredBackend[];
  /** Makes the probe of one backend; called once per backend, in the constructor. */
  readonly probe: (backendName: string) => HealthProbe;
  /** The cluster's `healthCheck` settings. */
  readonly settings: HealthCheckSettings;
  /** The cluster's `maxReplicaLagMs`: replicas lagging more are `lagging`, ms; 0 = lag not checked. */
  readonly maxReplicaLagMs: number;
  /** Time and timers. @default the system clock, timers `unref()`ed */
  readonly clock?: Clock;
  /** Called on every state change, after the snapshot was updated. Exceptions are ignored. */
  readonly onChange?: (name: string, prev: HealthState, next: HealthState, health: BackendHealth) => void;
}

/** Lifecycle of the monitor. `created` -> `running` -> `closed`, or `created` -> `closed`. */
export type HealthMonitorState = 'created' | 'running' | 'closed';

interface Waiter {
  readonly state: HealthState;
  readonly resolve: () => void;
  readonly reject: (err: GatewayError) => void;
  timer: unknown;
}

/** Per-backend bookkeeping. */
interface Watched {
  readonly name: string;
  readonly rules: HealthRules;
  readonly probe: HealthProbe;
  health: BackendHealth;
  /** Passed a check once: until then one good check is enough to come up. */
  everUp: boolean;
  /** The next scheduled check. */
  nextTimer: unknown;
  /** The check being run; checkNow joins it. */
  running: Promise<BackendHealth> | undefined;
  /** The probe has not settled its last check yet (it ignored its timeout): no new check may start. */
  probeBusy: boolean;
  /** Timeout timer and abort of the check in flight. */
  checkTimer: unknown;
  checkAbort: AbortController | undefined;
  /** Times of the connection errors traffic reported within the last interval. */
  connectionErrors: number[];
  /** Checks started so far. */
  checksStarted: number;
  /** `checksStarted` when traffic errors last took the backend down: those checks do not count as good. */
  forcedDownAfter: number;
  readonly waiters: Set<Waiter>;
}

function checkSettings(settings: HealthCheckSettings, maxReplicaLagMs: number): void {
  const positive = {
    intervalMs: settings.intervalMs,
    timeoutMs: settings.timeoutMs,
    failuresToDown: settings.failuresToDown,
    successesToUp: settings.successesToUp,
  };
  for (const [key, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw errors.invalidArgument(
        'INVALID_HEALTH_SETTINGS',
        `healthCheck.${key} must be a positive integer, got ${value}`,
      );
    }
  }
  if (!Number.isFinite(maxReplicaLagMs) || maxReplicaLagMs < 0) {
    throw errors.invalidArgument(
      'INVALID_HEALTH_SETTINGS',
      `maxReplicaLagMs must be 0 or more, got ${maxReplicaLagMs}`,
    );
  }
}

/**
 * Watches the health of a cluster's backends. See health-state.ts for the states and their rules;
 * in short: the primary starts `healthy` and replicas start `down` until their first good check;
 * `failuresToDown` failed checks (or as many connection errors from traffic within one interval)
 * take a backend down, `successesToUp` good checks bring it back; a replica that does not
 * replicate or lags too much is `lagging`.
 */
export class HealthMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly settings: HealthCheckSettings;
  private readonly clock: Clock;
  private readonly onChange: HealthMonitorOptions['onChange'];
  private lifecycle: HealthMonitorState = 'created';
  private closing: Promise<void> | undefined;

  constructor(opts: HealthMonitorOptions) {
    checkSettings(opts.settings, opts.maxReplicaLagMs);
    this.settings = { ...opts.settings, queries: [...opts.settings.queries] };
    this.clock = opts.clock ?? systemClock;
    this.onChange = opts.onChange;
    try {
      for (const b of opts.backends) {
        if (this.watched.has(b.name)) {
          throw errors.invalidArgument('DUPLICATE_BACKEND', `backend "${b.name}" is listed twice`);
        }
        this.watched.set(b.name, {
          name: b.name,
          rules: {
            role: b.role,
            failuresToDown: opts.settings.failuresToDown,
            successesToUp: opts.settings.successesToUp,
            maxReplicaLagMs: opts.maxReplicaLagMs,
          },
          probe: opts.probe(b.name),
          health: Object.freeze(initialHealth(b.role)),
          everUp: false,
          nextTimer: undefined,
          running: undefined,
          probeBusy: false,
          checkTimer: undefined,
          checkAbort: undefined,
          connectionErrors: [],
          checksStarted: 0,
          forcedDownAfter: 0,
          waiters: new Set(),
        });
      }
    } catch (err) {
      // Close the probes made so far: nobody else holds them.
      for (const w of this.watched.values()) void w.probe.close().catch(() => {});
      throw err;
    }
  }

  /** `created`, `running` or `closed`. */
  get state(): HealthMonitorState {
    return this.lifecycle;
  }

  /**
   * Checks every backend at once, then each every `intervalMs` after its previous check started
   * (never two checks of one backend at a time). Throws if already started or closed.
   */
  start(): void {
    if (this.lifecycle !== 'created') {
      throw errors.failedPrecondition(
        'HEALTH_MONITOR_STATE',
        `health monitor cannot start: it is ${this.lifecycle}`,
      );
    }
    this.lifecycle = 'running';
    for (const w of this.watched.values()) void this.check(w);
  }

  /** The current health of backend `name`. NOT_FOUND for unknown names. */
  health(name: string): BackendHealth {
    return this.get(name).health;
  }

  /** The current health of every backend, in the order given to the constructor. */
  all(): ReadonlyMap<string, BackendHealth> {
    return new Map([...this.watched.values()].map((w) => [w.name, w.health]));
  }

  /**
   * Real traffic reports a connection-level failure (connect refused, connection lost: anything
   * {@link GatewayError.from} maps to UNAVAILABLE; other errors are ignored). `failuresToDown` of
   * them within one interval take the backend down at once, without waiting for the next check.
   */
  reportConnectionError(name: string, err: unknown): void {
    const w = this.get(name);
    if (this.lifecycle === 'closed') return;
    const e = GatewayError.from(err);
    if (e.code !== Code.UNAVAILABLE) return;
    const now = this.clock.now();
    const windowStart = now - this.settings.intervalMs;
    w.connectionErrors = w.connectionErrors.filter((t) => t > windowStart);
    w.connectionErrors.push(now);
    if (w.connectionErrors.length < this.settings.failuresToDown || w.health.state === 'down') return;
    const count = w.connectionErrors.length;
    w.connectionErrors = [];
    w.forcedDownAfter = w.checksStarted;
    this.apply(
      w,
      afterConnectionErrors(
        w.health,
        `${count} connection errors within ${this.settings.intervalMs} ms: ${describeError(e)}`,
      ),
    );
  }

  /**
   * Checks one backend now (e.g. after traffic saw a failure) and resolves with its health after
   * the check. Joins a check already running. The next periodic check follows `intervalMs` later.
   */
  checkNow(name: string): Promise<BackendHealth> {
    const w = this.get(name);
    if (this.lifecycle === 'closed') return Promise.reject(this.closedError());
    return this.check(w);
  }

  /**
   * Resolves when backend `name` is in `state` (at once if it already is); rejects with
   * DEADLINE_EXCEEDED after `timeoutMs`, or FAILED_PRECONDITION when the monitor closes.
   */
  waitFor(name: string, state: HealthState, timeoutMs: number): Promise<void> {
    const w = this.get(name);
    if (w.health.state === state) return Promise.resolve();
    if (this.lifecycle === 'closed') return Promise.reject(this.closedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { state, resolve, reject, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => {
        w.waiters.delete(waiter);
        const h = w.health;
        reject(
          errors.deadlineExceeded(
            'HEALTH_WAIT_TIMEOUT',
            `backend "${name}" did not become ${state} within ${timeoutMs} ms (it is ${h.state}${h.lastError ? `: ${h.lastError}` : ''})`,
          ),
        );
      }, timeoutMs);
      w.waiters.add(waiter);
    });
  }

  /** Stops checking: clears every timer, aborts checks in flight, rejects waiters, closes the probes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.lifecycle = 'closed';
      const closed = this.closedError();
      for (const w of this.watched.values()) {
        this.clock.clearTimeout(w.nextTimer);
        w.nextTimer = undefined;
        this.clock.clearTimeout(w.checkTimer);
        w.checkTimer = undefined;
        w.checkAbort?.abort(closed);
        for (const waiter of w.waiters) {
          this.clock.clearTimeout(waiter.timer);
          waiter.reject(closed);
        }
        w.waiters.clear();
      }
      await Promise.allSettled([...this.watched.values()].map((w) => w.probe.close()));
    })();
    return this.closing;
  }

  private get(name: string): Watched {
    const w = this.watched.get(name);
    if (!w) throw errors.notFound('UNKNOWN_BACKEND', `health monitor has no backend "${name.slice(0, 100)}"`);
    return w;
  }

  private closedError(): GatewayError {
    return errors.failedPrecondition('HEALTH_MONITOR_CLOSED', 'health monitor is closed');
  }

  /** Runs a check unless one is running (then joins it); schedules the next one when it ends. */
  private check(w: Watched): Promise<BackendHealth> {
    if (w.running) return w.running;
    this.clock.clearTimeout(w.nextTimer);
    w.nextTimer = undefined;
    const startedAt = this.clock.now();
    const run = this.runCheck(w).finally(() => {
      w.running = undefined;
      if (this.lifecycle !== 'running') return;
      const delay = Math.max(0, startedAt + this.settings.intervalMs - this.clock.now());
      w.nextTimer = this.clock.setTimeout(() => {
        w.nextTimer = undefined;
        void this.check(w);
      }, delay);
    });
    w.running = run;
    return run;
  }

  private async runCheck(w: Watched): Promise<BackendHealth> {
    const seq = ++w.checksStarted;
    if (w.probeBusy) {
      // The probe still holds the previous check past its timeout: count a failure, start nothing.
      this.apply(w, afterFailure(w.health, 'previous health check still running', w.rules, this.clock.now()));
      return w.health;
    }
    const { timeoutMs } = this.settings;
    const abort = new AbortController();
    w.checkAbort = abort;
    w.probeBusy = true;
    const probing = Promise.resolve().then(() =>
      w.probe.check(timeoutMs, {
        replication: w.rules.role === 'replica',
        queries: this.settings.queries,
        signal: abort.signal,
      }),
    );
    probing.then(
      () => {
        w.probeBusy = false;
      },
      () => {
        w.probeBusy = false;
      },
    );
    // Bounded here too, for probes that ignore their timeout and signal.
    const aborted = new Promise<never>((_, reject) => {
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    w.checkTimer = this.clock.setTimeout(
      () =>
        abort.abort(
          errors.deadlineExceeded('HEALTH_CHECK_TIMEOUT', `health check timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    let result: ProbeResult | undefined;
    let failure: unknown;
    try {
      result = await Promise.race([probing, aborted]);
    } catch (err) {
      failure = err;
    } finally {
      this.clock.clearTimeout(w.checkTimer);
      w.checkTimer = undefined;
      if (w.checkAbort === abort) w.checkAbort = undefined;
    }
    const now = this.clock.now();
    if (result === undefined) {
      this.apply(w, afterFailure(w.health, describeError(failure), w.rules, now));
    } else if (seq > w.forcedDownAfter) {
      // A check that started before traffic took the backend down says nothing about it now.
      const wasUp = w.everUp;
      w.everUp = true;
      w.connectionErrors = [];
      this.apply(w, afterSuccess(w.health, result, w.rules, now, wasUp));
    }
    return w.health;
  }

  /** Stores the new health, then tells the listener and the waiters. Ignored once closed. */
  private apply(w: Watched, next: BackendHealth): void {
    if (this.lifecycle === 'closed') return;
    const prev = w.health.state;
    let downSince: number | undefined;
    if (next.state === 'down') downSince = prev === 'down' ? w.health.downSince : this.clock.now();
    const { downSince: _previous, ...rest } = next;
    w.health = Object.freeze(downSince === undefined ? rest : { ...rest, downSince });
    if (prev === next.state) return;
    try {
      this.onChange?.(w.name, prev, next.state, w.health);
    } catch {
      // A listener's failure must not stop health checking.
    }
    for (const waiter of w.waiters) {
      if (waiter.state !== next.state) continue;
      w.waiters.delete(waiter);
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }
}
