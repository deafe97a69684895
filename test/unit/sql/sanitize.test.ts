import test from 'ava';
import { sanitizeSql } from '../../../src/sql/classify.js';

const CASES: [string, string][] = [
  ['SELECT * FROM t WHERE id = ?', 'SELECT * FROM t WHERE id = ?'],
  ["SELECT * FROM t WHERE name = 'bob' AND age > 42", 'SELECT * FROM t WHERE name = ? AND age > ?'],
  ["SELECT \"double\", 'it''s', 'a\\'b'", 'SELECT ?, ?, ?'],
  ["SELECT X'DEADBEEF', 0xCAFE, b'101', 0b11, N'näme', _utf8mb4'x'", 'SELECT ?, ?, ?, ?, ?, ?'],
  ['SELECT 1.5e-3, .5, -7, 1e10', 'SELECT ?, ?, -?, ?'],
  // names are kept, including digits inside them and quoted names
  ['SELECT t1.c2, `weird ``name`` 3` FROM db1.t1', 'SELECT t1.c2, `weird ``name`` 3` FROM db1.t1'],
  ['SELECT @v, @@session.sql_mode', 'SELECT @v, @@session.sql_mode'],
  // comments may carry anything: they become a space
  ["SELECT 1 /* user=bob */ -- pw 'x'\n", 'SELECT ?    \n'],
  ['SELECT 1 # note\nFROM t', 'SELECT ?  \nFROM t'],
  // executable comments are code: markers kept, literals replaced
  ["SELECT /*!50000 'secret' */ 1", 'SELECT /*!50000 ? */ ?'],
  // an unterminated literal hides everything after it
  ["SELECT 'abc FROM t WHERE x = 1", 'SELECT ?'],
  ['SELECT 1 /* never closed', 'SELECT ? ?'],
  // b' opens a bit literal
  ["SELECT 'a', b'1", 'SELECT ?, ?'],
  ['', ''],
  ['   ', '   '],
  ['INSERT INTO t VALUES (1, ?, NULL, TRUE)', 'INSERT INTO t VALUES (?, ?, NULL, TRUE)'],
];

for (const [i, [sql, expected]] of CASES.entries()) {
  test(`sanitizes ${JSON.stringify(sql)} #${i}`, (t) => {
    t.is(sanitizeSql(sql), expected);
  });
}

test('NO_BACKSLASH_ESCAPES changes where strings end', (t) => {
  const sql = "SELECT 'a\\' , 1 -- '";
  t.is(sanitizeSql(sql), 'SELECT ?');
  t.is(sanitizeSql(sql, { noBackslashEscapes: true }), 'SELECT ? , ?  ');
});

test('no literal survives a mixed statement', (t) => {
  const secrets = ['hunter2', '4111111111111111', 'deadbeef', '3.14159'];
  const sql = `UPDATE users SET pw = '${secrets[0]}', card = ${secrets[1]}, blob = X'${secrets[2]}' WHERE pi = ${secrets[3]}`;
  const out = sanitizeSql(sql);
  for (const secret of secrets) t.false(out.includes(secret), secret);
  t.is(out, 'UPDATE users SET pw = ?, card = ?, blob = ? WHERE pi = ?');
});
