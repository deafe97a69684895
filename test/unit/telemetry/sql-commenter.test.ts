import test from 'ava';
import { traceparentOf, withSqlComment } from '../../../src/telemetry/sql-commenter.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const C = `/*traceparent='${TP}'*/`;

const CASES: [string, string][] = [
  ['SELECT 1', `SELECT 1 ${C}`],
  ['SELECT * FROM t WHERE id = ?', `SELECT * FROM t WHERE id = ? ${C}`],
  // in front of the terminator and trailing whitespace
  ['SELECT 1;', `SELECT 1 ${C};`],
  ['SELECT 1 ;  \n', `SELECT 1 ${C} ;  \n`],
  ['UPDATE t SET a = ?;;', `UPDATE t SET a = ? ${C};;`],
  // a statement that holds (or may hold) a comment is left as it is (sqlcommenter spec)
  ['SELECT 1 /* mine */', 'SELECT 1 /* mine */'],
  ['SELECT /*+ MAX_EXECUTION_TIME(1) */ 1', 'SELECT /*+ MAX_EXECUTION_TIME(1) */ 1'],
  ['SELECT 1 -- trailing', 'SELECT 1 -- trailing'],
  ['SELECT 1 # trailing', 'SELECT 1 # trailing'],
  ["SELECT 'a#b'", "SELECT 'a#b'"],
];

for (const [i, [sql, expected]] of CASES.entries()) {
  test(`comments ${JSON.stringify(sql)} #${i}`, (t) => {
    t.is(withSqlComment(sql, TP), expected);
  });
}

test('never quadratic on long whitespace runs', (t) => {
  const sql = `SELECT 1${' '.repeat(200_000)}FROM t${' '.repeat(200_000)}`;
  const started = performance.now();
  const out = withSqlComment(sql, TP);
  t.true(out.startsWith(`SELECT 1${' '.repeat(200_000)}FROM t ${C}`));
  // A regex scan from every position would take minutes here; this is a sanity bound, not a speed goal.
  t.true(performance.now() - started < 5000);
});

test('traceparent of a span context', (t) => {
  t.is(traceparentOf('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1), TP);
  t.is(
    traceparentOf('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 0),
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
  );
});
