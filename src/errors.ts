/**
 * The gateway's one error model.
 *
 * Everything that fails inside the gateway becomes a {@link GatewayError}: a gRPC status code,
 * a stable machine-readable `reason`, and, for errors that came from MySQL, the errno and
 * SQLSTATE. MySQL and driver errors are mapped in exactly one place, {@link GatewayError.from},
 * following the table in README.md. Only `server/` turns these into wire statuses.
 *
 * This module imports nothing else from the project.
 */

/** gRPC status codes (numbers are the wire values, identical to `@grpc/grpc-js` `status`). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code number. */
export type Code = (typeof Code)[keyof typeof Code];

/** Name of a gRPC status code, e.g. `ALREADY_EXISTS`. */
export function codeName(code: Code): string {
  for (const [name, value] of Object.entries(Code)) if (value === code) return name;
  return 'UNKNOWN';
}

/** Optional structured details of a {@link GatewayError}. */
export interface GatewayErrorDetails {
  /** MySQL/MariaDB error number (`ER_*`), when the error came from the server. */
  readonly mysqlErrno?: number;
  /** SQLSTATE of the server error. */
  readonly sqlState?: string;
  /** The underlying error, kept for logs (never sent to clients). */
  readonly cause?: unknown;
  /** MySQL rolled the surrounding transaction back (deadlock, lock wait timeout with rollback). */
  readonly transactionRolledBack?: boolean;
  /**
   * The statement may have reached the server before the failure, so its effect is unknown.
   * Callers must never re-send such a statement automatically.
   */
  readonly mayHaveExecuted?: boolean;
  /**
   * A consistency token the error carries (sent as the `x-consistency-token` trailer): the
   * recorded commit of a transaction refused as `TRANSACTION_ALREADY_COMMITTED`.
   */
  readonly consistencyToken?: string;
}

/** The gateway's single error type. `message` is safe to show to clients. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: Code;
  /** Stable machine-readable reason, UPPER_SNAKE_CASE (sent as the `gateway-reason` trailer). */
  readonly reason: string;
  readonly mysqlErrno: number | undefined;
  readonly sqlState: string | undefined;
  readonly transactionRolledBack: boolean;
  readonly mayHaveExecuted: boolean;
  /** A consistency token the error carries ('' when none); see {@link GatewayErrorDetails}. */
  readonly consistencyToken: string;

  constructor(code: Code, reason: string, message: string, details: GatewayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.reason = reason;
    this.mysqlErrno = details.mysqlErrno;
    this.sqlState = details.sqlState;
    this.transactionRolledBack = details.transactionRolledBack ?? false;
    this.mayHaveExecuted = details.mayHaveExecuted ?? false;
    this.consistencyToken = details.consistencyToken ?? '';
  }

  /**
   * Normalizes anything caught into a GatewayError: a GatewayError is returned as is, a
   * MySQL server error or a driver/network error is mapped through {@link MYSQL_ERROR_TABLE}
   * and {@link NETWORK_ERROR_CODES}, anything else becomes INTERNAL with a generic message
   * (the original stays in `cause` for logs only).
   */
  static from(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = (err ?? {}) as {
      errno?: unknown;
      sqlState?: unknown;
      code?: unknown;
      message?: unknown;
      fatal?: unknown;
    };
    const errno = typeof e.errno === 'number' ? e.errno : undefined;
    const sqlState = typeof e.sqlState === 'string' ? e.sqlState : undefined;
    const message = typeof e.message === 'string' ? e.message : String(err);
    // A server error: mysql2 sets sqlState only for ERR packets from the server.
    if (errno !== undefined && sqlState !== undefined) {
      const row = MYSQL_ERROR_TABLE.get(errno) ?? fromSqlState(sqlState);
      return new GatewayError(row.code, row.reason, message, {
        mysqlErrno: errno,
        sqlState,
        cause: err,
        transactionRolledBack: row.rollsBack === true,
      });
    }
    const driverCode = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_ERROR_CODES.has(driverCode) || e.fatal === true) {
      return new GatewayError(
        Code.UNAVAILABLE,
        'BACKEND_UNAVAILABLE',
        // A TLS failure's message (an untrusted or expired certificate, a name mismatch) is what
        // an operator needs; Node writes it, so it holds no value from a query.
        `backend unavailable: ${driverCode === 'HANDSHAKE_SSL_ERROR' ? `${driverCode} (${message})` : driverCode || message}`,
        {
          cause: err,
        },
      );
    }
    return new GatewayError(Code.INTERNAL, 'INTERNAL', 'internal gateway error', { cause: err });
  }
}

/** One row of the MySQL → gRPC table. */
export interface ErrorMapping {
  readonly code: Code;
  readonly reason: string;
  /** The server rolls the whole transaction back on this error. */
  readonly rollsBack?: boolean;
}

/**
 * MySQL/MariaDB errno → gRPC code. The single source of truth, rendered into README.md.
 * Errors not listed fall back on their SQLSTATE class ({@link fromSqlState}).
 */
export const MYSQL_ERROR_TABLE: ReadonlyMap<number, ErrorMapping> = new Map<number, ErrorMapping>([
  [1022, { code: Code.ALREADY_EXISTS, reason: 'DUPLICATE_KEY' }], // ER_DUP_KEY
  [1062, { code: Code.ALREADY_EXISTS, reason: 'DUPLICATE_KEY' }], // ER_DUP_ENTRY
  [1586, { code: Code.ALREADY_EXISTS, reason: 'DUPLICATE_KEY' }], // ER_DUP_ENTRY_WITH_KEY_NAME
  [1050, { code: Code.ALREADY_EXISTS, reason: 'TABLE_EXISTS' }], // ER_TABLE_EXISTS_ERROR
  [1007, { code: Code.ALREADY_EXISTS, reason: 'DATABASE_EXISTS' }], // ER_DB_CREATE_EXISTS
  [1213, { code: Code.ABORTED, reason: 'DEADLOCK', rollsBack: true }], // ER_LOCK_DEADLOCK
  [1205, { code: Code.ABORTED, reason: 'LOCK_WAIT_TIMEOUT' }], // ER_LOCK_WAIT_TIMEOUT
  [1064, { code: Code.INVALID_ARGUMENT, reason: 'SYNTAX_ERROR' }], // ER_PARSE_ERROR
  [1149, { code: Code.INVALID_ARGUMENT, reason: 'SYNTAX_ERROR' }], // ER_SYNTAX_ERROR
  [1054, { code: Code.INVALID_ARGUMENT, reason: 'UNKNOWN_COLUMN' }], // ER_BAD_FIELD_ERROR
  [1210, { code: Code.INVALID_ARGUMENT, reason: 'WRONG_ARGUMENTS' }], // ER_WRONG_ARGUMENTS (param count)
  [1048, { code: Code.INVALID_ARGUMENT, reason: 'NULL_NOT_ALLOWED' }], // ER_BAD_NULL_ERROR
  [1264, { code: Code.OUT_OF_RANGE, reason: 'VALUE_OUT_OF_RANGE' }], // ER_WARN_DATA_OUT_OF_RANGE
  [1406, { code: Code.OUT_OF_RANGE, reason: 'DATA_TOO_LONG' }], // ER_DATA_TOO_LONG
  [1366, { code: Code.INVALID_ARGUMENT, reason: 'INCORRECT_VALUE' }], // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  [1292, { code: Code.INVALID_ARGUMENT, reason: 'INCORRECT_VALUE' }], // ER_TRUNCATED_WRONG_VALUE
  [1300, { code: Code.INVALID_ARGUMENT, reason: 'INVALID_CHARACTER_STRING' }], // ER_INVALID_CHARACTER_STRING
  [1267, { code: Code.INVALID_ARGUMENT, reason: 'ILLEGAL_COLLATION_MIX' }], // ER_CANT_AGGREGATE_2COLLATIONS
  [1270, { code: Code.INVALID_ARGUMENT, reason: 'ILLEGAL_COLLATION_MIX' }], // ER_CANT_AGGREGATE_3COLLATIONS
  [1271, { code: Code.INVALID_ARGUMENT, reason: 'ILLEGAL_COLLATION_MIX' }], // ER_CANT_AGGREGATE_NCOLLATIONS
  [1146, { code: Code.NOT_FOUND, reason: 'UNKNOWN_TABLE' }], // ER_NO_SUCH_TABLE
  [1049, { code: Code.NOT_FOUND, reason: 'UNKNOWN_DATABASE' }], // ER_BAD_DB_ERROR
  [1305, { code: Code.NOT_FOUND, reason: 'UNKNOWN_ROUTINE' }], // ER_SP_DOES_NOT_EXIST
  [1451, { code: Code.FAILED_PRECONDITION, reason: 'FOREIGN_KEY_VIOLATION' }], // ER_ROW_IS_REFERENCED_2
  [1452, { code: Code.FAILED_PRECONDITION, reason: 'FOREIGN_KEY_VIOLATION' }], // ER_NO_REFERENCED_ROW_2
  [4025, { code: Code.FAILED_PRECONDITION, reason: 'CHECK_CONSTRAINT_VIOLATION' }], // ER_CONSTRAINT_FAILED
  [1290, { code: Code.FAILED_PRECONDITION, reason: 'READ_ONLY' }], // ER_OPTION_PREVENTS_STATEMENT
  [1792, { code: Code.FAILED_PRECONDITION, reason: 'READ_ONLY_TRANSACTION' }], // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  [1044, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }], // ER_DBACCESS_DENIED_ERROR
  [1045, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }], // ER_ACCESS_DENIED_ERROR
  [1142, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }], // ER_TABLEACCESS_DENIED_ERROR
  [1143, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }], // ER_COLUMNACCESS_DENIED_ERROR
  [1227, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }], // ER_SPECIFIC_ACCESS_DENIED_ERROR
  [1040, { code: Code.RESOURCE_EXHAUSTED, reason: 'TOO_MANY_CONNECTIONS' }], // ER_CON_COUNT_ERROR
  [1203, { code: Code.RESOURCE_EXHAUSTED, reason: 'TOO_MANY_CONNECTIONS' }], // ER_TOO_MANY_USER_CONNECTIONS
  [1969, { code: Code.DEADLINE_EXCEEDED, reason: 'STATEMENT_TIMEOUT' }], // ER_STATEMENT_TIMEOUT (MariaDB)
  [3024, { code: Code.DEADLINE_EXCEEDED, reason: 'STATEMENT_TIMEOUT' }], // ER_QUERY_TIMEOUT (MySQL)
  [1317, { code: Code.CANCELLED, reason: 'QUERY_INTERRUPTED' }], // ER_QUERY_INTERRUPTED
  [1053, { code: Code.UNAVAILABLE, reason: 'BACKEND_SHUTTING_DOWN' }], // ER_SERVER_SHUTDOWN
  [1927, { code: Code.UNAVAILABLE, reason: 'CONNECTION_KILLED' }], // ER_CONNECTION_KILLED
  [1295, { code: Code.UNIMPLEMENTED, reason: 'NOT_PREPARABLE' }], // ER_UNSUPPORTED_PS
]);

/** Fallback on the SQLSTATE class for errnos not in {@link MYSQL_ERROR_TABLE}. */
export function fromSqlState(sqlState: string): ErrorMapping {
  switch (sqlState.slice(0, 2)) {
    case '22':
      return { code: Code.INVALID_ARGUMENT, reason: 'DATA_EXCEPTION' };
    case '23':
      return { code: Code.FAILED_PRECONDITION, reason: 'INTEGRITY_CONSTRAINT_VIOLATION' };
    case '28':
      return { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' };
    case '40':
      return { code: Code.ABORTED, reason: 'TRANSACTION_ROLLBACK', rollsBack: true };
    case '42':
      return { code: Code.INVALID_ARGUMENT, reason: 'SYNTAX_OR_ACCESS_RULE' };
    case '08':
      return { code: Code.UNAVAILABLE, reason: 'BACKEND_UNAVAILABLE' };
    case '0A':
      return { code: Code.UNIMPLEMENTED, reason: 'FEATURE_NOT_SUPPORTED' };
    default:
      return { code: Code.UNKNOWN, reason: 'SERVER_ERROR' };
  }
}

/** Driver and socket error codes that mean "the backend cannot be reached or was lost". */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'ER_SERVER_SHUTDOWN',
]);

/** Shorthands for the gateway-side errors, so reasons and codes stay consistent. */
export const errors = {
  invalidArgument: (reason: string, message: string) =>
    new GatewayError(Code.INVALID_ARGUMENT, reason, message),
  failedPrecondition: (reason: string, message: string) =>
    new GatewayError(Code.FAILED_PRECONDITION, reason, message),
  notFound: (reason: string, message: string) => new GatewayError(Code.NOT_FOUND, reason, message),
  unavailable: (reason: string, message: string, cause?: unknown) =>
    new GatewayError(Code.UNAVAILABLE, reason, message, { cause }),
  resourceExhausted: (reason: string, message: string) =>
    new GatewayError(Code.RESOURCE_EXHAUSTED, reason, message),
  deadlineExceeded: (reason: string, message: string) =>
    new GatewayError(Code.DEADLINE_EXCEEDED, reason, message),
  cancelled: (reason: string, message: string) => new GatewayError(Code.CANCELLED, reason, message),
  unauthenticated: (reason: string, message: string) =>
    new GatewayError(Code.UNAUTHENTICATED, reason, message),
  permissionDenied: (reason: string, message: string) =>
    new GatewayError(Code.PERMISSION_DENIED, reason, message),
};

/** The MySQL → gRPC table as markdown, for README.md (a unit test keeps README in sync). */
export function renderErrorTable(): string {
  const lines = ['| MySQL errno | gRPC code | gateway-reason |', '| --- | --- | --- |'];
  for (const [errno, row] of [...MYSQL_ERROR_TABLE].sort((a, b) => a[0] - b[0])) {
    lines.push(
      `| ${errno} | ${codeName(row.code)} | ${row.reason}${row.rollsBack ? ' (transaction rolled back)' : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
