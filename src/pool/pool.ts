/**
 * A generic resource pool. It knows nothing of MySQL: resources are opened, checked, reset and
 * closed through injected {@link PoolHooks}, and time comes from an injected {@link Clock}.
 *
 * Hand-rolled because tarn, generic-pool and mysql2's pool each lack something needed here:
 * validation only after idle, a bounded FIFO wait queue that rejects at once, per-call deadline
 * and AbortSignal, max lifetime with jitter, reset on release, and event hooks for metrics.
 *
 * Idle resources are handed out LIFO (the rest stay idle long enough to be evicted); waiters are
 * served FIFO. Every resource being created, validated or reset is promised to the waiter at the
 * head of the queue when it becomes available, whoever that is by then.
 */

import type { GatewayError } from '../errors.js';
import { type Clock, systemClock } from './clock.js';
import { sweepIdle } from './idle-sweep.js';
import { type Lease, type LeaseOwner, PoolLease, PooledResource } from './lease.js';
import {
  acquireCancelledError,
  acquireDeadlineError,
  acquireTimeoutError,
  backendUnavailableError,
  poolAlreadyStartedError,
  poolClosedError,
  poolExhaustedError,
} from './pool-errors.js';
import {
  type AcquireOptions,
  callHook,
  type PoolDeps,
  type PoolHooks,
  type PoolState,
} from './pool-hooks.js';
import type { DestroyReason, PoolEvent, PoolStats, RejectReason } from './pool-events.js';
import { type CompiledPoolOptions, compilePoolOptions, type PoolOptions } from './pool-options.js';
import { Waiter, WaiterQueue } from './waiter-queue.js';

/** A pool of resources of type `R`. Owns its resources and timers until `close()`. */
export class Pool<R> {
  /** The compiled options. */
  readonly options: CompiledPoolOptions;
  readonly #hooks: PoolHooks<R>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onEvent: ((event: PoolEvent) => void) | undefined;
  readonly #owner: LeaseOwner<R>;

  #state: PoolState = 'running';
  #started = false;
  /** Ordered by `idleSince`, oldest first; resources are popped from the end (LIFO). */
  readonly #idle: PooledResource<R>[] = [];
  readonly #waiters: WaiterQueue<Lease<R>>;
  /** Open resources: idle, leased, or being validated or reset. */
  #total = 0;
  #pending = 0;
  #validating = 0;
  #resetting = 0;
  /** `hooks.destroy` calls not yet settled. */
  #destroying = 0;
  #created = 0;
  #closed = 0;
  #errors = 0;
  #acquireTimeouts = 0;

  #sweepTimer: unknown = undefined;
  readonly #sweep = (): void => this.#runSweep();
  readonly #onDestroyed = (): void => {
    this.#destroying--;
    this.#maybeFinishClose();
  };
  readonly #createAbort = new AbortController();
  #closing: Promise<void> | undefined = undefined;
  #resolveClosing: (() => void) | undefined = undefined;

  /** @throws GatewayError INVALID_ARGUMENT `INVALID_POOL_OPTIONS` (see {@link compilePoolOptions}). */
  constructor(hooks: PoolHooks<R>, options: PoolOptions, deps: PoolDeps = {}) {
    this.options = compilePoolOptions(options);
    this.#hooks = hooks;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    this.#onEvent = deps.onEvent;
    this.#waiters = new WaiterQueue(
      this.#clock,
      (waiter) => this.#onWaiterTimeout(waiter),
      (waiter) => this.#fail(waiter, acquireCancelledError(this.options.name, waiter.signal!), 'aborted'),
    );
    this.#owner = {
      release: (entry, acquiredAt, reset) => this.#release(entry, acquiredAt, reset),
      destroy: (entry, acquiredAt, reason) => this.#destroyLeased(entry, acquiredAt, reason),
    };
  }

  /** See {@link PoolState}. */
  get state(): PoolState {
    return this.#state;
  }

  /**
   * Starts warming up to `min` and the background sweeper (idle eviction, lifetime, refill).
   * @throws GatewayError FAILED_PRECONDITION if already started, or closing/closed.
   */
  start(): void {
    if (this.#state !== 'running') throw poolClosedError(this.options.name);
    if (this.#started) throw poolAlreadyStartedError(this.options.name);
    this.#started = true;
    this.#sweepTimer = this.#clock.setTimeout(this.#sweep, this.options.evictionIntervalMs);
    this.#dispatch();
  }

  /**
   * Leases a resource: the most recently used idle one (validated first if idle longer than
   * `validationIntervalMs`), else a new one if below `max`, else the next one released, in FIFO
   * order of callers.
   *
   * Rejects with a GatewayError: RESOURCE_EXHAUSTED `ACQUIRE_TIMEOUT` after `acquireTimeoutMs`;
   * DEADLINE_EXCEEDED when `opts.deadline` passes first (or has passed); CANCELLED when
   * `opts.signal` aborts; RESOURCE_EXHAUSTED `POOL_EXHAUSTED` at once when the wait queue is full;
   * UNAVAILABLE `BACKEND_UNAVAILABLE` when creating failed and nothing else could serve the call;
   * UNAVAILABLE `POOL_CLOSED` when the pool is closing or closed.
   */
  acquire(opts?: AcquireOptions): Promise<Lease<R>> {
    if (this.#state !== 'running') return this.#refuse(poolClosedError(this.options.name), 'closed');
    const signal = opts?.signal;
    if (signal?.aborted === true)
      return this.#refuse(acquireCancelledError(this.options.name, signal), 'aborted');
    const now = this.#clock.now();
    const deadline = opts?.deadline;
    if (deadline !== undefined && deadline <= now)
      return this.#refuse(acquireDeadlineError(this.options.name), 'deadline');

    if (this.#waiters.size === 0) {
      const idle = this.#idle;
      let lost = false;
      while (idle.length > 0) {
        const entry = idle[idle.length - 1]!;
        if (entry.expiresAt <= now) {
          idle.pop();
          this.#destroyEntry(entry, 'lifetime');
          lost = true;
        } else if (now - entry.idleSince > this.options.validationIntervalMs) {
          break;
        } else {
          idle.pop();
          if (lost) this.#dispatch();
          return Promise.resolve(this.#lease(entry, now, 0));
        }
      }
    }
    if (this.#queueFull())
      return this.#refuse(
        poolExhaustedError(this.options.name, this.options.max, this.options.maxWaiting),
        'queueFull',
      );
    const timeoutAt = now + this.options.acquireTimeoutMs;
    const byDeadline = deadline !== undefined && deadline < timeoutAt;
    return new Promise<Lease<R>>((resolve, reject) => {
      const waiter = new Waiter(resolve, reject, now, byDeadline, signal);
      this.#waiters.push(waiter, (byDeadline ? deadline : timeoutAt) - now);
      this.#dispatch();
    });
  }

  /** A snapshot of counts and counters. */
  stats(): PoolStats {
    const head = this.#waiters.head;
    const idle = this.#idle.length;
    return {
      name: this.options.name,
      total: this.#total,
      idle,
      used: this.#total - idle,
      waiting: this.#waiters.size,
      pending: this.#pending,
      created: this.#created,
      closed: this.#closed,
      errors: this.#errors,
      acquireTimeouts: this.#acquireTimeouts,
      longestWaitMs: head === undefined ? 0 : this.#clock.now() - head.since,
      min: this.options.min,
      max: this.options.max,
    };
  }

  /**
   * Closes the pool: fails every waiter with UNAVAILABLE `POOL_CLOSED`, destroys idle resources,
   * aborts creates in flight and stops the sweeper. Leased resources are destroyed when their
   * lease ends. Resolves once every resource, including those still being created, validated or
   * reset, has been destroyed. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#state = 'closing';
    this.#closing = new Promise<void>((resolve) => {
      this.#resolveClosing = resolve;
    });
    if (this.#sweepTimer !== undefined) {
      this.#clock.clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
    this.#createAbort.abort(poolClosedError(this.options.name));
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      this.#fail(waiter, poolClosedError(this.options.name), 'closed');
    }
    for (const entry of this.#idle.splice(0)) this.#destroyEntry(entry, 'closed');
    this.#maybeFinishClose();
    return this.#closing;
  }

  // --- supply and demand -------------------------------------------------------------------

  /** Resources on their way to the head of the queue. */
  #inFlight(): number {
    return this.#pending + this.#validating + this.#resetting;
  }

  #queueFull(): boolean {
    return (
      this.#idle.length === 0 &&
      this.#total + this.#pending >= this.options.max &&
      this.#waiters.size >= this.options.maxWaiting + this.#inFlight()
    );
  }

  /**
   * Serves waiters from idle resources, then creates for waiters still uncovered and up to min.
   * An idle resource is preferred to waiting for a create already in flight (creating is slow and
   * may fail; the created resource then goes idle), not to a validation or reset in flight.
   */
  #dispatch(): void {
    if (this.#state !== 'running') return;
    const { max, validationIntervalMs } = this.options;
    const idle = this.#idle;
    while (idle.length > 0 && this.#waiters.size > this.#validating + this.#resetting) {
      const entry = idle.pop()!;
      const now = this.#clock.now();
      if (entry.expiresAt <= now) this.#destroyEntry(entry, 'lifetime');
      else if (now - entry.idleSince > validationIntervalMs) this.#validate(entry);
      else this.#serve(this.#waiters.shift()!, entry, now);
    }
    const floor = this.#started ? this.options.min : 0;
    while (
      this.#total + this.#pending < max &&
      (this.#waiters.size > this.#inFlight() || this.#total + this.#pending < floor)
    ) {
      this.#create();
    }
  }

  /** A resource became available: serve the head waiter or park it idle. */
  #offer(entry: PooledResource<R>): void {
    if (this.#state !== 'running') {
      this.#destroyEntry(entry, 'closed');
      return;
    }
    const now = this.#clock.now();
    if (entry.expiresAt <= now) {
      this.#destroyEntry(entry, 'lifetime');
      this.#dispatch();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#serve(waiter, entry, now);
    } else {
      entry.idleSince = now;
      this.#idle.push(entry);
    }
  }

  #create(): void {
    this.#pending++;
    const startedAt = this.#clock.now();
    callHook(() => this.#hooks.create(this.#createAbort.signal)).then(
      (resource) => this.#onCreated(resource, startedAt),
      (error: unknown) => this.#onCreateFailed(error),
    );
  }

  #onCreated(resource: R, startedAt: number): void {
    this.#pending--;
    this.#created++;
    this.#total++;
    const now = this.#clock.now();
    const { maxLifetimeMs, lifetimeJitterMs } = this.options;
    const expiresAt =
      maxLifetimeMs === 0
        ? Number.POSITIVE_INFINITY
        : now + maxLifetimeMs - Math.floor(this.#random() * lifetimeJitterMs);
    this.#emit({ type: 'created', createMs: now - startedAt });
    this.#offer(new PooledResource(resource, now, expiresAt));
  }

  #onCreateFailed(error: unknown): void {
    this.#pending--;
    if (this.#state !== 'running') {
      this.#maybeFinishClose();
      return;
    }
    this.#errors++;
    this.#emit({ type: 'createFailed', error });
    // No retry here (that would spin while the backend is down): the next acquire, release or
    // sweep creates again. But if nothing exists or is coming, the waiters would only wait for
    // their timeout: fail them now.
    if (this.#total > 0 || this.#pending > 0) return;
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      this.#fail(waiter, backendUnavailableError(this.options.name, error), 'backendUnavailable');
    }
  }

  #validate(entry: PooledResource<R>): void {
    this.#validating++;
    callHook(() => this.#hooks.validate(entry.resource)).then(
      (ok) => this.#onValidated(entry, ok === true, undefined),
      (error: unknown) => this.#onValidated(entry, false, error),
    );
  }

  #onValidated(entry: PooledResource<R>, ok: boolean, error: unknown): void {
    this.#validating--;
    if (ok) {
      this.#offer(entry);
      return;
    }
    this.#errors++;
    this.#destroyEntry(entry, 'validation', error);
    this.#dispatch();
  }

  // --- leases ------------------------------------------------------------------------------

  #lease(entry: PooledResource<R>, now: number, waitMs: number): Lease<R> {
    if (this.#onEvent !== undefined) this.#emit({ type: 'acquired', waitMs });
    return new PoolLease(this.#owner, entry, now);
  }

  #release(entry: PooledResource<R>, acquiredAt: number, reset: boolean): void {
    const now = this.#clock.now();
    if (this.#onEvent !== undefined) this.#emit({ type: 'released', useMs: now - acquiredAt });
    if (!reset || this.#state !== 'running' || entry.expiresAt <= now) {
      this.#offer(entry);
      return;
    }
    this.#resetting++;
    callHook(() => this.#hooks.reset(entry.resource)).then(
      () => {
        this.#resetting--;
        this.#offer(entry);
      },
      (error: unknown) => {
        this.#resetting--;
        this.#errors++;
        this.#destroyEntry(entry, 'reset', error);
        this.#dispatch();
      },
    );
  }

  #destroyLeased(entry: PooledResource<R>, acquiredAt: number, reason: unknown): void {
    this.#emit({ type: 'released', useMs: this.#clock.now() - acquiredAt });
    this.#destroyEntry(entry, 'broken', reason);
    this.#dispatch();
  }

  // --- waiters -----------------------------------------------------------------------------

  #onWaiterTimeout(waiter: Waiter<Lease<R>>): void {
    const { name, acquireTimeoutMs, max } = this.options;
    if (waiter.callerDeadline) {
      this.#fail(waiter, acquireDeadlineError(name), 'deadline');
      return;
    }
    this.#acquireTimeouts++;
    this.#emit({ type: 'acquireTimeout', waitMs: this.#clock.now() - waiter.since });
    waiter.reject(acquireTimeoutError(name, acquireTimeoutMs, max));
  }

  #serve(waiter: Waiter<Lease<R>>, entry: PooledResource<R>, now: number): void {
    waiter.resolve(this.#lease(entry, now, now - waiter.since));
  }

  #fail(waiter: Waiter<Lease<R>>, error: GatewayError, reason: RejectReason): void {
    this.#emit({ type: 'rejected', reason });
    waiter.reject(error);
  }

  #refuse(error: GatewayError, reason: RejectReason): Promise<never> {
    this.#emit({ type: 'rejected', reason });
    return Promise.reject(error);
  }

  // --- destruction, sweeping, closing --------------------------------------------------------

  /** Removes an open resource (already out of `#idle`) from the pool and destroys it. */
  #destroyEntry(entry: PooledResource<R>, reason: DestroyReason, cause?: unknown): void {
    this.#total--;
    this.#closed++;
    this.#destroying++;
    this.#emit(cause === undefined ? { type: 'destroyed', reason } : { type: 'destroyed', reason, cause });
    callHook(() => this.#hooks.destroy(entry.resource)).then(this.#onDestroyed, this.#onDestroyed);
  }

  #runSweep(): void {
    this.#sweepTimer = undefined;
    if (this.#state !== 'running') return;
    const now = this.#clock.now();
    const { min, idleTimeoutMs, evictionIntervalMs } = this.options;
    // Pick first and destroy after, so that event listeners never see a half-swept list.
    for (const { entry, reason } of sweepIdle(this.#idle, now, this.#total - min, idleTimeoutMs)) {
      this.#destroyEntry(entry, reason);
    }
    this.#dispatch();
    if (this.#state === 'running') this.#sweepTimer = this.#clock.setTimeout(this.#sweep, evictionIntervalMs);
  }

  #maybeFinishClose(): void {
    if (this.#state !== 'closing' || this.#total > 0 || this.#pending > 0 || this.#destroying > 0) return;
    this.#state = 'closed';
    this.#resolveClosing?.();
  }

  #emit(event: PoolEvent): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(event);
    } catch {
      // A metrics or logging bug must not corrupt the pool's bookkeeping.
    }
  }
}
