/**
 * A Transaction with an idempotency key: it commits at most once per key. Right after BEGIN on
 * the pinned connection the key row is inserted inside the transaction, so the row exists if
 * and only if the transaction committed. A concurrent begin with the same key waits on the row's
 * lock: when the first commits it is refused ALREADY_EXISTS `TRANSACTION_ALREADY_COMMITTED`
 * (with the recorded consistency token), when the first rolls back it proceeds. The fingerprint
 * covers the transaction's options (its statements are not known at begin). At commit the row
 * is marked done before COMMIT; a connection lost during COMMIT is resolved on a fresh
 * connection (idempotency-execute.ts `resolveCommit`).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Cluster } from '../routing/cluster.js';
import type { BeginCommand } from './commands.js';
import { requestFingerprint } from './idempotency.js';
import { resolveCommit, type StoreLookup } from './idempotency-execute.js';
import {
  ER_DUP_ENTRY,
  type IdempotencyRecord,
  type IdempotencyStore,
  readyStore,
} from './idempotency-store.js';
import { rollbackOn, startTransaction } from './statement-runner.js';

/** How many times a begin starts over when the key's row vanished between its insert and its read (expiry). */
const MAX_ROUNDS = 3;

const NO_TOTALS = { affectedRows: 0, lastInsertId: '0', warningCount: 0, info: '' };

/** The fingerprint of a keyed transaction: its options, not its statements. */
export function transactionFingerprint(cluster: string, begin: BeginCommand): string {
  return requestFingerprint('transaction', [], { cluster, isolationLevel: begin.isolationLevel ?? '' });
}

/** The key of one keyed Transaction session, from begin to commit. */
export class TransactionKey {
  private constructor(
    private readonly store: IdempotencyStore,
    private readonly cluster: Cluster,
    private readonly principal: string,
    private readonly key: string,
    private readonly fingerprint: string,
  ) {}

  /**
   * The key of a begin on `cluster` (the key itself was validated when the begin was decoded).
   * Throws FAILED_PRECONDITION `IDEMPOTENCY_UNAVAILABLE` without a store for the cluster, or the
   * store's error when its table cannot be created.
   */
  static async prepare(
    stores: StoreLookup,
    cluster: Cluster,
    principal: string,
    key: string,
    begin: BeginCommand,
    ctx: StatementContext,
  ): Promise<TransactionKey> {
    const store = await readyStore(stores(cluster.name), cluster.name, ctx);
    return new TransactionKey(store, cluster, principal, key, transactionFingerprint(cluster.name, begin));
  }

  /**
   * Inserts the key row in the transaction just begun on `conn` (waiting on its lock while a
   * concurrent transaction holds the key). When the key already committed, rolls back and throws
   * ALREADY_EXISTS `TRANSACTION_ALREADY_COMMITTED` carrying the recorded consistency token, or
   * FAILED_PRECONDITION `IDEMPOTENCY_KEY_REUSED` when it committed with other options.
   */
  async claim(
    backend: Backend,
    conn: DbConnection,
    begin: BeginCommand,
    ctx: StatementContext,
  ): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await this.store.insertRunning(conn, this.principal, this.key, this.fingerprint, ctx);
        return;
      } catch (err) {
        const e = GatewayError.from(err);
        if (e.mysqlErrno !== ER_DUP_ENTRY) throw e;
      }
      await rollbackOn(backend, conn, ctx.trace);
      const rec = await this.store.find(conn, this.principal, this.key, ctx);
      if (rec) throw await this.refusal(conn, rec, ctx);
      // The row expired between the insert and the read: begin again and claim it (bounded).
      if (round >= MAX_ROUNDS) {
        throw errors.unavailable(
          'IDEMPOTENCY_KEY_CONTENDED',
          'the idempotency key kept changing hands; retry',
        );
      }
      await startTransaction(backend, conn, begin.isolationLevel, false, ctx);
    }
  }

  private async refusal(
    conn: DbConnection,
    rec: IdempotencyRecord,
    ctx: StatementContext,
  ): Promise<GatewayError> {
    if (rec.fingerprint !== this.fingerprint) {
      return errors.failedPrecondition(
        'IDEMPOTENCY_KEY_REUSED',
        'this idempotency key was already used for a different request (another transaction options, or an Execute or Batch): use a new key per logical operation',
      );
    }
    return new GatewayError(
      Code.ALREADY_EXISTS,
      'TRANSACTION_ALREADY_COMMITTED',
      'a transaction with this idempotency key already committed: nothing was begun (its consistency token is in the x-consistency-token trailer)',
      { consistencyToken: await this.token(conn, rec, ctx) },
    );
  }

  /** Marks the key row done, in the transaction, right before COMMIT. */
  beforeCommit(conn: DbConnection, ctx: StatementContext): Promise<void> {
    return this.store.complete(conn, this.principal, this.key, NO_TOTALS, '', ctx);
  }

  /** Records the COMMIT's consistency token in the key row (best effort: a refusal then answers the primary's position). */
  async committed(conn: DbConnection, token: string, ctx: StatementContext): Promise<void> {
    if (token) await this.store.setToken(conn, this.principal, this.key, token, ctx).catch(() => {});
  }

  /**
   * The connection was lost during COMMIT (`cause`): reports it to the health monitor and asks
   * the primary on fresh connections, within the call's deadline, whether the key row is there.
   * Resolves with the consistency token when the transaction committed; throws UNAVAILABLE
   * `IDEMPOTENT_WRITE_NOT_COMMITTED` when it did not, `COMMIT_OUTCOME_UNKNOWN` when the primary
   * could not be asked in time.
   */
  resolveLostCommit(backend: Backend, cause: GatewayError, ctx: StatementContext): Promise<string> {
    this.cluster.reportConnectionError(backend, cause);
    return resolveCommit(this.store, this.principal, this.key, this.fingerprint, cause, ctx, (conn, rec) =>
      this.token(conn, rec, ctx),
    );
  }

  private async token(conn: DbConnection, rec: IdempotencyRecord, ctx: StatementContext): Promise<string> {
    return rec.consistencyToken || (await this.store.currentPosition(conn, ctx).catch(() => ''));
  }
}
