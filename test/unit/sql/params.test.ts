import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { toDriverParams, type WireValueInput } from '../../../src/sql/values.js';

// mysql2's own COM_STMT_EXECUTE encoder, to check the exact bytes a parameter becomes.
const require = createRequire(import.meta.url);
const mysql2Dir = dirname(require.resolve('mysql2/package.json'));
const Execute = require(join(mysql2Dir, 'lib/packets/execute.js')) as new (
  id: number,
  parameters: unknown[],
  charsetNumber: number,
  timezone: string,
  attributes?: unknown,
  clientFlags?: number,
  jsonAsString?: boolean,
  parameterDefinitions?: unknown[],
) => { toPacket(): { buffer: Buffer } };

const UTF8MB4_UNICODE_CI = 224;

interface Wire {
  /** MYSQL_TYPE_* and the unsigned flag byte (0x80) per parameter. */
  readonly types: [number, number][];
  readonly nullBitmap: number[];
  /** Value bytes of all non-NULL parameters, in order. */
  readonly values: string;
}

/** The COM_STMT_EXECUTE parameter block mysql2 writes for `params`. */
function wire(params: unknown[], hints?: unknown[]): Wire {
  const buffer = new Execute(1, params, UTF8MB4_UNICODE_CI, 'local', undefined, 0, false, hints).toPacket()
    .buffer;
  // 4 header, 1 command, 4 statement id, 1 flags, 4 iteration count
  let offset = 14;
  const bitmapLength = (params.length + 7) >> 3;
  const nullBitmap = [...buffer.subarray(offset, offset + bitmapLength)];
  offset += bitmapLength + 1; // new-params-bound flag
  const types: [number, number][] = [];
  for (let i = 0; i < params.length; i++, offset += 2) types.push([buffer[offset]!, buffer[offset + 1]!]);
  return { types, nullBitmap, values: buffer.subarray(offset).toString('hex') };
}

const LONGLONG = 0x08;
const DOUBLE = 0x05;
const NULL = 0x06;
const VAR_STRING = 0xfd;
const BLOB = 0xfc;
const UNSIGNED = 0x80;

function doubleHex(n: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b.toString('hex');
}

const CASES: [string, WireValueInput, [number, number], string][] = [
  [
    'int64 min',
    { int64_value: '-9223372036854775808', kind: 'int64_value' },
    [LONGLONG, 0],
    '0000000000000080',
  ],
  ['int64 max', { int64_value: '9223372036854775807' }, [LONGLONG, 0], 'ffffffffffffff7f'],
  ['int64 -1', { int64_value: '-1' }, [LONGLONG, 0], 'ffffffffffffffff'],
  ['int64 0', { int64_value: '0' }, [LONGLONG, 0], '0000000000000000'],
  ['int64 as a number', { int64_value: 42 }, [LONGLONG, 0], '2a00000000000000'],
  ['int64 as a bigint', { int64_value: -2n }, [LONGLONG, 0], 'feffffffffffffff'],
  ['uint64 max', { uint64_value: '18446744073709551615' }, [LONGLONG, UNSIGNED], 'ffffffffffffffff'],
  ['uint64 2^63', { uint64_value: '9223372036854775808' }, [LONGLONG, UNSIGNED], '0000000000000080'],
  ['uint64 0', { uint64_value: '0', kind: 'uint64_value' }, [LONGLONG, UNSIGNED], '0000000000000000'],
  ['double -0', { double_value: -0 }, [DOUBLE, 0], '0000000000000080'],
  ['double 0', { double_value: 0 }, [DOUBLE, 0], '0000000000000000'],
  ['double 5e-324', { double_value: 5e-324 }, [DOUBLE, 0], '0100000000000000'],
  ['double max', { double_value: 1.7976931348623157e308 }, [DOUBLE, 0], 'ffffffffffffef7f'],
  ['double 1e-308', { double_value: 1e-308 }, [DOUBLE, 0], doubleHex(1e-308)],
  ['double 0.1', { double_value: 0.1 }, [DOUBLE, 0], '9a9999999999b93f'],
  ['double integral 3 stays DOUBLE', { double_value: 3 }, [DOUBLE, 0], '0000000000000840'],
  ['string emoji', { string_value: '😀', kind: 'string_value' }, [VAR_STRING, 0], '04f09f9880'],
  ['string empty', { string_value: '' }, [VAR_STRING, 0], '00'],
  [
    'string looking like a number',
    { string_value: '18446744073709551615' },
    [VAR_STRING, 0],
    `14${Buffer.from('18446744073709551615').toString('hex')}`,
  ],
  ['bytes invalid UTF-8', { bytes_value: Buffer.from([0xc3, 0x28, 0xff, 0x00]) }, [BLOB, 0], '04c328ff00'],
  ['bytes empty', { bytes_value: Buffer.alloc(0) }, [BLOB, 0], '00'],
  ['bytes as Uint8Array', { bytes_value: new Uint8Array([1, 2, 3]) }, [BLOB, 0], '03010203'],
];

for (const [name, value, type, hex] of CASES) {
  test(`param ${name}`, (t) => {
    const w = wire(toDriverParams([value]));
    t.deepEqual(w.types, [type]);
    t.deepEqual(w.nullBitmap, [0]);
    t.is(w.values, hex);
  });
}

test('NULL and the empty Value are sent as NULL', (t) => {
  const w = wire(
    toDriverParams([{ null_value: 'NULL_VALUE', kind: 'null_value' }, {}, { int64_value: '1' }, {}]),
  );
  t.deepEqual(
    w.types.map(([type]) => type),
    [NULL, NULL, LONGLONG, NULL],
  );
  t.deepEqual(w.nullBitmap, [0b1011]);
  t.is(w.values, '0100000000000000');
});

test('server type hints do not re-type parameters', (t) => {
  // mysql2 adopts an integer type the server reports for a placeholder when given a plain number.
  const hints = [
    { columnType: LONGLONG, flags: 0 },
    { columnType: 0x01, flags: 0 },
  ];
  const w = wire(toDriverParams([{ double_value: 3 }, { int64_value: '5' }]), hints);
  t.deepEqual(w.types, [
    [DOUBLE, 0],
    [LONGLONG, 0],
  ]);
});

test('no params, undefined params', (t) => {
  t.deepEqual(toDriverParams(undefined), []);
  t.deepEqual(toDriverParams([]), []);
});

const INVALID: [string, WireValueInput | null, RegExp][] = [
  ['int64 fraction', { int64_value: '1.5' }, /int64_value/],
  ['int64 empty', { int64_value: '' }, /int64_value/],
  ['int64 padded', { int64_value: ' 1' }, /int64_value/],
  ['int64 plus sign', { int64_value: '+1' }, /int64_value/],
  ['int64 hex', { int64_value: '0x10' }, /int64_value/],
  ['int64 above max', { int64_value: '9223372036854775900' }, /int64_value is outside/],
  ['int64 below min', { int64_value: '-9223372036854775809' }, /int64_value is outside/],
  ['int64 unsafe number', { int64_value: 2 ** 60 }, /int64_value/],
  ['int64 float number', { int64_value: 1.5 }, /int64_value/],
  ['uint64 negative', { uint64_value: '-1' }, /uint64_value is outside/],
  ['uint64 above max', { uint64_value: '18446744073709551616' }, /uint64_value is outside/],
  ['uint64 huge', { uint64_value: '1'.repeat(40) }, /uint64_value/],
  ['double NaN', { double_value: Number.NaN }, /finite/],
  ['double Infinity', { double_value: Number.POSITIVE_INFINITY }, /finite/],
  ['double -Infinity', { double_value: Number.NEGATIVE_INFINITY }, /finite/],
  ['double as string', { double_value: '1.5' }, /double_value/],
  ['string as number', { string_value: 7 }, /string_value/],
  ['bytes as string', { bytes_value: 'AAEC' }, /bytes_value/],
  ['two fields', { int64_value: '1', string_value: 'x' }, /more than one/],
  ['unknown kind', { kind: 'decimal_value' }, /unknown Value kind/],
  ['kind without its field', { kind: 'int64_value' }, /int64_value is missing/],
  ['not a message', null, /not a Value/],
];

for (const [name, value, message] of INVALID) {
  test(`rejects ${name} with INVALID_ARGUMENT naming the param, not the value`, (t) => {
    const error = t.throws(
      () => toDriverParams([{ int64_value: '1' }, { string_value: 'ok' }, value as WireValueInput]),
      {
        instanceOf: GatewayError,
      },
    );
    t.is(error?.code, Code.INVALID_ARGUMENT);
    t.is(error?.reason, 'INVALID_PARAM');
    t.regex(error?.message ?? '', /^param 3: /);
    t.regex(error?.message ?? '', message);
    const raw =
      value === null ? undefined : Object.values(value).find((v) => v !== undefined && v !== value.kind);
    if (typeof raw === 'string' && raw.length > 2)
      t.false(error?.message.includes(raw), 'the value is echoed');
  });
}
