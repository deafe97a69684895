import test from 'ava';
import { type ClassifyOptions, classifyStatement } from '../../../src/sql/classify.js';

/** [sql, readOnly, options?] */
type Case = readonly [string, boolean, ClassifyOptions?];

const READ_ONLY: Case[] = [
  ['SELECT 1', true],
  ['select * from t where id = ?', true],
  ['  \n\tSELECT\n*\nFROM\tt', true],
  ['SeLeCt 1', true],
  ['SELECT 1;', true],
  ['SELECT 1 ; -- trailing comment', true],
  ['SELECT 1;;', true],
  ['/* leading */ SELECT 1', true],
  ['-- leading\nSELECT 1', true],
  ['# leading\nSELECT 1', true],
  ['(SELECT 1)', true],
  ['((SELECT a FROM t) UNION (SELECT b FROM u))', true],
  ['SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1 LIMIT 5', true],
  ['WITH c AS (SELECT 1) SELECT * FROM c', true],
  ['WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT * FROM c', true],
  ['WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b', true],
  ['WITH c AS (SELECT 1) (SELECT * FROM c)', true],
  ['SHOW TABLES', true],
  ['SHOW FULL PROCESSLIST', true],
  ['SHOW CREATE TABLE t', true],
  ['DESCRIBE t', true],
  ['DESC t', true],
  ['EXPLAIN SELECT * FROM t', true],
  ['EXPLAIN FORMAT=JSON SELECT * FROM t', true],
  ['EXPLAIN UPDATE t SET a = 1', true],
  ['TABLE t', true],
  ['VALUES (1, 2), (3, 4)', true],
  // keywords inside literals, identifiers and comments are not keywords
  ["SELECT 'FOR UPDATE'", true],
  ['SELECT "FOR UPDATE"', true],
  ["SELECT 'x' FROM t WHERE a = 'INTO OUTFILE'", true],
  ['SELECT `into` FROM t', true],
  ['SELECT `for`, `update` FROM `lock`', true],
  ['SELECT 1 /* FOR UPDATE */', true],
  ['SELECT 1 -- FOR UPDATE', true],
  ['SELECT 1 # FOR UPDATE', true],
  ["SELECT 'GET_LOCK(1)'", true],
  ["SELECT 'it''s', 'a\\'b FOR UPDATE'", true],
  ["SELECT _utf8mb4'INTO @x'", true],
  // harmless functions
  ["SELECT IS_FREE_LOCK('a'), IS_USED_LOCK('a')", true],
  ['SELECT SLEEP(0)', true],
  ['SELECT LAST_INSERT_ID()', true],
  ['SELECT LAST_INSERT_ID ( )', true],
  ['SELECT @v', true],
  ['SELECT @@version', true],
  // a column or alias named like an effect function is not a call
  ['SELECT get_lock FROM t', true],
  ['SELECT t.nextval FROM t', true],
  // INSERT() and REPLACE() are string functions inside a SELECT
  ["SELECT INSERT('abc', 1, 1, 'x'), REPLACE('a', 'a', 'b')", true],
  // FOR without UPDATE/SHARE (MariaDB system versioning)
  ['SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP ?', true],
  // SET STATEMENT is scoped to its statement: classified by the inner statement
  ['SET STATEMENT max_statement_time=5 FOR SELECT * FROM t', true],
  ['SET STATEMENT max_statement_time=5, sort_buffer_size=1000 FOR (SELECT 1)', true],
  // executable comments whose code is harmless
  ['SELECT /*! SQL_NO_CACHE */ 1', true],
  ['/*!50000 SELECT */ 1', true],
];

const NOT_READ_ONLY: Case[] = [
  ['', false],
  ['   ', false],
  ['-- only a comment', false],
  ['INSERT INTO t VALUES (1)', false],
  ['UPDATE t SET a = 1', false],
  ['DELETE FROM t', false],
  ['REPLACE INTO t VALUES (1)', false],
  ['CREATE TABLE t (a INT)', false],
  ['CALL p()', false],
  ['DO 1', false],
  ['SET @a = 1', false],
  ['HANDLER t OPEN', false],
  ['ANALYZE SELECT * FROM t', false],
  ['ANALYZE TABLE t', false],
  ['EXPLAIN ANALYZE SELECT * FROM t', false],
  ['DESCRIBE ANALYZE SELECT * FROM t', false],
  ['unknown_word 1', false],
  ['? SELECT', false],
  // locking reads
  ['SELECT * FROM t FOR UPDATE', false],
  ['SELECT * FROM t FOR UPDATE SKIP LOCKED', false],
  ['SELECT * FROM t FOR UPDATE NOWAIT', false],
  ['SELECT * FROM t FOR SHARE', false],
  ['SELECT * FROM t LOCK IN SHARE MODE', false],
  ['select * from t for update', false],
  ['SELECT * FROM t FOR\n\tUPDATE', false],
  ['SELECT * FROM t FOR/* x */UPDATE', false],
  ['SELECT * FROM t FOR -- x\nUPDATE', false],
  ['(SELECT * FROM t FOR UPDATE)', false],
  ['SELECT * FROM (SELECT * FROM t FOR UPDATE) x', false],
  ['WITH c AS (SELECT * FROM t FOR UPDATE) SELECT * FROM c', false],
  // executable comments are code
  ['SELECT * FROM t /*!50000 FOR UPDATE */', false],
  ['SELECT * FROM t /*! FOR UPDATE */', false],
  ['SELECT * FROM t /*M!100100 FOR UPDATE */', false],
  ['SELECT * FROM t /*!50000 LOCK IN SHARE MODE */', false],
  ["SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */", false],
  ['/*!50000 UPDATE t SET a = 1 */', false],
  // INTO
  ["SELECT * FROM t INTO OUTFILE '/tmp/x'", false],
  ["SELECT * FROM t INTO DUMPFILE '/tmp/x'", false],
  ['SELECT a INTO @x FROM t', false],
  ['SELECT a FROM t INTO @x', false],
  // assignments
  ['SELECT @x := 1', false],
  ['SELECT @x:=a FROM t', false],
  // effect functions, in any case and spacing, quoted or qualified
  ["SELECT GET_LOCK('a', 1)", false],
  ["SELECT get_lock('a', 1)", false],
  ["SELECT GET_LOCK ('a', 1)", false],
  ["SELECT GET_LOCK/* c */('a', 1)", false],
  ["SELECT `GET_LOCK`('a', 1)", false],
  ["SELECT RELEASE_LOCK('a')", false],
  ['SELECT RELEASE_ALL_LOCKS()', false],
  ['SELECT LAST_INSERT_ID(5)', false],
  ['SELECT LAST_INSERT_ID(a + 1) FROM t', false],
  ['SELECT NEXTVAL(s)', false],
  ['SELECT NEXT VALUE FOR s', false],
  ['SELECT next value for s', false],
  ['SELECT PREVIOUS VALUE FOR s', false],
  ['SELECT SETVAL(s, 10)', false],
  ['SELECT LASTVAL(s)', false],
  ["SELECT MASTER_POS_WAIT('log', 4)", false],
  ["SELECT MASTER_GTID_WAIT('0-1-1')", false],
  ["SELECT LOAD_FILE('/etc/passwd')", false],
  ["SELECT a FROM t WHERE b IN (SELECT GET_LOCK('x', 0))", false],
  // WITH whose main statement writes
  ['WITH c AS (SELECT 1) UPDATE t SET a = 1', false],
  ['WITH c AS (SELECT 1) DELETE FROM t', false],
  ['WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c', false],
  ['WITH c AS (SELECT 1)', false],
  // SET STATEMENT with a writing inner statement, or without FOR
  ['SET STATEMENT max_statement_time=5 FOR UPDATE t SET a = 1', false],
  ['SET STATEMENT max_statement_time=5 FOR SELECT * FROM t FOR UPDATE', false],
  ['SET STATEMENT max_statement_time=5', false],
  // more than one statement
  ['SELECT 1; SELECT 2', false],
  ['SELECT 1; DELETE FROM t', false],
  ['SELECT 1;/* c */SELECT 2', false],
  // lexing errors
  ["SELECT 'abc", false],
  ['SELECT 1 /* abc', false],
  ['SELECT `abc', false],
  // Unicode spaces are not whitespace to the server: SELECT\u00a01 is one identifier
  ['SELECT\u00a01', false],
  ['\u00a0SELECT 1', false],
  // NO_BACKSLASH_ESCAPES: the string ends at the second quote, the rest is code
  ["SELECT 'a\\' FOR UPDATE -- '", false, { noBackslashEscapes: true }],
  // ANSI_QUOTES: "..." is an identifier, without backslash escapes
  ['SELECT "\\" FROM t FOR UPDATE -- "', false, { ansiQuotes: true }],
];

for (const [i, [sql, expected, options]] of [...READ_ONLY, ...NOT_READ_ONLY].entries()) {
  test(`${expected ? 'read-only' : 'not read-only'}: ${JSON.stringify(sql)}${options ? ` ${JSON.stringify(options)}` : ''} #${i}`, (t) => {
    t.is(classifyStatement(sql, options).readOnly, expected);
  });
}

test('the same text is read-only under the default sql_mode but not under the modes that change quoting', (t) => {
  // Default: one string literal. NO_BACKSLASH_ESCAPES: a string, then FOR UPDATE as code.
  const sql = "SELECT 'a\\' FOR UPDATE -- '";
  t.true(classifyStatement(sql).readOnly);
  t.false(classifyStatement(sql, { noBackslashEscapes: true }).readOnly);
  const ansi = 'SELECT "\\" FROM t FOR UPDATE -- "';
  t.true(classifyStatement(ansi).readOnly);
  t.false(classifyStatement(ansi, { ansiQuotes: true }).readOnly);
});
