/**
 * Statement classification: what a statement does, computed in one pass of the {@link Lexer}
 * (no parse tree). The gateway uses it to route reads to replicas ({@link StatementInfo.readOnly}),
 * to keep pooled connections clean ({@link StatementInfo.sessionState}), to guard transaction
 * streams ({@link StatementInfo.transactionControl}) and to name spans
 * ({@link StatementInfo.summary}).
 *
 * Every flag errs on the safe side: when in doubt a statement is not read-only and does touch
 * session state. Words inside strings, quoted identifiers and comments are never keywords; the
 * content of executable comments (`/*! ... *\/`, `/*M! ... *\/`) is code.
 */
import { Lexer } from './lexer.js';
import { Scan } from './statement-scan.js';

export { sanitizeSql } from './sanitize.js';

/** What a statement does, as far as one lexer pass can prove. Instances are frozen. */
export interface StatementInfo {
  /** First keyword of the (first) statement, uppercased: 'SELECT', 'WITH', 'SET', ...; '' if none. */
  readonly operation: string;
  /**
   * Proven read-only and safe on a replica: SELECT, WITH ... SELECT, (SELECT ...), TABLE,
   * VALUES, SHOW, DESCRIBE/DESC/EXPLAIN (not EXPLAIN ANALYZE), without locking reads (FOR UPDATE,
   * FOR SHARE, LOCK IN SHARE MODE), INTO, `:=`, or functions with effects (GET_LOCK,
   * RELEASE_LOCK, RELEASE_ALL_LOCKS, LAST_INSERT_ID(expr), NEXTVAL, SETVAL, LASTVAL,
   * NEXT/PREVIOUS VALUE FOR, MASTER_POS_WAIT, MASTER_GTID_WAIT, LOAD_FILE, ...). Calls of stored
   * functions are not inspected: a stored function that writes fails on a read-only replica.
   */
  readonly readOnly: boolean;
  /** More than one statement: a `;` followed by anything but whitespace, comments and `;`. */
  readonly multiStatement: boolean;
  /**
   * Controls transactions: BEGIN, START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT, RELEASE
   * SAVEPOINT, ROLLBACK TO, XA, LOCK/UNLOCK TABLES, SET autocommit, SET TRANSACTION and the
   * transaction isolation / read-only variables.
   */
  readonly transactionControl: boolean;
  /** The transaction control is only SAVEPOINT, ROLLBACK TO [SAVEPOINT] or RELEASE SAVEPOINT. */
  readonly savepoint: boolean;
  /**
   * Commits an open transaction implicitly: DDL (except CREATE/DROP TEMPORARY), GRANT/REVOKE,
   * table maintenance, FLUSH, RESET, LOCK/UNLOCK TABLES, BEGIN, START, ...
   */
  readonly implicitCommit: boolean;
  /**
   * May leave session state behind for the next user of a pooled connection: any SET (but not
   * SET STATEMENT ... FOR, which is classified by its inner statement), `:=`, SELECT ... INTO @var,
   * CREATE/DROP TEMPORARY, PREPARE/EXECUTE/DEALLOCATE, GET_LOCK/RELEASE_LOCK,
   * LAST_INSERT_ID(expr), NEXTVAL, USE, LOCK/UNLOCK TABLES, HANDLER, CALL.
   */
  readonly sessionState: boolean;
  /** LOAD DATA LOCAL INFILE / LOAD XML LOCAL INFILE: the server would ask the client for a file. */
  readonly loadDataLocal: boolean;
  /** `?` placeholders outside strings, identifiers and comments (executable comments count). */
  readonly placeholders: number;
  /**
   * Low-cardinality summary in the spirit of OpenTelemetry `db.query.summary`: operations and
   * table names in order, e.g. `SELECT users orders`, `INSERT orders SELECT carts`; statements
   * are separated by `; `. At most {@link SUMMARY_MAX_LENGTH} characters (whole parts only).
   */
  readonly summary: string;
  /** Lexing failed (unterminated string, identifier or comment): refuse the statement. */
  readonly error?: string;
}

/** Options of {@link classifyStatement}. */
export interface ClassifyOptions {
  /** The session runs with the NO_BACKSLASH_ESCAPES sql_mode. @default false */
  readonly noBackslashEscapes?: boolean;
  /** The session runs with the ANSI_QUOTES sql_mode (`"x"` is an identifier). @default false */
  readonly ansiQuotes?: boolean;
}

export { SUMMARY_MAX_LENGTH } from './statement-scan.js';

/**
 * Classifies one SQL text in a single lexer pass. Pure and uncached; use a
 * {@link StatementClassifier} on hot paths.
 */
export function classifyStatement(sql: string, options: ClassifyOptions = {}): StatementInfo {
  const scan = new Scan(
    new Lexer(sql, {
      noBackslashEscapes: options.noBackslashEscapes === true,
      ansiQuotes: options.ansiQuotes === true,
    }),
  );
  const error = scan.run();
  const info: { -readonly [K in keyof StatementInfo]: StatementInfo[K] } = {
    operation: scan.operation,
    readOnly: scan.readOnly,
    multiStatement: scan.statements > 1,
    transactionControl: scan.transactionControl,
    savepoint: scan.savepoint,
    implicitCommit: scan.implicitCommit,
    sessionState: scan.sessionState,
    loadDataLocal: scan.loadDataLocal,
    placeholders: scan.placeholders,
    summary: scan.summary,
  };
  if (error !== undefined) info.error = error;
  return Object.freeze(info);
}

/** Default {@link StatementClassifierOptions.cacheSize}. */
export const DEFAULT_CLASSIFIER_CACHE_SIZE = 2000;
/** Default {@link StatementClassifierOptions.maxCachedSqlLength}. */
export const DEFAULT_MAX_CACHED_SQL_LENGTH = 4096;

/** Options of a {@link StatementClassifier}. */
export interface StatementClassifierOptions extends ClassifyOptions {
  /**
   * Most distinct SQL texts whose classification is kept (least recently used evicted first);
   * 0 disables the cache.
   * @default 2000 ({@link DEFAULT_CLASSIFIER_CACHE_SIZE})
   */
  readonly cacheSize?: number;
  /**
   * Longer SQL texts, in UTF-16 code units, are classified but never cached, which bounds the
   * cache's memory at about cacheSize x maxCachedSqlLength x 2 bytes.
   * @default 4096 ({@link DEFAULT_MAX_CACHED_SQL_LENGTH})
   */
  readonly maxCachedSqlLength?: number;
}

const CLASSIFIER_OPTION_KEYS: ReadonlySet<string> = new Set([
  'cacheSize',
  'maxCachedSqlLength',
  'noBackslashEscapes',
  'ansiQuotes',
]);

/**
 * {@link classifyStatement} behind a bounded LRU cache keyed by the SQL text. Results are frozen
 * and shared between callers.
 */
export class StatementClassifier {
  private readonly cache = new Map<string, StatementInfo>();
  private readonly cacheSize: number;
  private readonly maxCachedSqlLength: number;
  private readonly classifyOptions: ClassifyOptions;

  constructor(options: StatementClassifierOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!CLASSIFIER_OPTION_KEYS.has(key)) throw new TypeError(`unknown StatementClassifier option: ${key}`);
    }
    this.cacheSize = options.cacheSize ?? DEFAULT_CLASSIFIER_CACHE_SIZE;
    this.maxCachedSqlLength = options.maxCachedSqlLength ?? DEFAULT_MAX_CACHED_SQL_LENGTH;
    if (!Number.isInteger(this.cacheSize) || this.cacheSize < 0) {
      throw new TypeError('cacheSize must be a non-negative integer');
    }
    if (!Number.isInteger(this.maxCachedSqlLength) || this.maxCachedSqlLength < 0) {
      throw new TypeError('maxCachedSqlLength must be a non-negative integer');
    }
    this.classifyOptions = {
      noBackslashEscapes: options.noBackslashEscapes === true,
      ansiQuotes: options.ansiQuotes === true,
    };
  }

  /** Entries currently cached. */
  get size(): number {
    return this.cache.size;
  }

  /** Classifies `sql`, from the cache when it was seen recently. */
  classify(sql: string): StatementInfo {
    const cache = this.cache;
    const hit = cache.get(sql);
    if (hit !== undefined) {
      // Refresh recency: a Map iterates in insertion order, so the first key is the oldest.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const info = classifyStatement(sql, this.classifyOptions);
    if (this.cacheSize > 0 && sql.length <= this.maxCachedSqlLength) {
      if (cache.size >= this.cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(sql, info);
    }
    return info;
  }
}
