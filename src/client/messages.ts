/**
 * The contract's messages as the client sends and receives them (proto-loader objects:
 * snake_case fields, 64-bit integers as decimal strings, enums as names, unset fields absent),
 * and their decoding into the camelCase shapes the client hands out (pure functions).
 */
import type { StatementErrorMessage } from './errors.js';
import { decodeInteger, type WireValue, type WireValueIn } from './values.js';

/** `Column` as received. */
export interface WireColumnIn {
  readonly name?: string;
  readonly org_name?: string;
  readonly table?: string;
  readonly org_table?: string;
  readonly schema?: string;
  readonly type?: string;
  readonly type_name?: string;
  readonly unsigned?: boolean;
  readonly nullable?: boolean;
  readonly binary?: boolean;
  readonly length?: number;
  readonly decimals?: number;
  readonly charset?: number;
  readonly flags?: number;
}

/** `Row` as received. */
export interface WireRowIn {
  readonly values?: readonly WireValueIn[];
}

/** `QueryStats` as received. */
export interface WireStatsIn {
  readonly row_count?: string;
  readonly warning_count?: number;
  readonly backend?: string;
  readonly elapsed_us?: string;
  readonly backend_role?: string;
}

/** `ExecuteResponse` as received. */
export interface WireExecuteIn {
  readonly affected_rows?: string;
  readonly last_insert_id?: string;
  readonly warning_count?: number;
  readonly info?: string;
  readonly consistency_token?: string;
  readonly backend?: string;
  readonly elapsed_us?: string;
  readonly replayed?: boolean;
}

/** `QueryResponse` as received. */
export interface QueryResponseIn {
  readonly metadata?: { readonly columns?: readonly WireColumnIn[] };
  readonly rows?: { readonly rows?: readonly WireRowIn[] };
  readonly stats?: WireStatsIn;
  /** A whole small result in one message (the request set `accept_single_message`). */
  readonly result?: QueryResultIn;
}

/** `QueryResult` as received: a whole small result. */
export interface QueryResultIn {
  readonly metadata?: { readonly columns?: readonly WireColumnIn[] };
  readonly rows?: { readonly rows?: readonly WireRowIn[] };
  readonly stats?: WireStatsIn;
}

/** `TransactionResponse` as received. */
export interface TransactionResponseIn extends QueryResponseIn {
  readonly request_id?: string;
  readonly begun?: { readonly backend?: string; readonly connection_id?: string };
  readonly done?: WireStatsIn;
  readonly executed?: WireExecuteIn;
  readonly committed?: { readonly consistency_token?: string };
  readonly rolled_back?: object;
  readonly error?: StatementErrorMessage;
  /** A whole small query result (the Statement set `accept_single_message`). */
  readonly query_result?: QueryResultIn;
  readonly replayed?: WireReplayedIn;
}

/** `TransactionReplayed` as received. */
export interface WireReplayedIn {
  readonly backend?: string;
  readonly connection_id?: string;
  readonly previous_connection_id?: string;
  readonly statements?: number;
  readonly elapsed_us?: string;
}

/** The gateway replayed a transaction on a new connection after losing its own (`BeginRequest.replay`). */
export interface TransactionReplay {
  /** Backend the transaction now runs on, `host:port`. */
  readonly backend: string;
  /** MySQL connection id of the new connection (decimal text). */
  readonly connectionId: string;
  /** MySQL connection id of the lost connection (decimal text). */
  readonly previousConnectionId: string;
  /** Statements re-run, with results equal to the first run. */
  readonly statements: number;
  /** From noticing the loss to the last statement re-run, µs. */
  readonly elapsedUs: number;
}

/** A received `TransactionReplayed` in the client's shape. */
export function decodeReplayed(r: WireReplayedIn): TransactionReplay {
  return {
    backend: r.backend ?? '',
    connectionId: r.connection_id ?? '',
    previousConnectionId: r.previous_connection_id ?? '',
    statements: r.statements ?? 0,
    elapsedUs: Number(r.elapsed_us ?? 0),
  };
}

/** `QueryRequest` as sent. */
export interface QueryRequestOut {
  cluster: string;
  sql: string;
  params: WireValue[];
  read_preference?: string;
  max_staleness_ms?: number;
  consistency_token?: string;
  max_rows_per_batch?: number;
  accept_single_message?: boolean;
}

/** `ExecuteRequest` as sent. */
export interface ExecuteRequestOut {
  cluster: string;
  sql: string;
  params: WireValue[];
  idempotency_key?: string;
}

/** `TransactionRequest` as sent. */
export interface TransactionRequestOut {
  request_id: string;
  begin?: {
    cluster: string;
    isolation_level?: string;
    read_only?: boolean;
    idle_timeout_ms?: number;
    replay?: boolean;
  };
  query?: { sql: string; params: WireValue[]; max_rows_per_batch?: number; accept_single_message?: boolean };
  execute?: { sql: string; params: WireValue[] };
  commit?: Record<string, never>;
  rollback?: Record<string, never>;
}

/** `BatchCondition` as sent: exactly one field set. */
export type BatchConditionOut =
  | { ok: number }
  | { error: number }
  | { not: BatchConditionOut }
  | { and: { conditions: BatchConditionOut[] } }
  | { or: { conditions: BatchConditionOut[] } };

/** `BatchStep` as sent. */
export interface BatchStepOut {
  statement: { sql: string; params: WireValue[] };
  condition?: BatchConditionOut;
}

/** `BatchRequest` as sent. */
export interface BatchRequestOut {
  cluster: string;
  steps: BatchStepOut[];
  transaction?: { isolation_level?: string; read_only?: boolean };
  read_preference?: string;
  max_staleness_ms?: number;
  consistency_token?: string;
}

/** `StatementResult` as received. */
export interface WireStatementResultIn {
  readonly metadata?: { readonly columns?: readonly WireColumnIn[] };
  readonly rows?: readonly WireRowIn[];
  readonly stats?: WireStatsIn;
}

/** `BatchStepResult` as received (`outcome` names the member set). */
export interface WireBatchStepResultIn {
  readonly outcome?: string;
  readonly executed?: WireExecuteIn;
  readonly result?: WireStatementResultIn;
  readonly error?: StatementErrorMessage;
  readonly skipped?: object;
}

/** `BatchResponse` as received. */
export interface BatchResponseIn {
  readonly results?: readonly WireBatchStepResultIn[];
  readonly committed?: boolean;
  readonly consistency_token?: string;
  readonly backend?: string;
  readonly elapsed_us?: string;
  readonly replayed?: boolean;
}

/** One result column. */
export interface Column {
  /** Name or alias in the result. */
  readonly name: string;
  /** Name in the table, before aliasing. */
  readonly orgName: string;
  /** Table or table alias. */
  readonly table: string;
  /** Table name before aliasing. */
  readonly orgTable: string;
  /** Schema (database). */
  readonly schema: string;
  /** Wire type without the `COLUMN_TYPE_` prefix, e.g. `LONGLONG`, `NEWDECIMAL`, `VAR_STRING`. */
  readonly type: string;
  /** Type as MySQL spells it, e.g. `BIGINT UNSIGNED`, `DECIMAL`, `JSON`. */
  readonly typeName: string;
  /** UNSIGNED numeric column. */
  readonly unsigned: boolean;
  /** May hold NULL. */
  readonly nullable: boolean;
  /** Values arrive as bytes (`Buffer`). */
  readonly binary: boolean;
  /** Display length. */
  readonly length: number;
  /** Digits after the point (DECIMAL, fractional seconds). */
  readonly decimals: number;
  /** Character set / collation number. */
  readonly charset: number;
  /** Raw MySQL column flags. */
  readonly flags: number;
}

/** Totals of a finished query (`QueryStats`). */
export interface QueryStats {
  /** Rows streamed. */
  readonly rowCount: number;
  /** Warnings the statement raised. */
  readonly warningCount: number;
  /** Backend that served it, `host:port`. */
  readonly backend: string;
  /** `primary` or `replica`. */
  readonly backendRole: string;
  /** Time at the gateway from the request's arrival to the last row, in microseconds. */
  readonly elapsedUs: number;
}

/** The outcome of {@link GatewayClient.execute} (`ExecuteResponse`). */
export interface ExecuteResult {
  /** Rows changed (or matched, per the server's CLIENT_FOUND_ROWS setting). */
  readonly affectedRows: number | bigint;
  /** AUTO_INCREMENT value generated by the statement, 0 if none; a bigint above 2^53-1. */
  readonly lastInsertId: number | bigint;
  /** Warnings the statement raised. */
  readonly warningCount: number;
  /** The server's info string, e.g. `Rows matched: 1  Changed: 1  Warnings: 0`. */
  readonly info: string;
  /** Pass as `consistencyToken` to a later query to read this write; '' when unknown. */
  readonly consistencyToken: string;
  /** Backend that ran the statement, `host:port`. */
  readonly backend: string;
  /** Time at the gateway from the request's arrival to the answer, in microseconds. */
  readonly elapsedUs: number;
  /**
   * The recorded outcome of an earlier call with the same `idempotencyKey`: the statement did
   * not run again (inside a transaction or a batch: always false).
   */
  readonly replayed: boolean;
}

/** A received `Column` in the client's shape. */
export function decodeColumn(c: WireColumnIn): Column {
  return {
    name: c.name ?? '',
    orgName: c.org_name ?? '',
    table: c.table ?? '',
    orgTable: c.org_table ?? '',
    schema: c.schema ?? '',
    type: (c.type ?? 'COLUMN_TYPE_UNSPECIFIED').replace(/^COLUMN_TYPE_/, ''),
    typeName: c.type_name ?? '',
    unsigned: c.unsigned ?? false,
    nullable: c.nullable ?? false,
    binary: c.binary ?? false,
    length: c.length ?? 0,
    decimals: c.decimals ?? 0,
    charset: c.charset ?? 0,
    flags: c.flags ?? 0,
  };
}

/** A received `QueryStats` in the client's shape. */
export function decodeStats(s: WireStatsIn): QueryStats {
  return {
    rowCount: Number(s.row_count ?? 0),
    warningCount: s.warning_count ?? 0,
    backend: s.backend ?? '',
    backendRole: s.backend_role ?? '',
    elapsedUs: Number(s.elapsed_us ?? 0),
  };
}

/** A received `ExecuteResponse` in the client's shape. */
export function decodeExecute(e: WireExecuteIn): ExecuteResult {
  return {
    affectedRows: decodeInteger(e.affected_rows ?? '0'),
    lastInsertId: decodeInteger(e.last_insert_id ?? '0'),
    warningCount: e.warning_count ?? 0,
    info: e.info ?? '',
    consistencyToken: e.consistency_token ?? '',
    backend: e.backend ?? '',
    elapsedUs: Number(e.elapsed_us ?? 0),
    replayed: e.replayed === true,
  };
}
