/**
 * A lease: one caller's exclusive use of one pooled resource, ended exactly once by `release()`
 * or `destroy()`. Also the pool's per-resource bookkeeping record, {@link PooledResource}.
 */

import { errors } from '../errors.js';

/** Exclusive use of a pooled resource, from `Pool.acquire()` until `release()` or `destroy()`. */
export interface Lease<R> {
  /** The resource. Do not use it after the lease has ended. */
  readonly resource: R;
  /** Clock time (ms) at which the lease was handed out. */
  readonly acquiredAt: number;
  /**
   * Returns the resource to the pool. `reset: true` runs `hooks.reset` first (use it whenever the
   * session state may have changed: variables, temporary tables, an open transaction); the
   * resource is not handed out until the reset has finished, and is destroyed if it fails.
   * @throws GatewayError FAILED_PRECONDITION `LEASE_ALREADY_RELEASED` if the lease has already ended.
   */
  release(opts?: { readonly reset?: boolean }): void;
  /**
   * The resource is broken or in an unknown state: destroy it instead of returning it. A
   * replacement is created if the pool falls below `min` or callers are waiting.
   * @param reason Reported as `cause` of the `destroyed` event, for logs.
   * @throws GatewayError FAILED_PRECONDITION `LEASE_ALREADY_RELEASED` if the lease has already ended.
   */
  destroy(reason?: unknown): void;
}

/** The pool's record of one open resource. Internal to `src/pool`. */
export class PooledResource<R> {
  /** Clock time at which it last became idle (meaningful only while idle). */
  idleSince: number;

  constructor(
    readonly resource: R,
    readonly createdAt: number,
    /** Clock time from which the resource counts as expired; `Infinity` when lifetime is unlimited. */
    readonly expiresAt: number,
  ) {
    this.idleSince = createdAt;
  }
}

/** What a lease calls back into; implemented once per pool. Internal to `src/pool`. */
export interface LeaseOwner<R> {
  release(entry: PooledResource<R>, acquiredAt: number, reset: boolean): void;
  destroy(entry: PooledResource<R>, acquiredAt: number, reason: unknown): void;
}

/** The {@link Lease} implementation handed out by the pool. */
export class PoolLease<R> implements Lease<R> {
  readonly resource: R;
  #entry: PooledResource<R> | undefined;
  readonly #owner: LeaseOwner<R>;

  constructor(
    owner: LeaseOwner<R>,
    entry: PooledResource<R>,
    readonly acquiredAt: number,
  ) {
    this.#owner = owner;
    this.#entry = entry;
    this.resource = entry.resource;
  }

  release(opts?: { readonly reset?: boolean }): void {
    this.#owner.release(this.#end(), this.acquiredAt, opts?.reset === true);
  }

  destroy(reason?: unknown): void {
    this.#owner.destroy(this.#end(), this.acquiredAt, reason);
  }

  #end(): PooledResource<R> {
    const entry = this.#entry;
    if (entry === undefined) {
      throw errors.failedPrecondition('LEASE_ALREADY_RELEASED', 'lease was already released or destroyed');
    }
    this.#entry = undefined;
    return entry;
  }
}
