/**
 * The client's one error type. Every failure a client call reports is a
 * {@link GatewayClientError}: a gRPC status ended the call (the gateway's structured trailers
 * become fields), a statement inside a transaction failed in-band (`StatementError`), or the
 * client refused something before sending it (a parameter it cannot encode, an unknown option).
 *
 * Branch on `code` / `codeName`, `reason`, `mysqlErrno` and `sqlState`, never on the message.
 */
import { type Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { Code } from '../errors.js';

/** gRPC status codes by name (the wire numbers, identical to `@grpc/grpc-js` `status`): the gateway's own table. */
export const StatusCode = Code;

/** The trailing metadata keys the gateway sets on failed calls. */
export const TRAILER = {
  errno: 'mysql-errno',
  sqlState: 'mysql-sqlstate',
  reason: 'gateway-reason',
  consistencyToken: 'x-consistency-token',
} as const;

/** Name of a gRPC status code number, e.g. 6 → `ALREADY_EXISTS`; `UNKNOWN` for other numbers. */
export function statusCodeName(code: number): string {
  const name = (GrpcStatus as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : 'UNKNOWN';
}

/** Fields of a {@link GatewayClientError} besides its code. */
export interface GatewayClientErrorInit {
  /** Stable machine-readable reason (the `gateway-reason` trailer). @default the code's name */
  readonly reason?: string;
  /** MySQL/MariaDB error number (`mysql-errno`). */
  readonly mysqlErrno?: number | undefined;
  /** SQLSTATE (`mysql-sqlstate`). */
  readonly sqlState?: string | undefined;
  /** MySQL rolled the surrounding transaction back (deadlock and the like). @default false */
  readonly transactionRolledBack?: boolean;
  /** The error ended a transaction after its commit request had been sent. @default false */
  readonly commitAttempted?: boolean;
  /** The batch step (0-based) whose in-band error this is. */
  readonly batchStep?: number | undefined;
  /** The call's trailing metadata, when a status ended it. */
  readonly metadata?: Metadata | undefined;
  /** A consistency token the error carries (the `x-consistency-token` trailer). @default '' */
  readonly consistencyToken?: string;
  /** What caused it (the grpc-js error, an AbortSignal's reason ...). */
  readonly cause?: unknown;
}

/** The in-band `StatementError` of a Transaction stream, as proto-loader decodes it. */
export interface StatementErrorMessage {
  readonly code?: number;
  readonly mysql_errno?: number;
  readonly sql_state?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly transaction_rolled_back?: boolean;
}

/** A failed gateway call, statement or client-side check. */
export class GatewayClientError extends Error {
  override readonly name = 'GatewayClientError';
  /** gRPC status code number, e.g. 4. */
  readonly code: number;
  /** gRPC status code name, e.g. `DEADLINE_EXCEEDED`. */
  readonly codeName: string;
  /** Stable machine-readable reason from the `gateway-reason` trailer, e.g. `DUPLICATE_KEY`. */
  readonly reason: string;
  /** MySQL/MariaDB errno, when the error came from the database. */
  readonly mysqlErrno: number | undefined;
  /** SQLSTATE, when the error came from the database. */
  readonly sqlState: string | undefined;
  /** The server's human-readable message (the status details), without the code prefix. */
  readonly details: string;
  /**
   * Set on the in-band error of a transaction statement after which MySQL rolled the whole
   * transaction back (a deadlock): the stream then ends ABORTED.
   */
  readonly transactionRolledBack: boolean;
  /**
   * The transaction's commit request had been sent when this error ended it: the commit may
   * have happened, so {@link withRetry} never retries such an error.
   */
  readonly commitAttempted: boolean;
  /** The batch step (0-based) whose in-band error this is; undefined outside a batch's results. */
  readonly batchStep: number | undefined;
  /** Trailing metadata of the call, when a status ended it. */
  readonly metadata: Metadata | undefined;
  /**
   * The consistency token an error carries ('' when none): on ALREADY_EXISTS
   * `TRANSACTION_ALREADY_COMMITTED`, the commit of the transaction that holds the key.
   */
  readonly consistencyToken: string;

  constructor(code: number, details: string, init: GatewayClientErrorInit = {}) {
    const codeName = statusCodeName(code);
    super(`${codeName}: ${details}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.codeName = codeName;
    this.reason = init.reason || codeName;
    this.mysqlErrno = init.mysqlErrno;
    this.sqlState = init.sqlState;
    this.details = details;
    this.transactionRolledBack = init.transactionRolledBack ?? false;
    this.commitAttempted = init.commitAttempted ?? false;
    this.batchStep = init.batchStep;
    this.metadata = init.metadata;
    this.consistencyToken = init.consistencyToken ?? '';
  }

  /**
   * Normalizes anything caught: a GatewayClientError as is, a grpc-js `ServiceError` (an
   * object with a numeric `code` and `metadata`) from its status and trailers, anything else
   * as UNKNOWN with the original in `cause`.
   */
  static from(err: unknown): GatewayClientError {
    if (err instanceof GatewayClientError) return err;
    const e = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
    if (typeof e.code === 'number' && isMetadata(e.metadata)) {
      const md = e.metadata;
      const errno = Number(trailer(md, TRAILER.errno));
      const details = typeof e.details === 'string' ? e.details : String(e.message ?? '');
      return new GatewayClientError(e.code, details, {
        reason: trailer(md, TRAILER.reason),
        mysqlErrno: Number.isInteger(errno) && errno > 0 ? errno : undefined,
        sqlState: trailer(md, TRAILER.sqlState) || undefined,
        consistencyToken: trailer(md, TRAILER.consistencyToken),
        metadata: md,
        cause: err,
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new GatewayClientError(StatusCode.UNKNOWN, message, { reason: 'CLIENT_ERROR', cause: err });
  }

  /** The error answering one request of a Transaction stream, or (with `batchStep`) one step of a Batch. */
  static fromStatementError(e: StatementErrorMessage, batchStep?: number): GatewayClientError {
    return new GatewayClientError(e.code ?? StatusCode.UNKNOWN, e.message ?? '', {
      batchStep,
      reason: e.reason,
      mysqlErrno: e.mysql_errno ? e.mysql_errno : undefined,
      sqlState: e.sql_state || undefined,
      transactionRolledBack: e.transaction_rolled_back === true,
    });
  }

  /** The same error, marked as having ended a transaction whose commit was sent. */
  afterCommit(): GatewayClientError {
    if (this.commitAttempted) return this;
    return new GatewayClientError(this.code, this.details, {
      reason: this.reason,
      mysqlErrno: this.mysqlErrno,
      sqlState: this.sqlState,
      transactionRolledBack: this.transactionRolledBack,
      commitAttempted: true,
      batchStep: this.batchStep,
      metadata: this.metadata,
      consistencyToken: this.consistencyToken,
      cause: this,
    });
  }
}

/** A client-side INVALID_ARGUMENT (nothing was sent). */
export function invalidArgument(reason: string, details: string): GatewayClientError {
  return new GatewayClientError(StatusCode.INVALID_ARGUMENT, details, { reason });
}

/** The error of a call stopped through its AbortSignal. */
export function abortedBySignal(signal: AbortSignal): GatewayClientError {
  return new GatewayClientError(StatusCode.CANCELLED, 'the call was cancelled through its AbortSignal', {
    reason: 'CANCELLED',
    cause: signal.reason,
  });
}

function isMetadata(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && typeof (value as Metadata).get === 'function';
}

function trailer(md: Metadata, key: string): string {
  const first = md.get(key)[0];
  return first === undefined ? '' : String(first);
}
