import test from 'ava';
import { classifyStatement, SUMMARY_MAX_LENGTH } from '../../../src/sql/classify.js';

const CASES: [string, string][] = [
  ['SELECT 1', 'SELECT'],
  ['SELECT * FROM users WHERE id = ?', 'SELECT users'],
  ['select * from Users', 'SELECT Users'],
  ['SELECT * FROM `order items`', 'SELECT order items'],
  ['SELECT * FROM shop.orders', 'SELECT shop.orders'],
  ['SELECT * FROM `shop`.`orders` o', 'SELECT shop.orders'],
  ['SELECT * FROM users u JOIN orders o ON o.user_id = u.id', 'SELECT users orders'],
  [
    'SELECT * FROM users u LEFT OUTER JOIN orders o USING (id) STRAIGHT_JOIN items',
    'SELECT users orders items',
  ],
  ['SELECT * FROM a, b AS x, c WHERE a.id = b.id', 'SELECT a b c'],
  ['SELECT a, b FROM t ORDER BY a, b', 'SELECT t'],
  ['SELECT a FROM t GROUP BY a, b LIMIT 1, 2', 'SELECT t'],
  ['SELECT * FROM t WHERE id IN (SELECT id FROM u)', 'SELECT t SELECT u'],
  ['SELECT * FROM (SELECT * FROM t) x', 'SELECT SELECT t'],
  ['SELECT a FROM t UNION SELECT b FROM u', 'SELECT t SELECT u'],
  ['SELECT 1 FROM DUAL', 'SELECT'],
  ['INSERT INTO orders (a, b) VALUES (?, ?), (?, ?)', 'INSERT orders'],
  ['INSERT orders VALUES (1)', 'INSERT orders'],
  ['INSERT LOW_PRIORITY IGNORE INTO db.orders SET a = 1', 'INSERT db.orders'],
  ['INSERT INTO t (a) SELECT a FROM u', 'INSERT t SELECT u'],
  ['REPLACE INTO t VALUES (1)', 'REPLACE t'],
  ['UPDATE users SET name = ? WHERE id = ?', 'UPDATE users'],
  ['UPDATE LOW_PRIORITY a, b SET a.x = b.x', 'UPDATE a b'],
  ['UPDATE a JOIN b ON a.id = b.id SET a.x = 1, a.y = 2', 'UPDATE a b'],
  ['DELETE FROM sessions WHERE expires < NOW()', 'DELETE sessions'],
  ['DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id', 'DELETE t1 t2'],
  ['WITH c AS (SELECT * FROM t) SELECT * FROM c', 'SELECT t SELECT c'],
  ['WITH c AS (SELECT * FROM t) UPDATE u SET a = 1', 'SELECT t UPDATE u'],
  ['TABLE t', 'TABLE t'],
  ['CALL refresh_stats(?)', 'CALL refresh_stats'],
  ['CREATE TABLE t (a INT, b INT)', 'CREATE TABLE t'],
  ['CREATE TEMPORARY TABLE IF NOT EXISTS tt SELECT * FROM t', 'CREATE TABLE tt SELECT t'],
  ['CREATE OR REPLACE VIEW v AS SELECT * FROM t', 'CREATE VIEW v SELECT t'],
  ['ALTER TABLE t ADD x INT, ADD y INT', 'ALTER TABLE t'],
  ['DROP TABLE IF EXISTS a, b', 'DROP TABLE a b'],
  ['CREATE INDEX i ON t (a)', 'CREATE INDEX'],
  ["CREATE USER 'bob'@'%' IDENTIFIED BY 'secret'", 'CREATE USER'],
  ['CREATE DATABASE shop', 'CREATE DATABASE'],
  ['TRUNCATE TABLE t', 'TRUNCATE t'],
  ["LOAD DATA INFILE '/x' INTO TABLE t", 'LOAD t'],
  ['SET @a = 1', 'SET'],
  ['SET STATEMENT max_statement_time=1 FOR SELECT * FROM t', 'SELECT t'],
  ['SHOW TABLES', 'SHOW'],
  ['BEGIN', 'BEGIN'],
  ['SELECT 1; INSERT INTO t VALUES (1)', 'SELECT; INSERT t'],
  ['foo', ''],
  ['', ''],
  // literals never reach the summary
  ["SELECT 'secret' FROM t WHERE a = 'x'", 'SELECT t'],
];

for (const [i, [sql, summary]] of CASES.entries()) {
  test(`summary of ${JSON.stringify(sql)} #${i}`, (t) => {
    t.is(classifyStatement(sql).summary, summary);
  });
}

test('the summary is bounded and made of whole parts', (t) => {
  const tables = Array.from({ length: 100 }, (_, i) => `table_number_${i}`);
  const summary = classifyStatement(`SELECT * FROM ${tables.join(', ')}`).summary;
  t.true(summary.length <= SUMMARY_MAX_LENGTH);
  t.true(summary.length > SUMMARY_MAX_LENGTH - 20);
  const parts = summary.split(' ');
  t.is(parts[0], 'SELECT');
  t.deepEqual(parts.slice(1), tables.slice(0, parts.length - 1));
});
