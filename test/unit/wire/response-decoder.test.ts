/**
 * The client's hand-written rows decoder against proto-loader's, over random messages (every
 * Value kind and its edges) encoded by protobufjs: the same objects, but for 64-bit integers within
 * ±(2^53-1), which it gives as numbers; and the same JS values once decoded by `decodeValue`.
 */
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { type Deserializer, responseDeserializers } from '../../../src/wire/response-decoder.js';
import { CLIENT_LOADER_OPTIONS } from '../../../src/client/stub.js';
import { decodeValue, type WireValueIn } from '../../../src/client/values.js';
import { prng } from '../../helpers/prng.js';
import { edgeValues, randomRows, randomString } from '../../helpers/random-values.js';

type Method = { responseSerialize: (m: unknown) => Buffer; responseDeserialize: Deserializer };
// The client's loader options: the generic path the decoder must agree with.
const definition = loadSync('mysqlgateway/v1/gateway.proto', CLIENT_LOADER_OPTIONS);
const service = definition['mysqlgateway.v1.Gateway'] as unknown as Record<string, Method>;
const query = service.Query as Method;
const transaction = service.Transaction as Method;
let generic = 0;
const counted =
  (d: Deserializer): Deserializer =>
  (b) => {
    generic++;
    return d(b);
  };
const fast = responseDeserializers(
  counted(query.responseDeserialize),
  counted(transaction.responseDeserialize),
);

/** 64-bit integers as decimal text, as proto-loader gives them. */
function normalise(message: unknown): unknown {
  return JSON.parse(
    JSON.stringify(message, (key, v) =>
      (key === 'int64_value' || key === 'uint64_value') && typeof v === 'number' ? String(v) : v,
    ),
    (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data) : v),
  );
}

function values(message: unknown): WireValueIn[] {
  const rows = (message as { rows?: { rows?: { values?: WireValueIn[] }[] } }).rows?.rows ?? [];
  return rows.flatMap((r) => r.values ?? []);
}

function same(
  t: import('ava').ExecutionContext,
  method: Method,
  decode: Deserializer,
  message: unknown,
): void {
  const bytes = method.responseSerialize(message);
  const expected = method.responseDeserialize(bytes);
  const actual = decode(bytes);
  // JSON cannot hold NaN, -0 or Infinity: the doubles are compared one by one below.
  t.deepEqual(normalise(actual), normalise(expected));
  const a = values(actual);
  const e = values(expected);
  t.is(a.length, e.length);
  for (let i = 0; i < a.length; i++) {
    const x = decodeValue(a[i]);
    const y = decodeValue(e[i]);
    if (typeof x === 'number') t.true(Object.is(x, y), `value ${i}: ${x} vs ${String(y)}`);
    else t.deepEqual(x, y);
  }
}

test('rows: random batches over every Value kind and its edges, Query and Transaction', (t) => {
  const rnd = prng(42424242);
  generic = 0;
  for (let i = 0; i < 400; i++) {
    const rows = randomRows(rnd);
    same(t, query, fast.query, { rows: { rows } });
    same(t, transaction, fast.transaction, {
      request_id: i % 5 === 0 ? '' : randomString(rnd),
      rows: { rows },
    });
  }
  t.is(generic, 0, 'every rows message took the hand-written path');
});

test('rows: every edge value alone and together', (t) => {
  const all = edgeValues();
  for (const v of all) same(t, query, fast.query, { rows: { rows: [{ values: [v] }] } });
  same(t, query, fast.query, { rows: { rows: [{ values: all }] } });
  same(t, query, fast.query, { rows: { rows: [] } });
  same(t, query, fast.query, { rows: { rows: [{ values: [] }, { values: [] }] } });
  same(t, transaction, fast.transaction, { request_id: 'r', rows: { rows: [{ values: all }] } });
});

test('64-bit integers: numbers exactly when safe, decimal text beyond', (t) => {
  const decoded = fast.query(
    query.responseSerialize({
      rows: {
        rows: [
          {
            values: [
              { int64_value: '9007199254740991' },
              { int64_value: '-9007199254740991' },
              { int64_value: '9007199254740992' },
              { int64_value: '-9223372036854775808' },
              { uint64_value: '18446744073709551615' },
            ],
          },
        ],
      },
    }),
  );
  t.deepEqual(
    values(decoded).map((v) => v.int64_value ?? v.uint64_value),
    [
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      '9007199254740992',
      '-9223372036854775808',
      '18446744073709551615',
    ],
  );
});

test('other messages, and rows messages it does not recognise, take the generic path', (t) => {
  const messages: [Method, Deserializer, unknown][] = [
    [query, fast.query, { metadata: { columns: [{ name: 'a', type: 'COLUMN_TYPE_LONG' }] } }],
    [query, fast.query, { stats: { row_count: '3', backend: 'b' } }],
    [transaction, fast.transaction, { request_id: 'b', begun: { backend: 'x:1', connection_id: '12' } }],
    [transaction, fast.transaction, { request_id: 'd', done: { row_count: '1' } }],
    [transaction, fast.transaction, { request_id: '', committed: { consistency_token: 't' } }],
  ];
  for (const [method, decode, m] of messages) {
    generic = 0;
    same(t, method, decode, m);
    t.is(generic, 1);
  }
  // A Value with two fields set (protobuf keeps the last): not what the gateway sends, still decoded right.
  const twoFields = Buffer.from([0x12, 0x08, 0x0a, 0x06, 0x0a, 0x04, 0x10, 0x02, 0x08, 0x00]);
  generic = 0;
  t.deepEqual(fast.query(twoFields), query.responseDeserialize(twoFields));
  t.is(generic, 1);
  // Truncated bytes: the generic decoder's error, not a wrong row.
  const truncated = query
    .responseSerialize({ rows: { rows: [{ values: [{ string_value: 'abcdef' }] }] } })
    .subarray(0, 8);
  const before = generic;
  t.throws(() => fast.query(truncated), { instanceOf: RangeError, message: /^index out of range/ });
  t.is(generic, before + 1, 'thrown by the generic decoder');
});

test('result (a whole small result in one message): the same objects as proto-loader, rows by hand', (t) => {
  const rnd = prng(6122026);
  const stats = {
    row_count: '3',
    warning_count: 1,
    backend: 'r1:3306',
    backend_role: 'replica',
    elapsed_us: '99',
  };
  const metadata = {
    columns: [{ name: 'id', type: 'COLUMN_TYPE_LONGLONG', type_name: 'BIGINT', nullable: true }],
  };
  for (let i = 0; i < 200; i++) {
    same(t, query, fast.query, { result: { metadata, rows: { rows: randomRows(rnd) }, stats } });
  }
  same(t, query, fast.query, { result: { metadata, stats } });
  same(t, query, fast.query, { result: { metadata: {}, rows: { rows: [] }, stats: {} } });
  const before = generic;
  fast.query(query.responseSerialize({ result: { metadata, rows: { rows: randomRows(rnd) }, stats } }));
  t.is(generic - before, 2, 'metadata and stats by the generic decoder, rows by hand');
});

test('result messages it does not recognise take the generic path whole', (t) => {
  // A QueryResult with field 2 twice (protobuf merges repeated message fields): generic.
  const row = query.responseSerialize({ rows: { rows: [{ values: [{ string_value: 'a' }] }] } });
  const rowsField = row.subarray(0); // 0x12 len RowBatch
  const inner = Buffer.concat([rowsField, rowsField]);
  const bytes = Buffer.concat([Buffer.from([0x22, inner.length]), inner]);
  const before = generic;
  const decoded = fast.query(bytes);
  t.is(generic - before, 1, 'one generic decode of the whole message');
  t.deepEqual(normalise(decoded), normalise(query.responseDeserialize(bytes)));
});

test('query_result in a Transaction stream: the same objects as proto-loader, with its request_id', (t) => {
  const rnd = prng(99);
  const done = { row_count: '3', backend: 'p:1', elapsed_us: '5' };
  const metadata = { columns: [{ name: 'c', type: 'COLUMN_TYPE_VARCHAR' }] };
  for (const id of ['', '1', 'long-'.repeat(40)]) {
    same(t, transaction, fast.transaction, {
      request_id: id,
      query_result: { metadata, rows: { rows: randomRows(rnd) }, stats: done },
    });
    same(t, transaction, fast.transaction, { request_id: id, query_result: { metadata, stats: done } });
  }
  // Other Transaction messages after a request_id still decode (generically).
  same(t, transaction, fast.transaction, { request_id: '4', metadata });
  same(t, transaction, fast.transaction, { request_id: '4', done });
});
