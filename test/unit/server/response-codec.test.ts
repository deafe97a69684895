import test from 'ava';
import { gatewayPackageDefinition } from '../../../src/server/proto.js';
import { responseSerializers, type Serializer } from '../../../src/server/response-codec.js';
import { compileColumns, type DriverField, NULL_VALUE, type WireValue } from '../../../src/sql/values.js';
import { prng } from '../../helpers/prng.js';

type Method = {
  responseSerialize: Serializer;
  responseDeserialize: (b: Buffer) => unknown;
};
const service = gatewayPackageDefinition()['mysqlgateway.v1.Gateway'] as unknown as Record<string, Method>;
const query = service.Query as Method;
const transaction = service.Transaction as Method;
const fast = responseSerializers(query.responseSerialize, transaction.responseSerialize);

const INT64_EDGES = [
  '0',
  '1',
  '-1',
  '127',
  '128',
  '-64',
  '-65',
  '999999999999999',
  '-999999999999999',
  '1000000000000000',
  '-1000000000000000',
  '4503599627370495',
  '4503599627370496',
  '9007199254740991',
  '9007199254740992',
  '-9007199254740993',
  '2147483647',
  '-2147483648',
  '4294967296',
  '9223372036854775807',
  '-9223372036854775808',
  '-0',
];
const UINT64_EDGES = [
  '0',
  '1',
  '127',
  '128',
  '16383',
  '16384',
  '999999999999999',
  '1000000000000000',
  '9007199254740993',
  '9223372036854775808',
  '18446744073709551615',
  '4294967295',
];
const DOUBLE_EDGES = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  Number.EPSILON,
  1.5,
  -3.4028234663852886e38,
];
const STRING_EDGES = [
  '',
  'a',
  'x'.repeat(48),
  'x'.repeat(49),
  'x'.repeat(127),
  'x'.repeat(128),
  'é',
  'ü'.repeat(30),
  '日本語のテキスト',
  '😀 emoji 🏳️‍🌈',
  '\u0000nul\u0000',
  '-0.000000000000000000000000000001',
  '0000-00-00 00:00:00',
  '-838:59:59.000000',
];
const HUGE_STRINGS = ['z'.repeat(300_000), 'é'.repeat(70_000)];

function randomInt64(rnd: () => number): string {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  const shift = BigInt(Math.floor(rnd() * 64));
  return BigInt.asIntN(64, ((hi << 32n) | lo) >> shift).toString();
}

function randomUint64(rnd: () => number): string {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  return (((hi << 32n) | lo) >> BigInt(Math.floor(rnd() * 64))).toString();
}

function randomDouble(rnd: () => number): number {
  const b = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) b[i] = Math.floor(rnd() * 256);
  return b.readDoubleLE(0);
}

function randomString(rnd: () => number): string {
  const n = Math.floor(rnd() ** 3 * 200);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.7) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
    else if (r < 0.85) s += String.fromCharCode(0x80 + Math.floor(rnd() * 0x700));
    else if (r < 0.95) s += String.fromCharCode(0x800 + Math.floor(rnd() * 0xd000));
    else s += String.fromCodePoint(0x10000 + Math.floor(rnd() * 0xfffff));
  }
  return s;
}

function randomBytes(rnd: () => number): Buffer {
  const n = rnd() < 0.002 ? 200_000 : Math.floor(rnd() ** 3 * 300);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function randomValue(rnd: () => number): WireValue {
  const edge = rnd() < 0.3;
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return NULL_VALUE;
    case 1:
      return { int64_value: edge ? pick(rnd, INT64_EDGES) : randomInt64(rnd) };
    case 2:
      return { uint64_value: edge ? pick(rnd, UINT64_EDGES) : randomUint64(rnd) };
    case 3:
      return { double_value: edge ? pick(rnd, DOUBLE_EDGES) : randomDouble(rnd) };
    case 4:
      return { string_value: edge ? pick(rnd, STRING_EDGES) : randomString(rnd) };
    default:
      return { bytes_value: edge ? Buffer.alloc(rnd() < 0.5 ? 0 : 1) : randomBytes(rnd) };
  }
}

function randomRows(rnd: () => number): { values: WireValue[] }[] {
  const columns = Math.floor(rnd() * 8);
  const n = Math.floor(rnd() * 40);
  return Array.from({ length: n }, () => ({
    values: Array.from({ length: columns }, () => randomValue(rnd)),
  }));
}

/** Both encodings decode to the same object, and the bytes are the same as protobufjs writes. */
function same(t: import('ava').ExecutionContext, method: Method, encode: Serializer, message: unknown): void {
  const expected = method.responseSerialize(message);
  const actual = encode(message);
  t.deepEqual(method.responseDeserialize(actual), method.responseDeserialize(expected));
  t.true(actual.equals(expected), 'same bytes as protobufjs');
}

test('rows: random batches over every Value kind and its edges, Query and Transaction', (t) => {
  const rnd = prng(20261128);
  for (let i = 0; i < 400; i++) {
    const rows = randomRows(rnd);
    same(t, query, fast.query, { rows: { rows } });
    same(t, transaction, fast.transaction, { request_id: randomString(rnd), rows: { rows } });
  }
});

test('rows: every edge value alone', (t) => {
  const values: WireValue[] = [
    NULL_VALUE,
    ...INT64_EDGES.map((v) => ({ int64_value: v })),
    ...UINT64_EDGES.map((v) => ({ uint64_value: v })),
    ...DOUBLE_EDGES.map((v) => ({ double_value: v })),
    ...STRING_EDGES.map((v) => ({ string_value: v })),
    ...HUGE_STRINGS.map((v) => ({ string_value: v })),
    { bytes_value: Buffer.alloc(0) },
    { bytes_value: Buffer.from([0, 255, 128, 10]) },
    { bytes_value: Buffer.alloc(1 << 20, 0xab) },
  ];
  for (const v of values) same(t, query, fast.query, { rows: { rows: [{ values: [v] }] } });
  same(t, query, fast.query, { rows: { rows: [{ values }] } });
  same(t, query, fast.query, { rows: { rows: [] } });
  same(t, query, fast.query, { rows: { rows: [{ values: [] }, { values: [] }] } });
});

test('-0 and NaN survive the round trip', (t) => {
  const decoded = query.responseDeserialize(
    fast.query({ rows: { rows: [{ values: [{ double_value: -0 }, { double_value: Number.NaN }] }] } }),
  ) as { rows: { rows: { values: { double_value: number }[] }[] } };
  const [negZero, nan] = decoded.rows.rows[0]?.values ?? [];
  t.true(Object.is(negZero?.double_value, -0));
  t.true(Number.isNaN(nan?.double_value));
});

test('stats and done, including 64-bit totals and empty strings', (t) => {
  const rnd = prng(7);
  const cases = [
    { row_count: '0', warning_count: 0, backend: '', backend_role: '', elapsed_us: '0' },
    {
      row_count: '1',
      warning_count: 3,
      backend: '127.0.0.1:3306',
      backend_role: 'primary',
      elapsed_us: '812',
    },
    {
      row_count: '18446744073709551615',
      warning_count: 4294967295,
      backend: 'höst:1',
      backend_role: 'replica',
      elapsed_us: '9007199254740993',
    },
    { row_count: '5' },
  ];
  for (let i = 0; i < 50; i++) {
    cases.push({
      row_count: randomUint64(rnd),
      warning_count: Math.floor(rnd() * 70000),
      backend: randomString(rnd),
      backend_role: randomString(rnd),
      elapsed_us: randomUint64(rnd),
    });
  }
  for (const stats of cases) {
    same(t, query, fast.query, { stats });
    same(t, transaction, fast.transaction, { request_id: '42', done: stats });
  }
});

const FIELDS: DriverField[] = [
  {
    name: 'id',
    table: 't',
    orgTable: 't',
    schema: 's',
    columnType: 8,
    characterSet: 63,
    flags: 35,
    decimals: 0,
    columnLength: 20,
  },
  {
    name: 'naïve',
    orgName: 'n',
    columnType: 253,
    characterSet: 224,
    flags: 0,
    decimals: 0,
    columnLength: 1020,
  },
  { name: 'd', columnType: 246, characterSet: 63, flags: 1, decimals: 30, columnLength: 67 },
];

test('metadata: encoded once per columns array, same bytes every time', (t) => {
  const columns = compileColumns(FIELDS);
  same(t, query, fast.query, { metadata: { columns } });
  same(t, query, fast.query, { metadata: { columns } });
  same(t, transaction, fast.transaction, { request_id: 'r1', metadata: { columns } });
  same(t, query, fast.query, { metadata: { columns: [] } });
  same(t, transaction, fast.transaction, { request_id: '', metadata: { columns: [] } });
});

test('other messages and shapes the encoder does not handle take the generic path', (t) => {
  const messages: unknown[] = [
    { request_id: 'b', begun: { backend: 'x:1', connection_id: '12' } },
    { request_id: 'c', committed: { consistency_token: '0-1-2' } },
    { request_id: 'r', rolled_back: {} },
    { request_id: 'e', error: { code: 3, message: 'bad', reason: 'X', transaction_rolled_back: false } },
    {
      request_id: 'x',
      executed: { affected_rows: '1', last_insert_id: '0', warning_count: 0, info: '', backend: 'b' },
    },
  ];
  for (const m of messages) same(t, transaction, fast.transaction, m);
  // Values the row decoder never produces: numbers for 64-bit fields, strings for bytes.
  same(t, query, fast.query, { rows: { rows: [{ values: [{ int64_value: 5 }] }] } });
  same(t, query, fast.query, { rows: { rows: [{ values: [{ bytes_value: 'AAEC' }] }] } });
  same(t, query, fast.query, { rows: { rows: [{ values: [{}] }] } });
  same(t, query, fast.query, { stats: { row_count: 7, elapsed_us: 1 } });
  // After a fallback the next message is encoded by hand again, correctly.
  same(t, query, fast.query, { rows: { rows: [{ values: [{ int64_value: '9223372036854775807' }] }] } });
});

test('rows, stats and cached metadata never touch the generic path', (t) => {
  let generic = 0;
  const counting =
    (s: Serializer): Serializer =>
    (m) => {
      generic++;
      return s(m);
    };
  const own = responseSerializers(counting(query.responseSerialize), counting(transaction.responseSerialize));
  const columns = compileColumns(FIELDS);
  own.query({ metadata: { columns } });
  t.is(generic, 1, 'metadata is encoded by the generic path once');
  own.query({ metadata: { columns } });
  own.transaction({ request_id: '1', metadata: { columns } });
  own.query({ rows: { rows: randomRows(prng(1)) } });
  own.transaction({ request_id: '1', rows: { rows: randomRows(prng(2)) } });
  own.query({
    stats: { row_count: '1', warning_count: 0, backend: 'b', backend_role: 'primary', elapsed_us: '5' },
  });
  own.transaction({
    request_id: '1',
    done: { row_count: '1', warning_count: 0, backend: 'b', elapsed_us: '5' },
  });
  t.is(generic, 1);
});
