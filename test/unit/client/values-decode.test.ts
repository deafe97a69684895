/**
 * Result `Value`s → JS: numbers while exact, bigint beyond ±(2^53-1), Buffers for bytes,
 * strings untouched (DECIMAL stays exact), null for NULL; also through the real protobuf
 * decoding of a QueryResponse, as the client receives it.
 */
import test from 'ava';
import { gatewayStubClass } from '../../../src/client/stub.js';
import { decodeInteger, decodeValue, type SqlValue, type WireValueIn } from '../../../src/client/values.js';

const CASES: [string, WireValueIn | null | undefined, SqlValue][] = [
  ['null_value', { kind: 'null_value' }, null],
  ['no field at all', {}, null],
  ['a missing Value', undefined, null],
  ['int64 0', { kind: 'int64_value', int64_value: '0' }, 0],
  ['int64 -1', { kind: 'int64_value', int64_value: '-1' }, -1],
  ['int64 MAX_SAFE', { kind: 'int64_value', int64_value: '9007199254740991' }, Number.MAX_SAFE_INTEGER],
  ['int64 MIN_SAFE', { kind: 'int64_value', int64_value: '-9007199254740991' }, Number.MIN_SAFE_INTEGER],
  ['int64 2^53 is a bigint', { kind: 'int64_value', int64_value: '9007199254740992' }, 9007199254740992n],
  [
    'int64 2^53+1 is an exact bigint',
    { kind: 'int64_value', int64_value: '9007199254740993' },
    9007199254740993n,
  ],
  ['int64 -2^53 is a bigint', { kind: 'int64_value', int64_value: '-9007199254740992' }, -9007199254740992n],
  ['int64 min', { kind: 'int64_value', int64_value: '-9223372036854775808' }, -9223372036854775808n],
  ['int64 max', { kind: 'int64_value', int64_value: '9223372036854775807' }, 9223372036854775807n],
  ['uint64 small', { kind: 'uint64_value', uint64_value: '255' }, 255],
  ['uint64 max', { kind: 'uint64_value', uint64_value: '18446744073709551615' }, 18446744073709551615n],
  ['int64 without kind', { int64_value: '7' }, 7],
  ['double', { kind: 'double_value', double_value: 0.1 }, 0.1],
  ['double 0 (set in the oneof)', { kind: 'double_value', double_value: 0 }, 0],
  [
    'DECIMAL text stays a string',
    { kind: 'string_value', string_value: '-0.000000000000000000000000000001' },
    '-0.000000000000000000000000000001',
  ],
  ['empty string', { kind: 'string_value', string_value: '' }, ''],
  ['bytes', { kind: 'bytes_value', bytes_value: Buffer.from([0, 255]) }, Buffer.from([0, 255])],
  [
    'bytes from a Uint8Array',
    { kind: 'bytes_value', bytes_value: new Uint8Array([1, 2]) },
    Buffer.from([1, 2]),
  ],
];

for (const [name, input, expected] of CASES) {
  test(`decodes ${name}`, (t) => {
    const out = decodeValue(input);
    t.deepEqual(out, expected);
    t.is(typeof out, typeof expected);
    if (Buffer.isBuffer(expected)) t.true(Buffer.isBuffer(out));
  });
}

test('decodes -0 with its sign', (t) => {
  t.true(Object.is(decodeValue({ kind: 'double_value', double_value: -0 }), -0));
});

test('decodeInteger picks number or bigint exactly at the safe boundary', (t) => {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (const n of [max - 1n, max, -max]) t.is(decodeInteger(n.toString()), Number(n));
  for (const n of [max + 1n, max + 2n, -max - 1n, -max - 2n]) t.is(decodeInteger(n.toString()), n);
  t.is(decodeInteger(5n), 5);
  t.is(decodeInteger(2n ** 60n), 2n ** 60n);
});

test('a QueryResponse decoded by the real protobuf deserializer', (t) => {
  const method = (
    gatewayStubClass() as unknown as {
      service: {
        Query: {
          responseSerialize: (m: unknown) => Buffer;
          responseDeserialize: (b: Buffer) => { rows?: { rows?: { values?: WireValueIn[] }[] } };
        };
      };
    }
  ).service.Query;
  const sent = {
    rows: {
      rows: [
        {
          values: [
            { uint64_value: '18446744073709551615' },
            { int64_value: '3' },
            { string_value: '12.50' },
            { bytes_value: Buffer.from('ab') },
            { null_value: 'NULL_VALUE' },
            { double_value: -0 },
            {},
          ],
        },
      ],
    },
  };
  const received = method.responseDeserialize(method.responseSerialize(sent));
  const row = (received.rows?.rows?.[0]?.values ?? []).map(decodeValue);
  t.deepEqual(row, [18446744073709551615n, 3, '12.50', Buffer.from('ab'), null, -0, null]);
  t.true(Object.is(row[5], -0));
});
