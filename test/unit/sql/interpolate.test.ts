import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { interpolateSql } from '../../../src/sql/interpolate.js';
import type { WireValueInput } from '../../../src/sql/values.js';

const CASES: [string, string, WireValueInput[], string][] = [
  ['no params', 'SELECT 1', [], 'SELECT 1'],
  ['NULL and empty Value', 'SELECT ?, ?', [{ null_value: 'NULL_VALUE' }, {}], 'SELECT NULL, NULL'],
  ['int64 min', 'SELECT ?', [{ int64_value: '-9223372036854775808' }], 'SELECT -9223372036854775808'],
  ['uint64 max', 'SELECT ?', [{ uint64_value: '18446744073709551615' }], 'SELECT 18446744073709551615'],
  [
    'double stays DOUBLE',
    'SELECT ?, ?, ?',
    [{ double_value: 0.1 }, { double_value: 3 }, { double_value: -0 }],
    'SELECT 0.1e0, 3e0, -0e0',
  ],
  [
    'double exponents',
    'SELECT ?, ?',
    [{ double_value: 5e-324 }, { double_value: 1.7976931348623157e308 }],
    'SELECT 5e-324, 1.7976931348623157e+308',
  ],
  [
    'string escapes',
    'SELECT ?',
    [{ string_value: 'a\'b"c\\d\ne\rf\0g\x1ah\ti😀' }],
    "SELECT 'a\\'b\\\"c\\\\d\\ne\\rf\\0g\\Zh\ti😀'",
  ],
  ['empty string', 'SELECT ?', [{ string_value: '' }], "SELECT ''"],
  [
    'bytes as hex',
    'SELECT ?, ?',
    [{ bytes_value: Buffer.from([0, 0xff, 0x27]) }, { bytes_value: Buffer.alloc(0) }],
    "SELECT X'00ff27', X''",
  ],
  // only real placeholders are replaced
  [
    'placeholders in literals, names and comments stay',
    'SELECT \'?\', "?", `?`, ? /* ? */ -- ?\n, ?',
    [{ int64_value: '1' }, { int64_value: '2' }],
    'SELECT \'?\', "?", `?`, 1 /* ? */ -- ?\n, 2',
  ],
  ['executable comments are code', 'SELECT /*! ? */ 1', [{ string_value: 'x' }], "SELECT /*! 'x' */ 1"],
];

for (const [name, sql, values, expected] of CASES) {
  test(`interpolates ${name}`, (t) => {
    t.is(interpolateSql(sql, values), expected);
  });
}

test('NO_BACKSLASH_ESCAPES doubles quotes and leaves backslashes', (t) => {
  t.is(
    interpolateSql('SELECT ?', [{ string_value: "a'b\\c" }], { noBackslashEscapes: true }),
    "SELECT 'a''b\\c'",
  );
});

test('ANSI_QUOTES: a ? inside a double-quoted identifier is not a placeholder', (t) => {
  t.is(interpolateSql('SELECT "a\\" , ?', [{ int64_value: '1' }], { ansiQuotes: true }), 'SELECT "a\\" , 1');
});

const FAILURES: [string, string, WireValueInput[] | undefined, string][] = [
  ['too few params', 'SELECT ?, ?', [{ int64_value: '1' }], 'PARAM_COUNT_MISMATCH'],
  ['too many params', 'SELECT ?', [{ int64_value: '1' }, { int64_value: '2' }], 'PARAM_COUNT_MISMATCH'],
  ['params missing', 'SELECT ?', undefined, 'PARAM_COUNT_MISMATCH'],
  ['NaN', 'SELECT ?', [{ double_value: Number.NaN }], 'INVALID_PARAM'],
  ['bad int64', 'SELECT ?', [{ int64_value: '1; DROP TABLE t' }], 'INVALID_PARAM'],
  ['unterminated string', "SELECT '?", [{ int64_value: '1' }], 'SQL_LEXICAL_ERROR'],
];

for (const [name, sql, values, reason] of FAILURES) {
  test(`refuses ${name}`, (t) => {
    const error = t.throws(() => interpolateSql(sql, values), { instanceOf: GatewayError });
    t.is(error?.code, Code.INVALID_ARGUMENT);
    t.is(error?.reason, reason);
  });
}
