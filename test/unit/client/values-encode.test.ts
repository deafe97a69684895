/**
 * JS parameters → `Value` messages: the table in src/client/values.ts, then the same values
 * through the real protobuf serializer of QueryRequest, as the gateway will decode them.
 */
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { GatewayClientError } from '../../../src/client/errors.js';
import { gatewayStubClass } from '../../../src/client/stub.js';
import {
  encodeParam,
  encodeParams,
  type SqlParam,
  Value,
  type WireValue,
} from '../../../src/client/values.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const bytes = Buffer.from([0x00, 0xff, 0x7f, 0x80]);
const backing = new Uint8Array([9, 1, 2, 3, 9]);

const CASES: [string, SqlParam, WireValue][] = [
  ['null', null, { null_value: 'NULL_VALUE' }],
  ['undefined', undefined, { null_value: 'NULL_VALUE' }],
  ['true', true, { int64_value: '1' }],
  ['false', false, { int64_value: '0' }],
  ['0', 0, { int64_value: '0' }],
  ['-0 stays a double (sign kept)', -0, { double_value: -0 }],
  ['small int', 42, { int64_value: '42' }],
  ['negative int', -7, { int64_value: '-7' }],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, { int64_value: '9007199254740991' }],
  ['MIN_SAFE_INTEGER', Number.MIN_SAFE_INTEGER, { int64_value: '-9007199254740991' }],
  ['2^53 (integral but not safe) is a double', 2 ** 53, { double_value: 2 ** 53 }],
  ['fraction', 1.5, { double_value: 1.5 }],
  ['tiny double', 5e-324, { double_value: 5e-324 }],
  ['bigint 0', 0n, { int64_value: '0' }],
  ['bigint int64 min', INT64_MIN, { int64_value: '-9223372036854775808' }],
  ['bigint int64 max', INT64_MAX, { int64_value: '9223372036854775807' }],
  ['bigint int64 max + 1 is uint64', INT64_MAX + 1n, { uint64_value: '9223372036854775808' }],
  ['bigint uint64 max', UINT64_MAX, { uint64_value: '18446744073709551615' }],
  ['string', 'héllo 🐬', { string_value: 'héllo 🐬' }],
  ['empty string', '', { string_value: '' }],
  ['Buffer', bytes, { bytes_value: bytes }],
  ['empty Buffer', Buffer.alloc(0), { bytes_value: Buffer.alloc(0) }],
  ['Uint8Array view (offset respected)', backing.subarray(1, 4), { bytes_value: Buffer.from([1, 2, 3]) }],
  [
    'Date in UTC with microseconds',
    new Date('2024-02-29T13:45:01.123Z'),
    { string_value: '2024-02-29 13:45:01.123000' },
  ],
  ['Date at the epoch', new Date(0), { string_value: '1970-01-01 00:00:00.000000' }],
  ['Date year 0001', new Date('0001-01-01T00:00:00.000Z'), { string_value: '0001-01-01 00:00:00.000000' }],
  ['Date 9999-12-31', new Date('9999-12-31T23:59:59.999Z'), { string_value: '9999-12-31 23:59:59.999000' }],
  ['Value.null()', Value.null(), { null_value: 'NULL_VALUE' }],
  ['Value.int64(string)', Value.int64('-9223372036854775808'), { int64_value: '-9223372036854775808' }],
  ['Value.int64(number)', Value.int64(5), { int64_value: '5' }],
  ['Value.uint64(bigint)', Value.uint64(UINT64_MAX), { uint64_value: '18446744073709551615' }],
  ['Value.uint64(small number)', Value.uint64(1), { uint64_value: '1' }],
  ['Value.double(integral)', Value.double(3), { double_value: 3 }],
  ['Value.double(-0)', Value.double(-0), { double_value: -0 }],
  [
    'Value.decimal',
    Value.decimal('-12345678901234567890.000000000000000001'),
    { string_value: '-12345678901234567890.000000000000000001' },
  ],
  ['Value.decimal(bigint)', Value.decimal(10n ** 30n), { string_value: '1000000000000000000000000000000' }],
  ['Value.string', Value.string('42'), { string_value: '42' }],
  ['Value.bytes', Value.bytes(new Uint8Array([1])), { bytes_value: Buffer.from([1]) }],
  [
    'Value.datetime',
    Value.datetime(new Date('2000-01-02T03:04:05.006Z')),
    { string_value: '2000-01-02 03:04:05.006000' },
  ],
];

for (const [name, input, expected] of CASES) {
  test(`encodes ${name}`, (t) => {
    const out = encodeParam(input, 0);
    t.deepEqual(out, expected);
    if ('double_value' in expected)
      t.true(Object.is((out as { double_value: number }).double_value, expected.double_value));
    if ('bytes_value' in expected) t.true(Buffer.isBuffer((out as { bytes_value: Buffer }).bytes_value));
  });
}

const SECRET = 'hunter2-secret';
const REFUSED: [string, () => unknown][] = [
  ['bigint below int64 min', () => encodeParam(INT64_MIN - 1n, 0)],
  ['bigint above uint64 max', () => encodeParam(UINT64_MAX + 1n, 0)],
  ['NaN', () => encodeParam(Number.NaN, 0)],
  ['Infinity', () => encodeParam(Number.POSITIVE_INFINITY, 0)],
  ['-Infinity', () => encodeParam(Number.NEGATIVE_INFINITY, 0)],
  ['invalid Date', () => encodeParam(new Date(Number.NaN), 0)],
  ['Date year 10000', () => encodeParam(new Date('+010000-01-01T00:00:00Z'), 0)],
  ['Date before year 0', () => encodeParam(new Date('-000001-01-01T00:00:00Z'), 0)],
  ['plain object', () => encodeParam({ secret: SECRET } as unknown as SqlParam, 0)],
  ['array', () => encodeParam([SECRET] as unknown as SqlParam, 0)],
  ['symbol', () => encodeParam(Symbol(SECRET) as unknown as SqlParam, 0)],
  ['function', () => encodeParam((() => SECRET) as unknown as SqlParam, 0)],
  ['Value.int64 above int64 max', () => Value.int64(INT64_MAX + 1n)],
  ['Value.int64 of an unsafe number', () => Value.int64(2 ** 53)],
  ['Value.int64 of a fraction', () => Value.int64(1.5)],
  ['Value.int64 of non-digits', () => Value.int64('12a')],
  ['Value.uint64 negative', () => Value.uint64(-1n)],
  ['Value.uint64 above max', () => Value.uint64((UINT64_MAX + 1n).toString())],
  ['Value.double NaN', () => Value.double(Number.NaN)],
  ['Value.decimal of non-number text', () => Value.decimal('1.2.3')],
  ['Value.decimal of an empty string', () => Value.decimal('')],
  ['Value.decimal of a number', () => Value.decimal(1.5 as unknown as string)],
  ['Value.string of a number', () => Value.string(1 as unknown as string)],
  ['Value.bytes of a string', () => Value.bytes('ab' as unknown as Uint8Array)],
  ['Value.datetime of an invalid Date', () => Value.datetime(new Date('nope'))],
];

for (const [name, fn] of REFUSED) {
  test(`refuses ${name} with INVALID_ARGUMENT`, (t) => {
    const err = t.throws(fn, { instanceOf: GatewayClientError });
    t.is(err?.code, Code.INVALID_ARGUMENT);
    t.is(err?.codeName, 'INVALID_ARGUMENT');
    t.is(err?.reason, 'INVALID_PARAM');
    t.false(err?.message.includes(SECRET), 'the value never appears in the message');
  });
}

test('errors number the parameter from 1', (t) => {
  const err = t.throws(() => encodeParams([1, 'x', Number.NaN]), { instanceOf: GatewayClientError });
  t.regex(err?.message ?? '', /param 3:/);
});

test('encodeParams: undefined means no params; a non-array is refused', (t) => {
  t.deepEqual(encodeParams(undefined), []);
  t.throws(() => encodeParams('x' as unknown as SqlParam[]), { instanceOf: GatewayClientError });
});

test('typed params are immutable', (t) => {
  const p = Value.int64(1);
  t.true(Object.isFrozen(p));
  t.true(Object.isFrozen(p.wire));
});

/** The request as the gateway's proto-loader decodes it (same options: kind, strings for 64-bit). */
function overTheWire(params: WireValue[]): Record<string, unknown>[] {
  const method = (
    gatewayStubClass() as unknown as {
      service: {
        Query: {
          requestSerialize: (m: unknown) => Buffer;
          requestDeserialize: (b: Buffer) => { params?: Record<string, unknown>[] };
        };
      };
    }
  ).service.Query;
  return (
    method.requestDeserialize(method.requestSerialize({ cluster: '', sql: 'SELECT 1', params })).params ?? []
  );
}

test('every kind survives the real protobuf encoding exactly', (t) => {
  const input: SqlParam[] = [null, INT64_MIN, INT64_MAX + 1n, UINT64_MAX, -0, 0.1, 'ü', bytes, true];
  const wire = overTheWire(encodeParams(input));
  t.is(wire.length, input.length);
  t.is(wire[0]?.kind, 'null_value');
  t.is(wire[1]?.int64_value, '-9223372036854775808');
  t.is(wire[2]?.uint64_value, '9223372036854775808');
  t.is(wire[3]?.uint64_value, '18446744073709551615');
  t.true(Object.is(wire[4]?.double_value, -0), '-0 keeps its sign on the wire');
  t.is(wire[5]?.double_value, 0.1);
  t.is(wire[6]?.string_value, 'ü');
  t.deepEqual(wire[7]?.bytes_value, bytes);
  t.is(wire[8]?.int64_value, '1');
});
