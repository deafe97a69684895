/**
 * Batch: many statements in one call, in order, on ONE leased connection, optionally inside one
 * transaction, each step guarded by a condition on the outcomes of earlier steps
 * (batch-conditions.ts). Statements go to MySQL one after another on that connection with no
 * round trip to the client in between; rows come back inside the one response, bounded in rows
 * and bytes.
 *
 * Before anything runs, the whole batch is checked: the step count, every statement (the same
 * refusals as Query and Execute), every condition, the caller's cluster and write permission for
 * each step, and its request budget (every step counts). A step's failure is then answered in its
 * result; the call itself fails only for call-level problems (deadline, cancel, a backend that
 * cannot be reached before the first step, a commit whose outcome is unknown).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import { ConditionTracker, validateConditions } from './batch-conditions.js';
import type { BatchCommand, BatchOutcome, BatchStepOutcome, Caller } from './commands.js';
import { acquireForRead, readRequest } from './single-statement.js';
import type { CheckedStatement } from './statement.js';
import {
  commitOn,
  endLease,
  isConnectionFailure,
  rollbackOn,
  type StatementRunner,
  startTransaction,
} from './statement-runner.js';

/** Bounds of one Batch call (config `limits`). */
export interface BatchCallLimits {
  /** Most steps in one batch. */
  readonly maxBatchSteps: number;
  /** Most rows all the steps of a batch may return together. */
  readonly maxBatchResponseRows: number;
  /** Most encoded row bytes all the steps of a batch may return together. */
  readonly maxBatchResponseBytes: number;
}

/** The reason of the in-band error of a step whose rows would pass the response's bounds. */
export const BATCH_RESPONSE_LIMIT = 'BATCH_RESPONSE_LIMIT';

/** Checks the whole batch before anything runs; returns the checked statements. */
export function checkBatch(
  runner: StatementRunner,
  limits: BatchCallLimits,
  cmd: BatchCommand,
  caller: Caller,
  cluster: string,
): CheckedStatement[] {
  const { access } = caller;
  if (cmd.steps.length === 0) throw errors.invalidArgument('EMPTY_BATCH', 'the batch has no steps');
  if (cmd.steps.length > limits.maxBatchSteps) {
    throw errors.invalidArgument(
      'TOO_MANY_STEPS',
      `${cmd.steps.length} steps exceed the limit of ${limits.maxBatchSteps} (limits.maxBatchSteps)`,
    );
  }
  access.useCluster(cluster);
  const place = cmd.transaction ? 'transaction' : 'query';
  const stmts = cmd.steps.map((step, i) => {
    try {
      return runner.check(step.sql, step.params, place);
    } catch (err) {
      const e = GatewayError.from(err);
      throw new GatewayError(e.code, e.reason, `batch step ${i}: ${e.message}`, { cause: e });
    }
  });
  validateConditions(cmd.steps.map((s) => s.condition));
  if (cmd.transaction && !cmd.transaction.readOnly) access.write('a read-write batch transaction');
  stmts.forEach((stmt, i) => {
    if (!stmt.info.readOnly) access.write(`batch step ${i} (a statement not proven read-only)`);
  });
  // The call was counted when it was admitted; every further step counts too.
  for (let i = 1; i < stmts.length; i++) access.request();
  return stmts;
}

/** Runs a Batch; resolves with one outcome per step. */
export async function runBatch(
  clusters: ClusterRegistry,
  runner: StatementRunner,
  limits: BatchCallLimits,
  cmd: BatchCommand,
  caller: Caller,
): Promise<BatchOutcome> {
  const { ctx } = caller;
  const cluster = clusters.get(cmd.cluster);
  const stmts = checkBatch(runner, limits, cmd, caller, cluster.name);
  ctx.trace?.batch(stmts.length);
  const tx = cmd.transaction;
  const readOnly = tx ? tx.readOnly : stmts.every((s) => s.info.readOnly);
  const route = readOnly ? cluster.routeRead(readRequest(true, cmd)) : cluster.routeWrite();
  ctx.trace?.routed(route);
  let backend: Backend;
  let lease: Lease<DbConnection>;
  try {
    ({ backend, lease } = readOnly
      ? await acquireForRead(cluster, route, cmd.consistencyToken, ctx)
      : { backend: route.backend, lease: await route.backend.acquire(ctx) });
  } catch (err) {
    const e = GatewayError.from(err);
    if (isConnectionFailure(e)) cluster.reportConnectionError(route.backend, e);
    throw e;
  }
  let dirty = stmts.some((s) => s.info.sessionState);
  const conn = lease.resource;
  try {
    if (tx) {
      try {
        await startTransaction(backend, conn, tx.isolationLevel, tx.readOnly, ctx);
      } catch (err) {
        const e = GatewayError.from(err);
        if (isConnectionFailure(e)) cluster.reportConnectionError(backend, e);
        throw e;
      }
    }
    const results = await runSteps(runner, limits, backend, conn, stmts, cmd, ctx);
    if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
    let committed = false;
    let token = '';
    for (const r of results.outcomes) {
      if (r.kind === 'executed' && r.totals.consistencyToken) token = r.totals.consistencyToken;
    }
    if (tx) {
      if (results.tracker.commitDecision() === 'commit') {
        const done = await commitOn(backend, conn, ctx, "the batch's commit");
        if (done.lost) throw done.unknown;
        token = done.token;
        committed = true;
      } else {
        await rollbackOn(backend, conn, ctx.trace);
      }
    }
    return { results: results.outcomes, committed, consistencyToken: token, backend: backend.name };
  } catch (err) {
    if (tx) await rollbackOn(backend, conn, ctx.trace);
    dirty = true;
    throw err;
  } finally {
    endLease(lease, dirty);
  }
}

/** Runs the checked steps in order on `conn`, each guarded by its condition. */
export async function runSteps(
  runner: StatementRunner,
  limits: BatchCallLimits,
  backend: Backend,
  conn: DbConnection,
  stmts: readonly CheckedStatement[],
  cmd: BatchCommand,
  ctx: StatementContext,
): Promise<{ outcomes: BatchStepOutcome[]; tracker: ConditionTracker }> {
  const tracker = new ConditionTracker(cmd.steps.map((s) => s.condition));
  const outcomes: BatchStepOutcome[] = [];
  let rowsLeft = limits.maxBatchResponseRows;
  let bytesLeft = limits.maxBatchResponseBytes;
  for (let i = 0; i < stmts.length; i++) {
    if (!tracker.shouldRun() || conn.broken) {
      tracker.record('skipped');
      outcomes.push({ kind: 'skipped' });
      continue;
    }
    const stmt = stmts[i] as CheckedStatement;
    const started = process.hrtime.bigint();
    // The response's bounds are the step's, unless the configured per-query ones are tighter.
    const perQuery = runner.limits;
    const rowsBound = perQuery.maxRowsPerQuery > 0 && perQuery.maxRowsPerQuery < rowsLeft;
    const bytesBound = perQuery.maxBytesPerQuery > 0 && perQuery.maxBytesPerQuery < bytesLeft;
    try {
      const step = await runner.runStep(
        backend,
        conn,
        stmt,
        {
          maxRowsPerBatch: perQuery.maxRowsPerBatch,
          maxBatchBytes: perQuery.maxBatchBytes,
          // 0 would mean "unlimited" there: the smallest positive bound lets no row through.
          maxRowsPerQuery: rowsBound ? perQuery.maxRowsPerQuery : Math.max(rowsLeft, Number.MIN_VALUE),
          maxBytesPerQuery: bytesBound ? perQuery.maxBytesPerQuery : Math.max(bytesLeft, Number.MIN_VALUE),
        },
        ctx,
      );
      const elapsedUs = (process.hrtime.bigint() - started) / 1000n;
      if (step.kind === 'rows') {
        rowsLeft -= step.totals.rowCount;
        bytesLeft -= step.totals.bytes;
        outcomes.push({ ...step, elapsedUs });
      } else {
        outcomes.push({ kind: 'executed', totals: step.totals, elapsedUs });
      }
      tracker.record('ok');
    } catch (err) {
      // The caller left or the deadline passed: the whole call ends (the statement was killed).
      if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
      let e = GatewayError.from(err);
      if ((e.reason === 'ROW_LIMIT' && !rowsBound) || (e.reason === 'BYTE_LIMIT' && !bytesBound)) {
        e = errors.resourceExhausted(
          BATCH_RESPONSE_LIMIT,
          `batch step ${i}: the batch's rows would pass the response limit of ` +
            `${limits.maxBatchResponseRows} rows or ${limits.maxBatchResponseBytes} bytes ` +
            '(limits.maxBatchResponseRows, limits.maxBatchResponseBytes); use Query for large results',
        );
      }
      // Without a transaction MySQL rolled back only this autocommitted statement: there is no
      // batch transaction to report as rolled back, and a later error(N) step may handle it.
      if (e.transactionRolledBack && !cmd.transaction) e = statementRolledBack(e);
      outcomes.push({ kind: 'error', error: e });
      tracker.record('error');
      // MySQL rolled the transaction back, the connection is gone, or the response is full:
      // nothing later can run as the caller meant it.
      if (e.transactionRolledBack || conn.broken || e.reason === BATCH_RESPONSE_LIMIT) tracker.endBatch();
    }
  }
  return { outcomes, tracker };
}

/** `e` without `transactionRolledBack`: the error of an autocommitted step whose statement MySQL rolled back. */
function statementRolledBack(e: GatewayError): GatewayError {
  return new GatewayError(e.code, e.reason, e.message, {
    mysqlErrno: e.mysqlErrno,
    sqlState: e.sqlState,
    cause: e,
    mayHaveExecuted: e.mayHaveExecuted,
  });
}
