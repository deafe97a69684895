import test from 'ava';
import { classifyStatement, type StatementInfo } from '../../../src/sql/classify.js';

type Flags = Partial<Omit<StatementInfo, 'summary'>>;

/** Fields not listed are expected false / 0 / ''. */
const NONE: Required<Omit<Flags, 'error'>> = {
  operation: '',
  readOnly: false,
  multiStatement: false,
  transactionControl: false,
  savepoint: false,
  implicitCommit: false,
  sessionState: false,
  loadDataLocal: false,
  placeholders: 0,
};

const CASES: [string, Flags][] = [
  // operation
  ['SELECT 1', { operation: 'SELECT', readOnly: true }],
  ['  select 1', { operation: 'SELECT', readOnly: true }],
  ['((select 1))', { operation: 'SELECT', readOnly: true }],
  ['with c as (select 1) select * from c', { operation: 'WITH', readOnly: true }],
  ['insert into t values (1)', { operation: 'INSERT' }],
  ['foo bar', {}],
  ['', {}],
  ['123', {}],
  // transaction control
  ['BEGIN', { operation: 'BEGIN', transactionControl: true, implicitCommit: true }],
  ['BEGIN WORK', { operation: 'BEGIN', transactionControl: true, implicitCommit: true }],
  ['START TRANSACTION', { operation: 'START', transactionControl: true, implicitCommit: true }],
  ['start transaction read only', { operation: 'START', transactionControl: true, implicitCommit: true }],
  ['COMMIT', { operation: 'COMMIT', transactionControl: true }],
  ['COMMIT AND CHAIN', { operation: 'COMMIT', transactionControl: true }],
  ['ROLLBACK', { operation: 'ROLLBACK', transactionControl: true }],
  ['ROLLBACK WORK', { operation: 'ROLLBACK', transactionControl: true }],
  ['SAVEPOINT s1', { operation: 'SAVEPOINT', transactionControl: true, savepoint: true }],
  ['ROLLBACK TO SAVEPOINT s1', { operation: 'ROLLBACK', transactionControl: true, savepoint: true }],
  ['ROLLBACK WORK TO s1', { operation: 'ROLLBACK', transactionControl: true, savepoint: true }],
  ['RELEASE SAVEPOINT s1', { operation: 'RELEASE', transactionControl: true, savepoint: true }],
  ["XA START 'x'", { operation: 'XA', transactionControl: true }],
  ["XA COMMIT 'x'", { operation: 'XA', transactionControl: true }],
  [
    'LOCK TABLES t READ',
    { operation: 'LOCK', transactionControl: true, sessionState: true, implicitCommit: true },
  ],
  [
    'UNLOCK TABLES',
    { operation: 'UNLOCK', transactionControl: true, sessionState: true, implicitCommit: true },
  ],
  ['SET autocommit = 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET AUTOCOMMIT=1', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET @@autocommit = 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET @@session.autocommit = 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET SESSION autocommit = 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET LOCAL autocommit := 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  ['SET x = 1, autocommit = 0', { operation: 'SET', transactionControl: true, sessionState: true }],
  [
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    { operation: 'SET', transactionControl: true, sessionState: true },
  ],
  ['SET SESSION TRANSACTION READ ONLY', { operation: 'SET', transactionControl: true, sessionState: true }],
  [
    "SET @@transaction_isolation = 'READ-COMMITTED'",
    { operation: 'SET', transactionControl: true, sessionState: true },
  ],
  ["SET tx_isolation = 'READ-COMMITTED'", { operation: 'SET', transactionControl: true, sessionState: true }],
  // a user variable called autocommit is not the system variable
  ['SET @autocommit = 0', { operation: 'SET', sessionState: true }],
  ["SET @x = 'autocommit'", { operation: 'SET', sessionState: true }],
  // START that is not a transaction
  ['START SLAVE', { operation: 'START', implicitCommit: true }],
  // session state
  ['SET NAMES utf8mb4', { operation: 'SET', sessionState: true }],
  ['SET CHARACTER SET utf8mb4', { operation: 'SET', sessionState: true }],
  ["SET ROLE 'admin'", { operation: 'SET', sessionState: true }],
  ['SET @a = 1', { operation: 'SET', sessionState: true }],
  ['SET sql_mode = ?', { operation: 'SET', sessionState: true, placeholders: 1 }],
  ['SELECT @a := 1', { operation: 'SELECT', sessionState: true }],
  ['UPDATE t SET a = (@x := a + 1)', { operation: 'UPDATE', sessionState: true }],
  ['SELECT a INTO @x FROM t', { operation: 'SELECT', sessionState: true }],
  ['SELECT a, b INTO @x, @y FROM t', { operation: 'SELECT', sessionState: true }],
  ["SELECT a FROM t INTO OUTFILE '/tmp/x'", { operation: 'SELECT' }],
  ['CREATE TEMPORARY TABLE tt (a INT)', { operation: 'CREATE', sessionState: true }],
  ['CREATE OR REPLACE TEMPORARY TABLE tt (a INT)', { operation: 'CREATE', sessionState: true }],
  ['DROP TEMPORARY TABLE IF EXISTS tt', { operation: 'DROP', sessionState: true }],
  ["PREPARE s FROM 'SELECT 1'", { operation: 'PREPARE', sessionState: true }],
  ['EXECUTE s USING @a', { operation: 'EXECUTE', sessionState: true }],
  ['DEALLOCATE PREPARE s', { operation: 'DEALLOCATE', sessionState: true }],
  ['DROP PREPARE s', { operation: 'DROP', sessionState: true }],
  ["SELECT GET_LOCK('a', 1)", { operation: 'SELECT', sessionState: true }],
  ["SELECT RELEASE_LOCK('a')", { operation: 'SELECT', sessionState: true }],
  ["DO GET_LOCK('a', 1)", { operation: 'DO', sessionState: true }],
  ['SELECT LAST_INSERT_ID(7)', { operation: 'SELECT', sessionState: true }],
  ['SELECT NEXT VALUE FOR s', { operation: 'SELECT', sessionState: true }],
  ['USE db', { operation: 'USE', sessionState: true }],
  ['HANDLER t OPEN', { operation: 'HANDLER', sessionState: true }],
  ['CALL p(?)', { operation: 'CALL', sessionState: true, placeholders: 1 }],
  // SET STATEMENT ... FOR is scoped to the one statement
  ['SET STATEMENT max_statement_time=1 FOR SELECT 1', { operation: 'SELECT', readOnly: true }],
  [
    'SET STATEMENT max_statement_time=1 FOR INSERT INTO t VALUES (?)',
    { operation: 'INSERT', placeholders: 1 },
  ],
  ['SET STATEMENT max_statement_time=1 FOR SET @a = 1', { operation: 'SET', sessionState: true }],
  ['SET STATEMENT max_statement_time=1 FOR COMMIT', { operation: 'COMMIT', transactionControl: true }],
  // implicit commit
  ['CREATE TABLE t (a INT)', { operation: 'CREATE', implicitCommit: true }],
  ['CREATE TABLE temporary_data (a INT)', { operation: 'CREATE', implicitCommit: true }],
  ['ALTER TABLE t ADD b INT', { operation: 'ALTER', implicitCommit: true }],
  ['DROP TABLE t', { operation: 'DROP', implicitCommit: true }],
  ['TRUNCATE TABLE t', { operation: 'TRUNCATE', implicitCommit: true }],
  ['RENAME TABLE a TO b', { operation: 'RENAME', implicitCommit: true }],
  ["GRANT SELECT ON db.* TO 'u'", { operation: 'GRANT', implicitCommit: true }],
  ['FLUSH TABLES', { operation: 'FLUSH', implicitCommit: true }],
  ['OPTIMIZE TABLE t', { operation: 'OPTIMIZE', implicitCommit: true }],
  ['ANALYZE TABLE t', { operation: 'ANALYZE', implicitCommit: true }],
  ['ANALYZE SELECT 1', { operation: 'ANALYZE' }],
  ['LOAD INDEX INTO CACHE t', { operation: 'LOAD', implicitCommit: true }],
  // LOAD DATA LOCAL
  ["LOAD DATA LOCAL INFILE '/x' INTO TABLE t", { operation: 'LOAD', loadDataLocal: true }],
  ["load data low_priority local infile '/x' into table t", { operation: 'LOAD', loadDataLocal: true }],
  ["LOAD XML LOCAL INFILE '/x' INTO TABLE t", { operation: 'LOAD', loadDataLocal: true }],
  ["/*!LOAD DATA LOCAL INFILE '/x' INTO TABLE t*/", { operation: 'LOAD', loadDataLocal: true }],
  ["LOAD DATA INFILE '/x' INTO TABLE t", { operation: 'LOAD' }],
  ["LOAD DATA INFILE 'local' INTO TABLE t CHARACTER SET utf8mb4", { operation: 'LOAD' }],
  // placeholders
  ['SELECT ?, ?', { operation: 'SELECT', readOnly: true, placeholders: 2 }],
  ['SELECT \'?\', "?", `?`, ? /* ? */ -- ?', { operation: 'SELECT', readOnly: true, placeholders: 1 }],
  ['SELECT ? # ?\n, ?', { operation: 'SELECT', readOnly: true, placeholders: 2 }],
  ['SELECT /*! ? */ 1', { operation: 'SELECT', readOnly: true, placeholders: 1 }],
  ['SELECT ?? FROM t', { operation: 'SELECT', readOnly: true, placeholders: 2 }],
  ['SELECT a FROM t LIMIT ? OFFSET ?', { operation: 'SELECT', readOnly: true, placeholders: 2 }],
  // multiple statements
  ['SELECT 1; SELECT 2', { operation: 'SELECT', multiStatement: true }],
  ['SELECT 1;\nCOMMIT', { operation: 'SELECT', multiStatement: true, transactionControl: true }],
  ['SELECT 1; SET @a = 1', { operation: 'SELECT', multiStatement: true, sessionState: true }],
  ['SELECT 1; -- nothing\n', { operation: 'SELECT', readOnly: true }],
  ['SELECT 1; /* nothing */ ;', { operation: 'SELECT', readOnly: true }],
  ["SELECT ';'", { operation: 'SELECT', readOnly: true }],
  ['SELECT 1 /* ; SELECT 2 */', { operation: 'SELECT', readOnly: true }],
  ['SELECT 1 /*!; SELECT 2 */', { operation: 'SELECT', multiStatement: true }],
  // errors
  ["SELECT 'x", { operation: 'SELECT', error: 'unterminated string' }],
  ['SELECT `x', { operation: 'SELECT', error: 'unterminated quoted identifier' }],
  ['SELECT 1 /* x', { operation: 'SELECT', error: 'unterminated comment' }],
  ['SELECT /*! 1', { operation: 'SELECT', error: 'unterminated executable comment' }],
];

for (const [i, [sql, flags]] of CASES.entries()) {
  test(`flags of ${JSON.stringify(sql)} #${i}`, (t) => {
    const info = classifyStatement(sql);
    const { summary: _summary, error, ...rest } = info;
    const { error: expectedError, ...expected } = flags;
    t.deepEqual(rest, { ...NONE, ...expected });
    t.is(error, expectedError);
  });
}

test('a savepoint statement next to a full transaction statement is not savepoint-only', (t) => {
  const info = classifyStatement('SAVEPOINT a; COMMIT');
  t.true(info.transactionControl);
  t.false(info.savepoint);
});

test('results are frozen', (t) => {
  const info = classifyStatement('SELECT 1');
  t.true(Object.isFrozen(info));
});

test('error is absent, not undefined, when the text lexes', (t) => {
  t.false('error' in classifyStatement('SELECT 1'));
});
