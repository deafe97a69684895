/**
 * Running one statement on a leased connection, the part every session shape shares (single
 * statements, transactions, batches): check it, stream its rows through a {@link ResultBatcher}
 * into a sink, or read its OK packet; and hand the connection back afterwards (reset when the
 * statement could have changed session state, destroyed when its state is unknown).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { StatementInfo } from '../sql/classify.js';
import type { WireValue } from '../sql/values.js';
import type { CallTrace } from '../telemetry/call-trace.js';
import type {
  ExecuteTotals,
  IsolationLevel,
  QueryTotals,
  ResultColumn,
  ResultSink,
  RowBatchEncoder,
  SqlParam,
} from './commands.js';
import { type BatchLimits, ResultBatcher } from './result-stream.js';
import {
  type CheckedStatement,
  checkStatement,
  type StatementLimits,
  type StatementPlace,
} from './statement.js';

/** Limits that apply to statements (config `limits`). */
export interface SessionLimits extends StatementLimits, BatchLimits {
  /** Rows per result batch when the caller does not choose. */
  readonly defaultRowsPerBatch: number;
}

/** The OK packet fields the gateway reads. */
export interface OkHeader {
  affectedRows?: number;
  insertId?: number | string | bigint;
  warningStatus?: number;
  info?: string;
  stateChanges?: { systemVariables?: Record<string, string>; gtids?: string[] };
}

/** The GTID a write produced, from session tracking (MariaDB `last_gtid`, MySQL own GTIDs). */
export function consistencyTokenOf(header: OkHeader | undefined): string {
  const changes = header?.stateChanges;
  return changes?.systemVariables?.last_gtid || changes?.gtids?.join(',') || '';
}

/** Maps an OK packet to {@link ExecuteTotals}. */
export function headerTotals(header: OkHeader | undefined, backend: string): ExecuteTotals {
  return {
    affectedRows: header?.affectedRows ?? 0,
    lastInsertId: String(header?.insertId ?? 0),
    warningCount: header?.warningStatus ?? 0,
    info: header?.info ?? '',
    backend,
    consistencyToken: consistencyTokenOf(header),
  };
}

/** Returns a lease: destroyed when the connection broke or was poisoned, else reset if `dirty`. */
export function endLease(lease: Lease<DbConnection>, dirty: boolean): void {
  const conn = lease.resource;
  if (conn.broken) lease.destroy(conn.brokenCause);
  else lease.release({ reset: dirty });
}

/** Clamps a caller's batch size request (0 = default) to the configured bounds. */
export function batchLimits(limits: SessionLimits, requested: number): BatchLimits {
  const rows = requested > 0 ? Math.min(requested, limits.maxRowsPerBatch) : limits.defaultRowsPerBatch;
  return {
    maxRowsPerBatch: rows,
    maxBatchBytes: limits.maxBatchBytes,
    maxRowsPerQuery: limits.maxRowsPerQuery,
    maxBytesPerQuery: limits.maxBytesPerQuery,
  };
}

/** Connection-level failures: worth telling the health monitor, and safe to retry for reads. */
export function isConnectionFailure(e: GatewayError): boolean {
  return (
    e.code === Code.UNAVAILABLE &&
    (e.reason === 'BACKEND_UNAVAILABLE' ||
      e.reason === 'CONNECTION_KILLED' ||
      e.reason === 'BACKEND_SHUTTING_DOWN')
  );
}

/** The rollback statement, sent whatever the call's state. */
const ROLLBACK = { sql: 'ROLLBACK', params: [] } as const;

/** A signal that never fires (statements that must run even after the caller left). */
const NEVER_ABORTED = new AbortController().signal;

/**
 * Starts a transaction on `conn`: the isolation level for the next transaction when one is
 * given, then START TRANSACTION (READ ONLY).
 */
export async function startTransaction(
  backend: Backend,
  conn: DbConnection,
  isolationLevel: IsolationLevel | undefined,
  readOnly: boolean,
  ctx: StatementContext,
): Promise<void> {
  if (isolationLevel) {
    const sql = `SET TRANSACTION ISOLATION LEVEL ${isolationLevel}`;
    await backend.run(conn, { sql, params: [] }, undefined, ctx);
  }
  const start = readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION';
  await backend.run(conn, { sql: start, params: [] }, undefined, ctx);
}

/**
 * Rolls back on `conn`, whatever the caller's signal and deadline (the rollback must happen even
 * when the caller has gone). A connection that cannot roll back is poisoned, so its lease holder
 * destroys it and the server rolls back on disconnect.
 */
export async function rollbackOn(
  backend: Backend,
  conn: DbConnection,
  trace: CallTrace | undefined,
): Promise<void> {
  if (conn.broken) return;
  try {
    await backend.run(conn, ROLLBACK, undefined, { signal: NEVER_ABORTED, trace });
  } catch (err) {
    conn.poison(err);
  }
}

/** What {@link commitOn} saw: committed (with the COMMIT's consistency token), or the connection lost during it. */
export type CommitOutcome =
  | { readonly lost: false; readonly token: string }
  | {
      readonly lost: true;
      /** The connection failure, for the health monitor and a resolution's cause. */
      readonly cause: GatewayError;
      /** UNAVAILABLE `COMMIT_OUTCOME_UNKNOWN` (`mayHaveExecuted`): the answer when nothing resolves it. */
      readonly unknown: GatewayError;
    };

/**
 * Sends COMMIT on `conn` (never re-sent). An error that leaves the connection usable (the server
 * refused the COMMIT) is thrown as is; a connection lost during it, broken or failing with a
 * connection error, is returned as `lost`: whether MySQL committed is then unknown, and a keyed
 * caller resolves it on a fresh connection (idempotency-execute.ts `resolveCommit`). `what` names
 * the commit in the unknown outcome's message ("commit", "the batch's commit").
 */
export async function commitOn(
  backend: Backend,
  conn: DbConnection,
  ctx: StatementContext,
  what = 'commit',
): Promise<CommitOutcome> {
  try {
    const outcome = await backend.run(conn, { sql: 'COMMIT', params: [] }, undefined, ctx);
    return { lost: false, token: consistencyTokenOf(outcome.header as OkHeader | undefined) };
  } catch (err) {
    const e = GatewayError.from(err);
    if (!conn.broken && !isConnectionFailure(e)) throw e;
    const unknown = new GatewayError(
      Code.UNAVAILABLE,
      'COMMIT_OUTCOME_UNKNOWN',
      `connection lost during ${what}: the outcome is unknown (${e.message})`,
      { cause: e, mayHaveExecuted: true },
    );
    return { lost: true, cause: e, unknown };
  }
}

/** `inner`, showing each row's values to `tap` before encoding them. */
function tappedRowBatch(
  inner: RowBatchEncoder,
  tap: (values: readonly WireValue[]) => void,
): RowBatchEncoder {
  return {
    add: (values) => {
      tap(values);
      return inner.add(values);
    },
    get count() {
      return inner.count;
    },
    get byteLength() {
      return inner.byteLength;
    },
    take: () => inner.take(),
    discard: () => inner.discard(),
  };
}

/** Checks and runs statements; one per gateway, shared by every session. */
export class StatementRunner {
  constructor(
    /** Statement and result limits. */
    readonly limits: SessionLimits,
    /** Classifies SQL text (a cached `StatementClassifier` in the gateway). */
    private readonly classify: (sql: string) => StatementInfo,
    /** A new row batch encoder for each streamed result (the wire's, injected by the server). */
    private readonly newRowBatch: () => RowBatchEncoder,
    /** A new row collector for each batch step's rows (the wire's, injected by the server). */
    private readonly collectRows: () => RowBatchEncoder,
  ) {}

  /** Validates a statement for `place`; throws a {@link GatewayError} naming what is wrong. */
  check(sql: string, params: readonly SqlParam[], place: StatementPlace): CheckedStatement {
    return checkStatement(sql, params, this.limits, place, this.classify);
  }

  /**
   * Runs a result-producing statement on `conn`, streaming its rows into `sink` in batches of
   * at most `maxRowsPerBatch` rows (0 = default) with flow control down to the MySQL socket.
   * `tap`, when given, sees each row's values as they are encoded (a replayable transaction
   * checksums them).
   */
  async streamRows(
    backend: Backend,
    conn: DbConnection,
    stmt: CheckedStatement,
    sink: ResultSink,
    maxRowsPerBatch: number,
    ctx: StatementContext,
    tap?: (values: readonly WireValue[]) => void,
  ): Promise<QueryTotals> {
    const batcher = new ResultBatcher(
      conn,
      sink,
      tap ? tappedRowBatch(this.newRowBatch(), tap) : this.newRowBatch(),
      batchLimits(this.limits, maxRowsPerBatch),
      (err) => backend.abortStatement(conn, err),
    );
    try {
      const outcome = await backend.run(conn, stmt, batcher, ctx);
      batcher.finish();
      ctx.trace?.streamed(backend, outcome.rowCount, batcher.bytes);
      return {
        rowCount: outcome.rowCount,
        warningCount: outcome.header?.warningStatus ?? 0,
        backend: backend.name,
        backendRole: backend.role,
        bytes: batcher.bytes,
      };
    } catch (err) {
      batcher.discard();
      throw batcher.failure ?? err;
    }
  }

  /**
   * Runs a batch step on `conn`: a result-producing statement's columns and every row (collected
   * by a {@link RowBatchEncoder} from `collectRows`, within `limits`), or the totals of a statement
   * without rows.
   */
  async runStep(
    backend: Backend,
    conn: DbConnection,
    stmt: CheckedStatement,
    limits: BatchLimits,
    ctx: StatementContext,
  ): Promise<
    | { kind: 'rows'; columns: readonly ResultColumn[]; rows: unknown[]; totals: QueryTotals }
    | { kind: 'executed'; totals: ExecuteTotals }
  > {
    let columns: readonly ResultColumn[] | undefined;
    const rows: unknown[] = [];
    const sink: ResultSink = {
      columns: (c) => {
        columns = c;
      },
      rows: (batch) => {
        rows.push(batch);
        return true;
      },
      onceDrain: () => {},
    };
    const batcher = new ResultBatcher(conn, sink, this.collectRows(), limits, (err) =>
      backend.abortStatement(conn, err),
    );
    let outcome: Awaited<ReturnType<Backend['run']>>;
    try {
      outcome = await backend.run(conn, stmt, batcher, ctx);
    } catch (err) {
      batcher.discard();
      throw batcher.failure ?? err;
    }
    if (columns === undefined)
      return { kind: 'executed', totals: headerTotals(outcome.header as OkHeader | undefined, backend.name) };
    batcher.finish();
    ctx.trace?.streamed(backend, outcome.rowCount, batcher.bytes);
    return {
      kind: 'rows',
      columns,
      rows,
      totals: {
        rowCount: outcome.rowCount,
        warningCount: outcome.header?.warningStatus ?? 0,
        backend: backend.name,
        backendRole: backend.role,
        bytes: batcher.bytes,
      },
    };
  }

  /** Runs a statement without rows on `conn` and returns its OK packet's totals. */
  async write(
    backend: Backend,
    conn: DbConnection,
    stmt: CheckedStatement,
    ctx: StatementContext,
  ): Promise<ExecuteTotals> {
    const outcome = await backend.run(conn, stmt, undefined, ctx);
    return headerTotals(outcome.header as OkHeader | undefined, backend.name);
  }
}
