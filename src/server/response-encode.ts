/**
 * Session results and errors in proto-loader's object form (snake_case, 64-bit integers as
 * decimal strings), for the messages more than one RPC sends. The hot-path framing of rows and
 * stats is src/wire/response-codec.ts.
 */
import type { GatewayError } from '../errors.js';
import type { ExecuteTotals, QueryTotals, ReplayInfo } from '../session/commands.js';

/** An `ExecuteResponse`. */
export function encodeExecuted(t: ExecuteTotals, elapsedUs: bigint) {
  return {
    affected_rows: String(t.affectedRows),
    last_insert_id: t.lastInsertId,
    warning_count: t.warningCount,
    info: t.info,
    backend: t.backend,
    consistency_token: t.consistencyToken,
    elapsed_us: String(elapsedUs),
    replayed: t.replayed === true,
  };
}

/** A `QueryStats` (Query's last message, a transaction's `done`). */
export function encodeQueryStats(t: QueryTotals, elapsedUs: bigint) {
  return {
    row_count: String(t.rowCount),
    warning_count: t.warningCount,
    backend: t.backend,
    backend_role: t.backendRole,
    elapsed_us: String(elapsedUs),
  };
}

/** A `StatementError`: an error answered in-band (inside a Transaction stream, a Batch step). */
export function encodeStatementError(e: GatewayError) {
  return {
    code: e.code,
    mysql_errno: e.mysqlErrno ?? 0,
    sql_state: e.sqlState ?? '',
    message: e.message,
    reason: e.reason,
    transaction_rolled_back: e.transactionRolledBack,
  };
}

/** A `TransactionReplayed` wire object. */
export function encodeReplayed(info: ReplayInfo): object {
  return {
    backend: info.backend,
    connection_id: String(info.connectionId),
    previous_connection_id: String(info.previousConnectionId),
    statements: info.statements,
    elapsed_us: String(info.elapsedUs),
  };
}
