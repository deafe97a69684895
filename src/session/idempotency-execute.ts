/**
 * Execute with an idempotency key: exactly once across retries, gateway restarts and gateway
 * instances. The first call runs BEGIN; INSERT key row; the statement; UPDATE the row with the
 * outcome; COMMIT, so the row exists if and only if the write committed. A later call with the
 * same key answers the recorded outcome without running anything; a concurrent one waits on the
 * key row's lock, then does the same (or runs, when the first rolled back). A connection lost
 * during COMMIT is resolved on a fresh connection: the row is there (committed) or not (rolled
 * back).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { Cluster } from '../routing/cluster.js';
import type { Caller, ExecuteCommand, ExecuteTotals } from './commands.js';
import { checkIdempotencyKey, checkKeyable, requestFingerprint } from './idempotency.js';
import {
  ER_DUP_ENTRY,
  type IdempotencyRecord,
  type IdempotencyStore,
  readyStore,
} from './idempotency-store.js';
import {
  commitOn,
  endLease,
  isConnectionFailure,
  rollbackOn,
  type StatementRunner,
  startTransaction,
} from './statement-runner.js';

/** An Execute's outcome, and whether it is a recorded one (the statement did not run now). */
export interface KeyedTotals extends ExecuteTotals {
  readonly replayed: boolean;
}

/** Finds the store of `cluster`; FAILED_PRECONDITION when keys are not available there. */
export type StoreLookup = (cluster: string) => IdempotencyStore | undefined;

/** How many times a keyed call starts over after the key's holder rolled back under it. */
const MAX_ROUNDS = 3;

/** The recorded outcome as Execute totals (the token: the recorded one, else the primary's position). */
export async function recorded(
  store: Pick<IdempotencyStore, 'currentPosition'>,
  conn: DbConnection,
  rec: IdempotencyRecord,
  backend: Backend,
  replayed: boolean,
  ctx: StatementContext,
): Promise<KeyedTotals> {
  const token = rec.consistencyToken || (await store.currentPosition(conn, ctx).catch(() => ''));
  return {
    affectedRows: rec.affectedRows,
    lastInsertId: rec.lastInsertId,
    warningCount: rec.warningCount,
    info: rec.info,
    backend: backend.name,
    consistencyToken: token,
    replayed,
  };
}

function reused(): GatewayError {
  return errors.failedPrecondition(
    'IDEMPOTENCY_KEY_REUSED',
    'this idempotency key was already used for a different request (other SQL, params or options): use a new key per logical operation',
  );
}

/** Runs a keyed Execute on `cluster`'s primary (access already checked by the caller). */
export async function runKeyedExecute(
  cluster: Cluster,
  clusterStore: IdempotencyStore | undefined,
  runner: StatementRunner,
  cmd: ExecuteCommand,
  key: string,
  caller: Caller,
): Promise<KeyedTotals> {
  const { ctx, access } = caller;
  checkIdempotencyKey(key);
  const stmt = runner.check(cmd.sql, cmd.params, 'execute');
  checkKeyable(stmt.info);
  const store = await readyStore(clusterStore, cluster.name, ctx);
  const fp = requestFingerprint('execute', [cmd]);
  const principal = access.principal;
  const route = cluster.routeWrite();
  ctx.trace?.routed(route);
  const backend = route.backend;
  for (let round = 1; ; round++) {
    let lease: Lease<DbConnection> | undefined;
    let inTransaction = false;
    try {
      lease = await backend.acquire(ctx);
      const conn = lease.resource;
      await startTransaction(backend, conn, undefined, false, ctx);
      inTransaction = true;
      try {
        // Waits here while a concurrent call with this key holds the row.
        await store.insertRunning(conn, principal, key, fp, ctx);
      } catch (err) {
        const e = GatewayError.from(err);
        if (e.mysqlErrno !== ER_DUP_ENTRY) throw e;
        await rollbackOn(backend, conn, ctx.trace);
        inTransaction = false;
        const rec = await store.find(conn, principal, key, ctx);
        // Gone again: expired under us; start over (bounded).
        if (!rec) {
          if (round < MAX_ROUNDS) continue;
          throw errors.unavailable(
            'IDEMPOTENCY_KEY_CONTENDED',
            'the idempotency key kept changing hands; retry',
          );
        }
        if (rec.fingerprint !== fp) throw reused();
        return await recorded(store, conn, rec, backend, true, ctx);
      }
      const totals = await runner.write(backend, conn, stmt, ctx);
      await store.complete(conn, principal, key, totals, '', ctx);
      // Whatever COMMIT answers, the transaction is over: nothing is left to roll back.
      inTransaction = false;
      const done = await commitOn(backend, conn, ctx);
      if (done.lost) {
        cluster.reportConnectionError(backend, done.cause);
        endLease(lease, true);
        lease = undefined;
        return await resolveLostCommit(store, backend, principal, key, fp, done.cause, ctx);
      }
      const token = done.token;
      if (token) {
        // Best effort: a replay without it answers the primary's position, which covers the write.
        await store.setToken(conn, principal, key, token, ctx).catch(() => {});
      }
      return { ...totals, consistencyToken: token, replayed: false };
    } catch (err) {
      const e = GatewayError.from(err);
      if (isConnectionFailure(e)) cluster.reportConnectionError(backend, e);
      if (lease && inTransaction) await rollbackOn(backend, lease.resource, ctx.trace);
      throw e;
    } finally {
      if (lease) endLease(lease, stmt.info.sessionState);
    }
  }
}

/**
 * The connection broke while COMMIT was in flight: looks for the key row on fresh connections
 * until the call's deadline. Present with our fingerprint: committed, answered by `answer`.
 * Absent: rolled back, UNAVAILABLE `IDEMPOTENT_WRITE_NOT_COMMITTED` (safe to retry). The primary
 * unreachable past the deadline: `COMMIT_OUTCOME_UNKNOWN`, as without a key.
 */
export async function resolveCommit<T>(
  store: Pick<IdempotencyStore, 'withConnection' | 'find'>,
  principal: string,
  key: string,
  fp: string,
  cause: GatewayError,
  ctx: StatementContext,
  answer: (conn: DbConnection, rec: IdempotencyRecord) => Promise<T>,
): Promise<T> {
  let last: unknown = cause;
  for (let attempt = 0; attempt < 3 && !ctx.signal.aborted; attempt++) {
    try {
      return await store.withConnection(ctx, async (conn) => {
        // A locking read: waits while the server still holds the old transaction.
        const rec = await store.find(conn, principal, key, ctx);
        if (!rec || rec.fingerprint !== fp) {
          throw new GatewayError(
            Code.UNAVAILABLE,
            'IDEMPOTENT_WRITE_NOT_COMMITTED',
            'the connection to the primary was lost during COMMIT and the write did not commit: retry with the same idempotency key',
            { cause, mayHaveExecuted: false },
          );
        }
        return await answer(conn, rec);
      });
    } catch (err) {
      const e = GatewayError.from(err);
      if (e.reason === 'IDEMPOTENT_WRITE_NOT_COMMITTED') throw e;
      last = e;
    }
  }
  throw new GatewayError(
    Code.UNAVAILABLE,
    'COMMIT_OUTCOME_UNKNOWN',
    'the connection to the primary was lost during COMMIT and the primary could not be asked in time whether it committed: retry with the same idempotency key',
    { cause: last, mayHaveExecuted: true },
  );
}

/** {@link resolveCommit} for an Execute: the recorded totals (not a replay). */
export function resolveLostCommit(
  store: Pick<IdempotencyStore, 'withConnection' | 'find' | 'currentPosition'>,
  backend: Backend,
  principal: string,
  key: string,
  fp: string,
  cause: GatewayError,
  ctx: StatementContext,
): Promise<KeyedTotals> {
  return resolveCommit(store, principal, key, fp, cause, ctx, (conn, rec) =>
    recorded(store, conn, rec, backend, false, ctx),
  );
}
