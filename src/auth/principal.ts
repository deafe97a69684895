/**
 * A principal at run time: what it may do (clusters, read-only, admin) and its live budget (calls
 * and transactions in flight, request rate). It is the {@link Access} the session layer checks.
 */
import type { PrincipalConfig } from '../config/index.js';
import { errors } from '../errors.js';
import type { Access } from '../session/access.js';
import { type Clock, TokenBucket } from './rate-limiter.js';

/** What a call holds while it runs; `release()` is idempotent. */
export interface Slot {
  release(): void;
}

/** A caller identity with its permissions and limits. */
export class Principal implements Access {
  private calls = 0;
  private transactions = 0;
  private readonly clusters: ReadonlySet<string> | undefined;
  private readonly bucket: TokenBucket | undefined;
  readonly readOnly: boolean;
  readonly admin: boolean;
  private readonly maxCalls: number;
  private readonly maxTransactions: number;

  constructor(
    readonly name: string,
    config: Omit<PrincipalConfig, 'tokenSha256' | 'certIdentities'>,
    clock?: Clock,
  ) {
    this.clusters = config.clusters.includes('*') ? undefined : new Set(config.clusters);
    this.readOnly = config.readOnly;
    this.admin = config.admin;
    this.maxCalls = config.maxConcurrentCalls;
    this.maxTransactions = config.maxConcurrentTransactions;
    const rate = config.requestsPerSecond;
    this.bucket =
      rate > 0
        ? new TokenBucket(rate, config.burst > 0 ? config.burst : Math.max(1, Math.ceil(rate)), clock)
        : undefined;
  }

  /** The caller with every permission and no limit (authentication off). */
  static unrestricted(): Principal {
    return new Principal('', {
      clusters: ['*'],
      readOnly: false,
      admin: true,
      maxConcurrentCalls: 0,
      maxConcurrentTransactions: 0,
      requestsPerSecond: 0,
      burst: 0,
    });
  }

  get principal(): string {
    return this.name;
  }

  /** Calls and transactions in flight. */
  get inFlight(): { calls: number; transactions: number } {
    return { calls: this.calls, transactions: this.transactions };
  }

  useCluster(cluster: string): void {
    if (this.clusters !== undefined && !this.clusters.has(cluster)) {
      throw errors.permissionDenied(
        'CLUSTER_NOT_ALLOWED',
        `principal ${this.name} may not use cluster ${cluster}`,
      );
    }
  }

  write(what: string): void {
    if (this.readOnly) {
      throw errors.permissionDenied(
        'READ_ONLY_PRINCIPAL',
        `principal ${this.name} is read-only: ${what} refused`,
      );
    }
  }

  request(): void {
    const waitMs = this.bucket?.take() ?? 0;
    if (waitMs > 0) {
      throw errors.resourceExhausted(
        'RATE_LIMITED',
        `principal ${this.name} is over its request rate (auth.principals.${this.name}.requestsPerSecond): retry in ${waitMs} ms`,
      );
    }
  }

  /** Takes a call slot (and a transaction slot for a Transaction stream), or throws RESOURCE_EXHAUSTED. */
  enter(transaction: boolean): Slot {
    if (this.maxCalls > 0 && this.calls >= this.maxCalls) {
      throw errors.resourceExhausted(
        'TOO_MANY_CALLS',
        `principal ${this.name} already has ${this.calls} calls in flight (auth.principals.${this.name}.maxConcurrentCalls)`,
      );
    }
    if (transaction && this.maxTransactions > 0 && this.transactions >= this.maxTransactions) {
      throw errors.resourceExhausted(
        'TOO_MANY_TRANSACTIONS',
        `principal ${this.name} already has ${this.transactions} open transactions (auth.principals.${this.name}.maxConcurrentTransactions)`,
      );
    }
    this.calls++;
    if (transaction) this.transactions++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.calls--;
        if (transaction) this.transactions--;
      },
    };
  }
}
