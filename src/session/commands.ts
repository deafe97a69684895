/**
 * What the session layer takes and reports, in the domain's words: typed commands in (decoded
 * from the wire by `server/`), results and events out (encoded to the wire by `server/`). Nothing
 * here names a protobuf field.
 */
import type { StatementContext } from '../backend/backend.js';
import type { GatewayError } from '../errors.js';
import type { ReadPreference } from '../routing/cluster.js';
import type { WireColumn, WireValue } from '../sql/values.js';
import type { RowPlan } from '../wire/row-encoding.js';
import type { Access } from './access.js';
import type { BatchCondition } from './batch-conditions.js';

/** A statement's parameter: one SQL value, exactly as the caller typed it. */
export type SqlParam = WireValue;

/** A result column, as `sql/columns` compiles it (passed through to the client unchanged). */
export type ResultColumn = WireColumn;

/** Who is calling and for how long: every session operation runs for one caller. */
export interface Caller {
  /** Deadline, abort signal and trace of the call. */
  readonly ctx: StatementContext;
  /** What the caller may do, checked once the cluster and the statement are known. */
  readonly access: Access;
}

/** One SQL statement with its parameters. */
export interface StatementCommand {
  /** One statement with positional `?` placeholders; empty is refused. */
  readonly sql: string;
  /** One value per `?`. */
  readonly params: readonly SqlParam[];
  /** Most rows per result batch; 0 = the gateway default (`limits.defaultRowsPerBatch`). */
  readonly maxRowsPerBatch: number;
}

/** How a read may be routed: read preference, staleness bound and read-your-writes token. */
export interface ReadRouting {
  /** Undefined = the cluster's default. */
  readonly readPreference: ReadPreference | undefined;
  /** Largest replica lag accepted, ms; 0 = the cluster default. */
  readonly maxStalenessMs: number;
  /** A token from an earlier write that the read must see; '' = none. */
  readonly consistencyToken: string;
}

/**
 * The caller's request tag: groups the call's statements in the query digests and labels its
 * spans and logs (the server reports it to the call's trace; the session does not read it).
 */
export interface Tagged {
  /** '' or unset = none. */
  readonly requestTag?: string;
}

/** Query: one result-producing statement, streamed. */
export interface QueryCommand extends StatementCommand, ReadRouting, Tagged {
  /** Named cluster; '' = "default". */
  readonly cluster: string;
}

/** Execute: one statement without rows, in autocommit, on the primary. */
export interface ExecuteCommand extends StatementCommand, Tagged {
  /** Named cluster; '' = "default". */
  readonly cluster: string;
  /**
   * Runs the statement at most once per key (scoped by principal and cluster): a later call with
   * this key answers the recorded outcome. Undefined or '' = none.
   */
  readonly idempotencyKey?: string;
}

/** Transaction isolation levels, as SQL spells them. */
export type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** Opens a transaction. */
export interface BeginCommand extends Tagged {
  /** Named cluster; '' = "default". */
  readonly cluster: string;
  /** Undefined = the server's default. */
  readonly isolationLevel: IsolationLevel | undefined;
  /** START TRANSACTION READ ONLY; may be served by a replica. */
  readonly readOnly: boolean;
  /** Roll back after this long without a request, ms; 0 = the configured default. */
  readonly idleTimeoutMs: number;
  /**
   * Commits the transaction at most once per key (idempotency-transaction.ts): a begin whose key
   * already committed is refused. Read-write only. Undefined or '' = none.
   */
  readonly idempotencyKey?: string;
  /**
   * Replay on a new connection when the pinned one is lost before COMMIT
   * (docs/transaction-replay.md). Undefined or false = the cluster default (`transactions.replay`).
   */
  readonly replay?: boolean;
}

/**
 * One request of a Transaction stream. `id` is the caller's correlation id, echoed on every event
 * that answers it. `invalid` is a request the server could not decode: it is answered like any
 * other request that fails (ending the stream when it came before the transaction began).
 */
export type TransactionCommand = { readonly id: string } & (
  | { readonly kind: 'begin'; readonly begin: BeginCommand }
  | { readonly kind: 'query' | 'execute'; readonly statement: StatementCommand }
  | { readonly kind: 'commit' | 'rollback' }
  | { readonly kind: 'invalid'; readonly error: GatewayError; readonly wasBegin: boolean }
);

/** Totals of a result-producing statement. */
export interface QueryTotals {
  readonly rowCount: number;
  readonly warningCount: number;
  /** Backend that served it ("host:port" unless configured). */
  readonly backend: string;
  readonly backendRole: string;
  /** Encoded row bytes streamed. */
  readonly bytes: number;
}

/** The outcome of a statement without rows. */
export interface ExecuteTotals {
  readonly affectedRows: number;
  /** AUTO_INCREMENT value generated, as decimal text ('0' if none). */
  readonly lastInsertId: string;
  readonly warningCount: number;
  /** The server's info string. */
  readonly info: string;
  readonly backend: string;
  /** GTID of the write (session-tracked), '' when the statement wrote nothing or the server does not say. */
  readonly consistencyToken: string;
  /** A keyed Execute answered from its record: the statement did not run again. Undefined = false. */
  readonly replayed?: boolean;
}

/**
 * Where a result goes: columns once, then encoded row batches with flow control. `Batch` is the
 * encoded form the server's {@link RowBatchEncoder} produces; the session passes it through.
 */
export interface ResultSink<Batch = unknown> {
  /** The result's columns; called exactly once, before any rows. */
  columns(columns: readonly ResultColumn[]): void;
  /** A batch of rows. Returns false when the client's buffer is full. */
  rows(rows: Batch): boolean;
  /** Calls `cb` once the client's buffer has room again. */
  onceDrain(cb: () => void): void;
}

/** Encodes rows for the wire as they arrive (injected by the server; opaque to the session). */
export interface RowBatchEncoder<Batch = unknown> {
  /** Appends one row; returns its encoded size in bytes. */
  add(values: readonly WireValue[]): number;
  /**
   * Appends one row from the driver's cells as `plan` encodes them, without decoding it first
   * (the same bytes as `add` of the decoded row); returns its encoded size. An encoder without
   * it is given decoded rows.
   */
  addCells?(cells: unknown, plan: RowPlan): number;
  /** Rows in the current batch. */
  readonly count: number;
  /** Encoded bytes in the current batch. */
  readonly byteLength: number;
  /** Hands over the current batch and starts a new one. */
  take(): Batch;
  /** Drops the current batch. */
  discard(): void;
}

/** What a transaction replay reports to the client (`TransactionResponse.replayed`). */
export interface ReplayInfo {
  /** Backend the transaction now runs on. */
  readonly backend: string;
  /** MySQL thread id of the new connection. */
  readonly connectionId: number;
  /** MySQL thread id of the lost connection. */
  readonly previousConnectionId: number;
  /** Statements re-run. */
  readonly statements: number;
  /** From noticing the loss to the last statement re-run, µs. */
  readonly elapsedUs: bigint;
}

/**
 * What a Transaction stream reports, in order, per request `id`. The server encodes each event
 * as one response message.
 */
export interface TransactionEvents<Batch = unknown> {
  /** The transaction is open on `backend`, pinned to connection `connectionId`. */
  begun(id: string, backend: string, connectionId: number): void;
  /** A query's columns. */
  columns(id: string, columns: readonly ResultColumn[]): void;
  /** A batch of a query's rows; false when the client's buffer is full. */
  rows(id: string, rows: Batch): boolean;
  /** Calls `cb` once the client's buffer has room again. */
  onceDrain(cb: () => void): void;
  /** A query finished after `elapsedUs` microseconds. */
  done(id: string, totals: QueryTotals, elapsedUs: bigint): void;
  /** A statement without rows finished after `elapsedUs` microseconds. */
  executed(id: string, totals: ExecuteTotals, elapsedUs: bigint): void;
  /** Committed; `consistencyToken` reads the transaction's writes ('' when unknown). */
  committed(id: string, consistencyToken: string): void;
  /** Rolled back at the caller's request. */
  rolledBack(id: string): void;
  /**
   * The transaction was replayed on a new connection after losing its own; the next event's
   * response carries `info`.
   */
  replayed(info: ReplayInfo): void;
  /** The request failed; the transaction stays open unless `err.transactionRolledBack`. */
  failed(id: string, err: GatewayError): void;
  /** The stream ends: OK without `err`, else with its status. Called exactly once. */
  end(err?: GatewayError): void;
  /** Stop reading requests (too many queued). */
  pauseInput(): void;
  /** Read requests again. */
  resumeInput(): void;
}

/** One step of a Batch: a statement and when it runs (`undefined`: when every earlier failure is handled). */
export interface BatchStepCommand {
  readonly sql: string;
  readonly params: readonly SqlParam[];
  readonly condition: BatchCondition | undefined;
}

/** Batch: many statements on one connection, optionally in one transaction. */
export interface BatchCommand extends ReadRouting, Tagged {
  /** Named cluster; '' = "default". */
  readonly cluster: string;
  readonly steps: readonly BatchStepCommand[];
  /** Set: every step in one transaction with these options; unset: each step autocommits. */
  readonly transaction: Omit<BeginCommand, 'cluster' | 'idleTimeoutMs'> | undefined;
  /**
   * Commits the batch at most once per key (needs `transaction`); a later call with this key
   * answers the recorded outcome. Undefined or '' = none.
   */
  readonly idempotencyKey?: string;
}

/** What became of one batch step. `Rows` is the collected rows' form (the server's encoder's). */
export type BatchStepOutcome<Rows = unknown> =
  | { readonly kind: 'executed'; readonly totals: ExecuteTotals; readonly elapsedUs: bigint }
  | {
      readonly kind: 'rows';
      readonly columns: readonly ResultColumn[];
      /** The row batches, in order. */
      readonly rows: readonly Rows[];
      readonly totals: QueryTotals;
      readonly elapsedUs: bigint;
    }
  | { readonly kind: 'error'; readonly error: GatewayError }
  | { readonly kind: 'skipped' };

/** The outcome of a Batch. */
export interface BatchOutcome<Rows = unknown> {
  /** One per step, in order. */
  readonly results: readonly BatchStepOutcome<Rows>[];
  /** With a transaction: whether it committed. */
  readonly committed: boolean;
  /** Read-your-writes token of the batch's last write ('' when none or unknown). */
  readonly consistencyToken: string;
  /** Backend that ran the batch. */
  readonly backend: string;
  /** A keyed batch answered from its record: nothing ran again. Undefined = false. */
  readonly replayed?: boolean;
}
