import test from 'ava';
import { DIGEST_MAX_LENGTH, digestText } from '../../../src/sql/digest.js';

const CASES: [string, string][] = [
  ['SELECT * FROM t WHERE id = 7', 'SELECT * FROM t WHERE id = ?'],
  ['SELECT * FROM t WHERE id=?', 'SELECT * FROM t WHERE id = ?'],
  ['SELECT  *\n\tFROM t   WHERE id = -42 ;', 'SELECT * FROM t WHERE id = ?'],
  ["SELECT name FROM t WHERE name = 'bob' AND age > 4.5e2", 'SELECT name FROM t WHERE name = ? AND age > ?'],
  // IN lists of any length, values or placeholders, fold to one form
  ['SELECT * FROM t WHERE id IN (?, ?, 3)', 'SELECT * FROM t WHERE id IN (...)'],
  ['SELECT * FROM t WHERE id IN (1)', 'SELECT * FROM t WHERE id IN (...)'],
  ["select * from t where id in(1,2,'x',NULL,-4)", 'select * from t where id in (...)'],
  // a subquery is not a value list
  [
    'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)',
    'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)',
  ],
  // multi-row VALUES folds to one row
  ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (?, ?)", 'INSERT INTO t (a, b) VALUES (...)'],
  ['INSERT INTO t VALUE (1, DEFAULT)', 'INSERT INTO t VALUE (...)'],
  // comments go, executable comments keep their code
  ['SELECT 1 /* user=bob */ -- pw x\n', 'SELECT ?'],
  ['/* leading */ SELECT a # note\nFROM t', 'SELECT a FROM t'],
  ["SELECT /*!50000 'secret', */ 1", 'SELECT ?, ?'],
  // functions, qualified names, operators
  [
    'SELECT COUNT(*), t1.c2 FROM db1.t1 WHERE a <= 3 AND b != 4',
    'SELECT COUNT(*), t1.c2 FROM db1.t1 WHERE a <= ? AND b != ?',
  ],
  ['SELECT a - 1, a-1, (a) - 1 FROM t', 'SELECT a - ?, a - ?, (a) - ? FROM t'],
  ['SELECT SLEEP(0.5)', 'SELECT SLEEP(?)'],
  ['SELECT * FROM t LIMIT 10 OFFSET 20', 'SELECT * FROM t LIMIT ? OFFSET ?'],
  ['SELECT @v, @@session.sql_mode', 'SELECT @v, @@session.sql_mode'],
  ['SELECT `weird ``name`` 3` FROM t', 'SELECT `weird ``name`` 3` FROM t'],
  ["SELECT X'DEADBEEF', 0xCAFE, b'101', N'näme', _utf8mb4'x'", 'SELECT ?, ?, ?, ?, ?'],
  // an unterminated literal hides everything after it
  ["SELECT 'abc FROM t WHERE x = 1", 'SELECT ?'],
  ['', ''],
  ['   ', ''],
];

for (const [i, [sql, expected]] of CASES.entries()) {
  test(`digest of ${JSON.stringify(sql)} #${i}`, (t) => {
    t.is(digestText(sql), expected);
  });
}

test('statements differing only in values share a digest', (t) => {
  const texts = new Set<string>();
  for (let id = 0; id < 50; id++) {
    texts.add(
      digestText(
        `SELECT * FROM t WHERE id = ${id} AND tag IN (${Array(id + 1)
          .fill("'a'")
          .join(',')})`,
      ),
    );
  }
  t.is(texts.size, 1);
});

test('long digests are cut', (t) => {
  const sql = `SELECT ${Array.from({ length: 500 }, (_, i) => `c${i}`).join(', ')} FROM t`;
  const d = digestText(sql);
  t.is(d.length, DIGEST_MAX_LENGTH);
  t.true(d.endsWith('...'));
});

test('NO_BACKSLASH_ESCAPES changes where a string ends', (t) => {
  t.is(digestText("SELECT 'a\\', b", { noBackslashEscapes: true }), 'SELECT ?, b');
});
