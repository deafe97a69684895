/**
 * The words statement classification knows, and what each means to it. All tables are folded
 * into {@link WORDS}, looked up once per word token without allocating.
 */
import { KeywordTable } from './lexer.js';

/** First words the classifier knows as statements; any other first word gives operation ''. */
export const STATEMENT_KEYWORDS: ReadonlySet<string> = new Set([
  'ALTER',
  'ANALYZE',
  'BACKUP',
  'BEGIN',
  'BINLOG',
  'CACHE',
  'CALL',
  'CHANGE',
  'CHECK',
  'CHECKSUM',
  'CLONE',
  'COMMIT',
  'CREATE',
  'DEALLOCATE',
  'DELETE',
  'DESC',
  'DESCRIBE',
  'DO',
  'DROP',
  'EXECUTE',
  'EXPLAIN',
  'FLUSH',
  'GET',
  'GRANT',
  'HANDLER',
  'HELP',
  'IMPORT',
  'INSERT',
  'INSTALL',
  'KILL',
  'LOAD',
  'LOCK',
  'OPTIMIZE',
  'PREPARE',
  'PURGE',
  'RELEASE',
  'RENAME',
  'REPAIR',
  'REPLACE',
  'RESET',
  'RESIGNAL',
  'RESTART',
  'REVOKE',
  'ROLLBACK',
  'SAVEPOINT',
  'SELECT',
  'SET',
  'SHOW',
  'SHUTDOWN',
  'SIGNAL',
  'START',
  'STOP',
  'TABLE',
  'TRUNCATE',
  'UNINSTALL',
  'UNLOCK',
  'UPDATE',
  'USE',
  'VALUES',
  'WITH',
  'XA',
]);

export const READ_ONLY_OPERATIONS: ReadonlySet<string> = new Set(['SELECT', 'SHOW', 'TABLE', 'VALUES']);
export const EXPLAIN_OPERATIONS: ReadonlySet<string> = new Set(['DESCRIBE', 'DESC', 'EXPLAIN']);
/** Statements that may follow a WITH clause. */
export const WITH_MAIN_OPERATIONS: ReadonlySet<string> = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'TABLE',
  'VALUES',
]);
export const WITH_READ_ONLY_MAIN: ReadonlySet<string> = new Set(['SELECT', 'TABLE', 'VALUES']);

/**
 * Statements that commit an open transaction (MySQL "Statements That Cause an Implicit Commit").
 * CREATE/DROP TEMPORARY, DROP PREPARE, ANALYZE <select> and LOAD DATA are excepted in code.
 */
export const IMPLICIT_COMMIT_OPERATIONS: ReadonlySet<string> = new Set([
  'ALTER',
  'BEGIN',
  'CACHE',
  'CHANGE',
  'CHECK',
  'CREATE',
  'DROP',
  'FLUSH',
  'GRANT',
  'INSTALL',
  'LOCK',
  'OPTIMIZE',
  'RENAME',
  'REPAIR',
  'RESET',
  'REVOKE',
  'START',
  'STOP',
  'TRUNCATE',
  'UNINSTALL',
  'UNLOCK',
]);

/** Words in a SET statement (or @@names) that change transaction behaviour. */
export const TRANSACTION_VARIABLES: ReadonlySet<string> = new Set([
  'AUTOCOMMIT',
  'TRANSACTION',
  'TRANSACTION_ISOLATION',
  'TX_ISOLATION',
  'TRANSACTION_READ_ONLY',
  'TX_READ_ONLY',
]);

export interface FunctionEffect {
  /** Leaves state in the session (locks, LAST_INSERT_ID, a sequence's LASTVAL). */
  readonly sessionState: boolean;
  /** Only with an argument: LAST_INSERT_ID() reads, LAST_INSERT_ID(expr) sets. */
  readonly needsArgument: boolean;
}

export const SESSION_EFFECT: FunctionEffect = { sessionState: true, needsArgument: false };
export const SERVER_EFFECT: FunctionEffect = { sessionState: false, needsArgument: false };

/** Built-in functions that make a statement unfit for a replica when called. */
export const EFFECT_FUNCTIONS: ReadonlyMap<string, FunctionEffect> = new Map([
  ['GET_LOCK', SESSION_EFFECT],
  ['RELEASE_LOCK', SESSION_EFFECT],
  ['RELEASE_ALL_LOCKS', SESSION_EFFECT],
  ['LAST_INSERT_ID', { sessionState: true, needsArgument: true }],
  ['NEXTVAL', SESSION_EFFECT],
  ['SETVAL', SERVER_EFFECT],
  ['LASTVAL', SERVER_EFFECT],
  ['MASTER_POS_WAIT', SERVER_EFFECT],
  ['MASTER_GTID_WAIT', SERVER_EFFECT],
  ['SOURCE_POS_WAIT', SERVER_EFFECT],
  ['WAIT_FOR_EXECUTED_GTID_SET', SERVER_EFFECT],
  ['WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS', SERVER_EFFECT],
  ['LOAD_FILE', SERVER_EFFECT],
]);

/** Words skipped between a table-introducing keyword and the table name. */
export const TABLE_MODIFIERS: ReadonlySet<string> = new Set([
  'LOW_PRIORITY',
  'DELAYED',
  'HIGH_PRIORITY',
  'IGNORE',
  'QUICK',
  'INTO',
  'IF',
  'NOT',
  'EXISTS',
  'TEMPORARY',
  'ONLY',
  'LATERAL',
  'TABLE',
]);

/** Words after FROM/JOIN/... that are not table names. */
export const NOT_TABLES: ReadonlySet<string> = new Set([
  'DUAL',
  'SELECT',
  'WITH',
  'VALUES',
  'JSON_TABLE',
  'OUTFILE',
  'DUMPFILE',
  'SET',
  'WHERE',
]);

/** Words that end a comma-separated table list (FROM a, b / UPDATE a, b / DROP TABLE a, b). */
export const LIST_END: ReadonlySet<string> = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'WINDOW',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'FOR',
  'LOCK',
  'INTO',
  'ON',
  'USING',
  'PROCEDURE',
  'SET',
  'VALUES',
  'SELECT',
  'RETURNING',
]);

/** DDL whose object type (and table/view/sequence name) goes into the summary. */
export const DDL_OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'ALTER', 'DROP', 'RENAME']);
export const DDL_OBJECTS: ReadonlySet<string> = new Set([
  'TABLE',
  'VIEW',
  'SEQUENCE',
  'INDEX',
  'DATABASE',
  'SCHEMA',
  'PROCEDURE',
  'FUNCTION',
  'TRIGGER',
  'EVENT',
  'USER',
  'ROLE',
  'SERVER',
  'TABLESPACE',
]);
export const DDL_TABLE_OBJECTS: ReadonlySet<string> = new Set(['TABLE', 'VIEW', 'SEQUENCE']);

// Word roles, combined into one lookup per word (an unknown word, i.e. an identifier, costs
// one Map miss).
export const STATEMENT = 1;
export const MODIFIER = 2;
export const NOT_TABLE = 4;
export const ENDS_LIST = 8;
export const WITH_MAIN = 16;
export const TRANSACTION_VARIABLE = 32;
export const DDL_OBJECT = 64;
export const DDL_TABLE_OBJECT = 128;
/** Handled by name in the scanner's `special` method. */
export const SPECIAL = 256;

export interface WordInfo {
  /** The uppercased word, an interned string, so comparisons with literals are cheap. */
  readonly word: string;
  readonly roles: number;
  readonly effect: FunctionEffect | undefined;
}

export const SPECIAL_WORDS = [
  'SELECT',
  'FROM',
  'JOIN',
  'STRAIGHT_JOIN',
  'INTO',
  'UPDATE',
  'SHARE',
  'IN',
  'FOR',
  'VALUE',
  'NEXT',
  'PREVIOUS',
  'LOCK',
  'ANALYZE',
  'TEMPORARY',
  'LOCAL',
  'INFILE',
  'STATEMENT',
  'TRANSACTION',
  'TO',
  'PREPARE',
  'INDEX',
  'TABLE',
  'TABLES',
];

export const WORDS: KeywordTable<WordInfo> = (() => {
  const roles = new Map<string, number>();
  const mark = (words: Iterable<string>, role: number) => {
    for (const word of words) roles.set(word, (roles.get(word) ?? 0) | role);
  };
  mark(STATEMENT_KEYWORDS, STATEMENT);
  mark(TABLE_MODIFIERS, MODIFIER);
  mark(NOT_TABLES, NOT_TABLE);
  mark(LIST_END, ENDS_LIST);
  mark(WITH_MAIN_OPERATIONS, WITH_MAIN);
  mark(TRANSACTION_VARIABLES, TRANSACTION_VARIABLE);
  mark(DDL_OBJECTS, DDL_OBJECT);
  mark(DDL_TABLE_OBJECTS, DDL_TABLE_OBJECT);
  mark(SPECIAL_WORDS, SPECIAL);
  mark(EFFECT_FUNCTIONS.keys(), 0);
  return new KeywordTable(
    [...roles].map(([word, role]): [string, WordInfo] => [
      word,
      { word, roles: role, effect: EFFECT_FUNCTIONS.get(word) },
    ]),
  );
})();
