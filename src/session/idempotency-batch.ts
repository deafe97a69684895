/**
 * Batch with an idempotency key: the key row is inserted right after the batch's BEGIN and its
 * outcome (the whole response, rows included) stored before COMMIT, so a retry answers the
 * recorded response without running anything. A keyed batch must run in a read-write
 * transaction: without one there is no single commit for the key row to share.
 */
import type { Backend } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import { type BatchCallLimits, checkBatch, runSteps } from './batch.js';
import type { BatchCommand, BatchOutcome, Caller } from './commands.js';
import { checkIdempotencyKey, checkKeyable, requestFingerprint } from './idempotency.js';
import { resolveCommit, type StoreLookup } from './idempotency-execute.js';
import { parseBatchOutcome, serializeBatchOutcome } from './idempotency-outcome.js';
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

const NO_TOTALS = { affectedRows: 0, lastInsertId: '0', warningCount: 0, info: '' };

async function replay(
  store: IdempotencyStore,
  conn: DbConnection,
  rec: IdempotencyRecord,
  replayed: boolean,
  ctx: Caller['ctx'],
): Promise<BatchOutcome> {
  const token = rec.consistencyToken || (await store.currentPosition(conn, ctx).catch(() => ''));
  return { ...parseBatchOutcome(rec.outcome, token), replayed };
}

/** Runs a keyed Batch on the cluster's primary. */
export async function runKeyedBatch(
  clusters: ClusterRegistry,
  runner: StatementRunner,
  limits: BatchCallLimits,
  cmd: BatchCommand,
  key: string,
  caller: Caller,
  stores: StoreLookup,
): Promise<BatchOutcome> {
  const { ctx, access } = caller;
  checkIdempotencyKey(key);
  const tx = cmd.transaction;
  if (!tx || tx.readOnly) {
    throw errors.invalidArgument(
      'IDEMPOTENCY_KEY_NEEDS_TRANSACTION',
      'a batch with an idempotency key must set a read-write transaction: the key is recorded in the transaction that commits the batch',
    );
  }
  const cluster = clusters.get(cmd.cluster);
  const stmts = checkBatch(runner, limits, cmd, caller, cluster.name);
  stmts.forEach((s, i) => {
    try {
      checkKeyable(s.info);
    } catch (err) {
      const e = GatewayError.from(err);
      throw errors.invalidArgument(e.reason, `batch step ${i}: ${e.message}`);
    }
  });
  const store = await readyStore(stores(cluster.name), cluster.name, ctx);
  const fp = requestFingerprint('batch', cmd.steps, {
    isolationLevel: tx.isolationLevel ?? '',
    conditions: cmd.steps.map((s) => s.condition ?? null),
  });
  const principal = access.principal;
  ctx.trace?.batch(stmts.length);
  const route = cluster.routeWrite();
  ctx.trace?.routed(route);
  const backend: Backend = route.backend;
  let lease: Lease<DbConnection> | undefined;
  let inTransaction = false;
  let dirty = stmts.some((s) => s.info.sessionState);
  try {
    lease = await backend.acquire(ctx);
    const conn = lease.resource;
    await startTransaction(backend, conn, tx.isolationLevel, false, ctx);
    inTransaction = true;
    try {
      await store.insertRunning(conn, principal, key, fp, ctx);
    } catch (err) {
      const e = GatewayError.from(err);
      if (e.mysqlErrno !== ER_DUP_ENTRY) throw e;
      await rollbackOn(backend, conn, ctx.trace);
      inTransaction = false;
      const rec = await store.find(conn, principal, key, ctx);
      if (!rec)
        throw errors.unavailable(
          'IDEMPOTENCY_KEY_CONTENDED',
          'the idempotency key kept changing hands; retry',
        );
      if (rec.fingerprint !== fp) {
        throw errors.failedPrecondition(
          'IDEMPOTENCY_KEY_REUSED',
          'this idempotency key was already used for a different request (other SQL, params or options): use a new key per logical operation',
        );
      }
      return await replay(store, conn, rec, true, ctx);
    }
    const results = await runSteps(runner, limits, backend, conn, stmts, cmd, ctx);
    if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
    if (results.tracker.commitDecision() !== 'commit') {
      // Rolled back: the key row goes with it, so a retry runs again.
      await rollbackOn(backend, conn, ctx.trace);
      inTransaction = false;
      return {
        results: results.outcomes,
        committed: false,
        consistencyToken: '',
        backend: backend.name,
        replayed: false,
      };
    }
    const outcome: BatchOutcome = {
      results: results.outcomes,
      committed: true,
      consistencyToken: '',
      backend: backend.name,
    };
    await store.complete(conn, principal, key, NO_TOTALS, serializeBatchOutcome(outcome), ctx);
    // Whatever COMMIT answers, the transaction is over: nothing is left to roll back.
    inTransaction = false;
    const done = await commitOn(backend, conn, ctx, "the batch's commit");
    if (done.lost) {
      cluster.reportConnectionError(backend, done.cause);
      endLease(lease, true);
      lease = undefined;
      return await resolveCommit(store, principal, key, fp, done.cause, ctx, (c, rec) =>
        replay(store, c, rec, false, ctx),
      );
    }
    const token = done.token;
    if (token) await store.setToken(conn, principal, key, token, ctx).catch(() => {});
    return { ...outcome, consistencyToken: token, replayed: false };
  } catch (err) {
    const e = GatewayError.from(err);
    if (isConnectionFailure(e)) cluster.reportConnectionError(backend, e);
    if (lease && inTransaction) await rollbackOn(backend, lease.resource, ctx.trace);
    dirty = true;
    throw e;
  } finally {
    if (lease) endLease(lease, dirty);
  }
}
