/**
 * Checks a statement before anything reaches MySQL: size limits, one statement only, no
 * transaction control outside Transaction messages, no LOAD DATA LOCAL, placeholder count.
 */
import { Code, errors, GatewayError } from '../errors.js';
import { classifyStatement, type StatementInfo } from '../sql/classify.js';
import { interpolateSql } from '../sql/interpolate.js';
import { toDriverParams, type WireValue } from '../sql/values.js';

/** Request-size limits (config `limits`). */
export interface StatementLimits {
  /** Longest SQL text, in UTF-8 bytes. */
  readonly maxSqlBytes: number;
  /** Most parameters per statement. */
  readonly maxParams: number;
}

/** Where a statement runs: it decides which statements are allowed. */
export type StatementPlace = 'query' | 'execute' | 'transaction';

/** A statement ready to send. */
export interface CheckedStatement {
  readonly sql: string;
  readonly params: unknown[];
  readonly info: StatementInfo;
  /** Literals instead of placeholders, for servers that cannot prepare the statement. */
  readonly textSql: () => string;
}

/** Operations that produce rows, refused by Execute (which would silently drop them). */
const ROW_OPERATIONS = new Set(['SELECT', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'TABLE', 'VALUES']);

/** Validates `sql` and `params` for `place`; throws a {@link GatewayError} naming what is wrong. */
export function checkStatement(
  sql: string | undefined,
  params: readonly WireValue[] | undefined,
  limits: StatementLimits,
  place: StatementPlace,
  classify: (sql: string) => StatementInfo = classifyStatement,
): CheckedStatement {
  if (!sql || sql.trim() === '') throw errors.invalidArgument('EMPTY_SQL', 'sql is empty');
  // Every UTF-16 unit takes at least one UTF-8 byte, so an over-long string fails without counting bytes.
  if (sql.length > limits.maxSqlBytes || Buffer.byteLength(sql) > limits.maxSqlBytes) {
    throw errors.invalidArgument(
      'SQL_TOO_LONG',
      `sql is longer than the limit of ${limits.maxSqlBytes} bytes (limits.maxSqlBytes)`,
    );
  }
  const count = params?.length ?? 0;
  if (count > limits.maxParams) {
    throw errors.invalidArgument(
      'TOO_MANY_PARAMS',
      `${count} params exceed the limit of ${limits.maxParams} (limits.maxParams)`,
    );
  }
  const info = classify(sql);
  if (info.error) throw errors.invalidArgument('SQL_LEX_ERROR', `sql cannot be read: ${info.error}`);
  if (info.multiStatement) {
    throw errors.invalidArgument(
      'MULTI_STATEMENT',
      'sql holds more than one statement; send one statement per request',
    );
  }
  if (info.loadDataLocal) {
    throw new GatewayError(
      Code.PERMISSION_DENIED,
      'LOCAL_INFILE_DISABLED',
      'LOAD DATA LOCAL is disabled on this gateway',
    );
  }
  if (info.transactionControl && !(place === 'transaction' && info.savepoint)) {
    throw errors.failedPrecondition(
      'TRANSACTION_CONTROL_SQL',
      place === 'transaction'
        ? `${info.operation} is not allowed inside a Transaction stream: send the commit or rollback message instead`
        : `${info.operation} is not allowed here: use the Transaction RPC (begin, statements, commit or rollback) instead`,
    );
  }
  if (place === 'execute' && ROW_OPERATIONS.has(info.operation)) {
    throw errors.invalidArgument('USE_QUERY', `${info.operation} returns rows: use Query instead of Execute`);
  }
  if (info.placeholders !== count) {
    throw errors.invalidArgument(
      'PARAM_COUNT_MISMATCH',
      `sql has ${info.placeholders} placeholder(s) but ${count} param(s) were given`,
    );
  }
  return { sql, params: toDriverParams(params), info, textSql: () => interpolateSql(sql, params) };
}
