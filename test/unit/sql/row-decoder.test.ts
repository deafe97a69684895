/**
 * Row decoding from synthetic column definitions. The raw cells are what mysql2 3.24 returns
 * with the exported options, as observed against MariaDB 10.11: binary protocol values from
 * `execute` on a connection with DRIVER_CONNECTION_OPTIONS, text protocol cells as raw bytes (`typeCast: false`).
 */
import test from 'ava';
import { T, UNSIGNED, ZEROFILL, BINARY, driverField } from '../../helpers/driver-fields.js';
import { Code, GatewayError } from '../../../src/errors.js';
import { compileRowDecoder, type DriverField, NULL_VALUE, type WireValue } from '../../../src/sql/values.js';

const field = driverField;

const text = (s: string) => Buffer.from(s, 'utf8');

type Case = readonly [string, DriverField, unknown, WireValue];

const BINARY_CASES: Case[] = [
  [
    'BIGINT UNSIGNED max',
    field(T.LONGLONG, { flags: UNSIGNED }),
    '18446744073709551615',
    { uint64_value: '18446744073709551615' },
  ],
  ['BIGINT min', field(T.LONGLONG), '-9223372036854775808', { int64_value: '-9223372036854775808' }],
  ['BIGINT as a safe number', field(T.LONGLONG), 42, { int64_value: '42' }],
  ['INT UNSIGNED max', field(T.LONG, { flags: UNSIGNED }), 4294967295, { uint64_value: '4294967295' }],
  ['INT min', field(T.LONG), -2147483648, { int64_value: '-2147483648' }],
  ['TINYINT -128', field(T.TINY), -128, { int64_value: '-128' }],
  ['TINYINT UNSIGNED 255', field(T.TINY, { flags: UNSIGNED }), 255, { uint64_value: '255' }],
  ['SMALLINT UNSIGNED 0', field(T.SHORT, { flags: UNSIGNED }), 0, { uint64_value: '0' }],
  ['MEDIUMINT -8388608', field(T.INT24), -8388608, { int64_value: '-8388608' }],
  // YEAR carries UNSIGNED|ZEROFILL but is int64
  ['YEAR 2155', field(T.YEAR, { flags: UNSIGNED | ZEROFILL }), 2155, { int64_value: '2155' }],
  ['YEAR 0', field(T.YEAR, { flags: UNSIGNED | ZEROFILL }), 0, { int64_value: '0' }],
  [
    'DECIMAL(65,30) tiny',
    field(T.NEWDECIMAL, { decimals: 30 }),
    '-0.000000000000000000000000000001',
    { string_value: '-0.000000000000000000000000000001' },
  ],
  // binary FLOAT: the float32's exact value widened to double
  [
    'FLOAT 0.1f',
    field(T.FLOAT, { decimals: 31 }),
    0.10000000149011612,
    { double_value: 0.10000000149011612 },
  ],
  [
    'FLOAT max',
    field(T.FLOAT, { decimals: 31 }),
    3.4028234663852886e38,
    { double_value: 3.4028234663852886e38 },
  ],
  ['DOUBLE 5e-324', field(T.DOUBLE, { decimals: 31 }), 5e-324, { double_value: 5e-324 }],
  [
    'DOUBLE max',
    field(T.DOUBLE, { decimals: 31 }),
    1.7976931348623157e308,
    { double_value: 1.7976931348623157e308 },
  ],
  ['DOUBLE 1e-308', field(T.DOUBLE, { decimals: 31 }), 1e-308, { double_value: 1e-308 }],
  // mysql2 leaves out a zero fraction; MySQL's text form has the column's digits
  [
    'DATETIME(6) value',
    field(T.DATETIME, { decimals: 6 }),
    '2020-01-02 03:04:05.123456',
    { string_value: '2020-01-02 03:04:05.123456' },
  ],
  [
    'DATETIME(6) whole second',
    field(T.DATETIME, { decimals: 6 }),
    '2020-01-02 00:00:00',
    { string_value: '2020-01-02 00:00:00.000000' },
  ],
  [
    'DATETIME(6) zero date',
    field(T.DATETIME, { decimals: 6 }),
    '0000-00-00 00:00:00',
    { string_value: '0000-00-00 00:00:00.000000' },
  ],
  [
    'DATETIME(3) whole second',
    field(T.DATETIME, { decimals: 3 }),
    '2020-01-02 03:04:05',
    { string_value: '2020-01-02 03:04:05.000' },
  ],
  ['DATETIME zero date', field(T.DATETIME), '0000-00-00 00:00:00', { string_value: '0000-00-00 00:00:00' }],
  [
    'TIMESTAMP(6) whole second',
    field(T.TIMESTAMP, { decimals: 6 }),
    '2020-01-02 03:04:05',
    { string_value: '2020-01-02 03:04:05.000000' },
  ],
  [
    'TIMESTAMP(6) one microsecond',
    field(T.TIMESTAMP, { decimals: 6 }),
    '2020-01-02 03:04:05.000001',
    { string_value: '2020-01-02 03:04:05.000001' },
  ],
  ['DATE zero date', field(T.DATE), '0000-00-00', { string_value: '0000-00-00' }],
  ['DATE', field(T.DATE), '1000-01-01', { string_value: '1000-01-01' }],
  // mysql2 strips a TIME's trailing fraction zeros
  ['TIME min', field(T.TIME), '-838:59:59', { string_value: '-838:59:59' }],
  ['TIME(6) above 24 h', field(T.TIME, { decimals: 6 }), '123:45:06.5', { string_value: '123:45:06.500000' }],
  ['TIME(6) zero', field(T.TIME, { decimals: 6 }), '00:00:00', { string_value: '00:00:00.000000' }],
  [
    'TIME(6) negative micro',
    field(T.TIME, { decimals: 6 }),
    '-00:00:01.000001',
    { string_value: '-00:00:01.000001' },
  ],
  ['TIME(3) negative', field(T.TIME, { decimals: 3 }), '-00:00:00.12', { string_value: '-00:00:00.120' }],
  ['TIME(3) full', field(T.TIME, { decimals: 3 }), '12:00:00.999', { string_value: '12:00:00.999' }],
  [
    'BIT(5)',
    field(T.BIT, { flags: UNSIGNED, columnLength: 5 }),
    Buffer.from([0x15]),
    { bytes_value: Buffer.from([0x15]) },
  ],
  [
    'BIT(64)',
    field(T.BIT, { flags: UNSIGNED }),
    Buffer.alloc(8, 0xff),
    { bytes_value: Buffer.alloc(8, 0xff) },
  ],
  [
    'BINARY(4)',
    field(T.STRING, { characterSet: BINARY, encoding: 'binary' }),
    Buffer.from('00ff8000', 'hex'),
    { bytes_value: Buffer.from('00ff8000', 'hex') },
  ],
  [
    'VARBINARY invalid UTF-8',
    field(T.VAR_STRING, { characterSet: BINARY }),
    Buffer.from([0xc3, 0x28]),
    { bytes_value: Buffer.from([0xc3, 0x28]) },
  ],
  ['BLOB empty', field(T.BLOB, { characterSet: BINARY }), Buffer.alloc(0), { bytes_value: Buffer.alloc(0) }],
  ['TEXT emoji', field(T.BLOB), 'emoji 😀', { string_value: 'emoji 😀' }],
  ['VARCHAR empty is not NULL', field(T.VAR_STRING), '', { string_value: '' }],
  ['CHAR', field(T.STRING), 'ab', { string_value: 'ab' }],
  ['ENUM', field(T.STRING, { flags: 256 }), 'b', { string_value: 'b' }],
  ['SET', field(T.STRING, { flags: 2048 }), 'x,y', { string_value: 'x,y' }],
  [
    'MariaDB JSON (LONGTEXT)',
    field(T.BLOB, { extendedFormat: 'json' }),
    '{"a": 18446744073709551615}',
    { string_value: '{"a": 18446744073709551615}' },
  ],
  ['MySQL JSON (binary charset)', field(T.JSON), '{"a": 1}', { string_value: '{"a": 1}' }],
  [
    'UUID (MariaDB)',
    field(T.STRING, { extendedTypeName: 'uuid' }),
    '123e4567-e89b-12d3-a456-426655440000',
    { string_value: '123e4567-e89b-12d3-a456-426655440000' },
  ],
  [
    'GEOMETRY via binaryTypeCast',
    field(T.GEOMETRY),
    Buffer.from('e6100000', 'hex'),
    { bytes_value: Buffer.from('e6100000', 'hex') },
  ],
  ['NULL column type', field(T.NULL), 'anything', NULL_VALUE],
];

const TEXT_CASES: Case[] = [
  [
    'BIGINT UNSIGNED max',
    field(T.LONGLONG, { flags: UNSIGNED }),
    text('18446744073709551615'),
    { uint64_value: '18446744073709551615' },
  ],
  ['BIGINT min', field(T.LONGLONG), text('-9223372036854775808'), { int64_value: '-9223372036854775808' }],
  ['INT ZEROFILL', field(T.LONG, { flags: UNSIGNED | ZEROFILL }), text('0000000042'), { uint64_value: '42' }],
  [
    'INT ZEROFILL zero',
    field(T.LONG, { flags: UNSIGNED | ZEROFILL }),
    text('0000000000'),
    { uint64_value: '0' },
  ],
  ['TINYINT -128', field(T.TINY), text('-128'), { int64_value: '-128' }],
  ['YEAR 0000', field(T.YEAR, { flags: UNSIGNED | ZEROFILL }), text('0000'), { int64_value: '0' }],
  ['YEAR 1901', field(T.YEAR, { flags: UNSIGNED | ZEROFILL }), text('1901'), { int64_value: '1901' }],
  [
    'DECIMAL(65,30)',
    field(T.NEWDECIMAL, { decimals: 30 }),
    text('99999999999999999999999999999999999.999999999999999999999999999999'),
    { string_value: '99999999999999999999999999999999999.999999999999999999999999999999' },
  ],
  // 16 significant digits that mysql2's own text float parser gets wrong (9.76359957904704)
  [
    'DOUBLE 16 digits',
    field(T.DOUBLE, { decimals: 31 }),
    text('9.763599579047039'),
    { double_value: 9.763599579047039 },
  ],
  [
    'DOUBLE 965338682.6492143',
    field(T.DOUBLE, { decimals: 31 }),
    text('965338682.6492143'),
    { double_value: 965338682.6492143 },
  ],
  [
    'DOUBLE max',
    field(T.DOUBLE, { decimals: 31 }),
    text('1.7976931348623157e308'),
    { double_value: 1.7976931348623157e308 },
  ],
  ['DOUBLE 5e-324', field(T.DOUBLE, { decimals: 31 }), text('5e-324'), { double_value: 5e-324 }],
  ['DOUBLE -0 (MySQL)', field(T.DOUBLE, { decimals: 31 }), text('-0'), { double_value: -0 }],
  [
    'DOUBLE 0.30000000000000004',
    field(T.DOUBLE, { decimals: 31 }),
    text('0.30000000000000004'),
    { double_value: 0.30000000000000004 },
  ],
  // FLOAT text is the float's short form; the value is the float32 it denotes
  ['FLOAT 0.1', field(T.FLOAT, { decimals: 31 }), text('0.1'), { double_value: 0.10000000149011612 }],
  ['FLOAT 1.5', field(T.FLOAT, { decimals: 31 }), text('1.5'), { double_value: 1.5 }],
  [
    'DATETIME(6) zero date',
    field(T.DATETIME, { decimals: 6 }),
    text('0000-00-00 00:00:00.000000'),
    { string_value: '0000-00-00 00:00:00.000000' },
  ],
  [
    'TIMESTAMP(6)',
    field(T.TIMESTAMP, { decimals: 6 }),
    text('2020-01-02 03:04:05.000000'),
    { string_value: '2020-01-02 03:04:05.000000' },
  ],
  ['DATE zero', field(T.DATE), text('0000-00-00'), { string_value: '0000-00-00' }],
  [
    'TIME(6) negative',
    field(T.TIME, { decimals: 6 }),
    text('-00:00:01.000001'),
    { string_value: '-00:00:01.000001' },
  ],
  ['TIME min', field(T.TIME), text('-838:59:59'), { string_value: '-838:59:59' }],
  ['BIT(5)', field(T.BIT, { flags: UNSIGNED }), Buffer.from([0x15]), { bytes_value: Buffer.from([0x15]) }],
  [
    'VARBINARY all bytes',
    field(T.VAR_STRING, { characterSet: BINARY }),
    Buffer.from([0, 0x80, 0xff]),
    { bytes_value: Buffer.from([0, 0x80, 0xff]) },
  ],
  [
    'GEOMETRY raw WKB',
    field(T.GEOMETRY),
    Buffer.from('000000000101000000', 'hex'),
    { bytes_value: Buffer.from('000000000101000000', 'hex') },
  ],
  ['VARCHAR utf8mb4', field(T.VAR_STRING), text('é😀'), { string_value: 'é😀' }],
  ['VARCHAR empty', field(T.VAR_STRING), Buffer.alloc(0), { string_value: '' }],
  [
    'TEXT utf8mb3 (cesu8)',
    field(T.BLOB, { characterSet: 33, encoding: 'cesu8' }),
    text('ü'),
    { string_value: 'ü' },
  ],
  // MySQL's latin1 is Windows-1252: 0x80 is the euro sign
  [
    'VARCHAR latin1',
    field(T.VAR_STRING, { characterSet: 8, encoding: 'latin1' }),
    Buffer.from([0xe9, 0x80]),
    { string_value: 'é€' },
  ],
  ['MySQL JSON (binary charset)', field(T.JSON), text('{"k": "ü"}'), { string_value: '{"k": "ü"}' }],
  ['MariaDB JSON', field(T.BLOB, { extendedFormat: 'json' }), text('[1]'), { string_value: '[1]' }],
];

for (const [protocol, cases] of [
  ['binary', BINARY_CASES],
  ['text', TEXT_CASES],
] as const) {
  for (const [name, f, raw, expected] of cases) {
    test(`${protocol}: ${name}`, (t) => {
      const [value] = compileRowDecoder([f], protocol)([raw]);
      t.deepEqual(value, expected);
      if ('double_value' in expected)
        t.true(Object.is((value as { double_value: number }).double_value, expected.double_value));
    });
  }
}

test('binary DOUBLE -0 stays -0', (t) => {
  const [value] = compileRowDecoder([field(T.DOUBLE, { decimals: 31 })], 'binary')([-0]);
  t.true(Object.is((value as { double_value: number }).double_value, -0));
});

test('NULL cells are the shared NULL value in both protocols, empty strings are not', (t) => {
  for (const protocol of ['binary', 'text'] as const) {
    const decode = compileRowDecoder([field(T.VAR_STRING), field(T.LONG), field(T.VAR_STRING)], protocol);
    const row = decode([null, null, protocol === 'text' ? Buffer.alloc(0) : '']);
    t.deepEqual(row, [{ null_value: 'NULL_VALUE' }, { null_value: 'NULL_VALUE' }, { string_value: '' }]);
    t.is(row[0], NULL_VALUE);
  }
  t.true(Object.isFrozen(NULL_VALUE));
});

test('a multi-column row keeps column order', (t) => {
  const decode = compileRowDecoder(
    [
      field(T.LONGLONG, { flags: UNSIGNED }),
      field(T.VAR_STRING),
      field(T.DOUBLE),
      field(T.BLOB, { characterSet: BINARY }),
    ],
    'binary',
  );
  t.deepEqual(decode(['1', 'a', 2.5, Buffer.from([3])]), [
    { uint64_value: '1' },
    { string_value: 'a' },
    { double_value: 2.5 },
    { bytes_value: Buffer.from([3]) },
  ]);
});

const INTERNAL_FAILURES: [string, DriverField, unknown, 'binary' | 'text', Code, RegExp][] = [
  [
    'GEOMETRY parsed by mysql2 (no binaryTypeCast)',
    field(T.GEOMETRY),
    { x: 1, y: 2 },
    'binary',
    Code.INTERNAL,
    /binaryTypeCast/,
  ],
  [
    'DATETIME as a Date (no dateStrings)',
    field(T.DATETIME, { decimals: 6 }),
    new Date(0),
    'binary',
    Code.INTERNAL,
    /column 1/,
  ],
  [
    'BIGINT beyond 2^53 as a number (no bigNumberStrings)',
    field(T.LONGLONG),
    2 ** 60,
    'binary',
    Code.DATA_LOSS,
    /bigNumberStrings/,
  ],
  ['JSON parsed into an object (no jsonStrings)', field(T.JSON), { a: 1 }, 'binary', Code.INTERNAL, /string/],
  [
    'text cell already converted by mysql2 (typeCast not false)',
    field(T.DOUBLE),
    1.5,
    'text',
    Code.INTERNAL,
    /typeCast: false/,
  ],
];

for (const [name, f, raw, protocol, code, message] of INTERNAL_FAILURES) {
  test(`driver misconfiguration is an error, not silent loss: ${name}`, (t) => {
    const error = t.throws(() => compileRowDecoder([f], protocol)([raw]), { instanceOf: GatewayError });
    t.is(error?.code, code);
    t.regex(error?.message ?? '', message);
  });
}

test('a row that is not an array of the right length is refused', (t) => {
  const decode = compileRowDecoder([field(T.LONG), field(T.LONG)], 'binary');
  t.throws(() => decode({ c: 1 }), { instanceOf: GatewayError, message: /2 cells/ });
  t.throws(() => decode([1]), { instanceOf: GatewayError });
});

test('an undecodable result charset fails when compiling', (t) => {
  t.throws(
    () =>
      compileRowDecoder([field(T.VAR_STRING, { characterSet: 999, encoding: 'no-such-charset' })], 'text'),
    {
      instanceOf: GatewayError,
      message: /no-such-charset/,
    },
  );
});
