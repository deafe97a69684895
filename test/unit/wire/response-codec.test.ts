import test from 'ava';
import { Code } from '../../../src/errors.js';
import { gatewayPackageDefinition } from '../../../src/wire/proto.js';
import { responseSerializers, type Serializer } from '../../../src/wire/response-codec.js';
import { EncodedRows, RowBatchBuilder } from '../../../src/wire/row-batch-builder.js';
import { compileColumns, type WireValue } from '../../../src/sql/values.js';
import { DRIVER_FIELDS } from '../../helpers/driver-fields.js';
import { prng } from '../../helpers/prng.js';
import { edgeValues, randomRows, randomString, randomUint64 } from '../../helpers/random-values.js';

type Method = {
  responseSerialize: Serializer;
  responseDeserialize: (b: Buffer) => unknown;
};
const service = gatewayPackageDefinition()['mysqlgateway.v1.Gateway'] as unknown as Record<string, Method>;
const query = service.Query as Method;
const transaction = service.Transaction as Method;
const fast = responseSerializers(query.responseSerialize, transaction.responseSerialize);

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
  const values = edgeValues();
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

test('metadata: encoded once per columns array, same bytes every time', (t) => {
  const columns = compileColumns(DRIVER_FIELDS);
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
    {
      request_id: 'e',
      error: { code: Code.INVALID_ARGUMENT, message: 'bad', reason: 'X', transaction_rolled_back: false },
    },
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
  const columns = compileColumns(DRIVER_FIELDS);
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

test('pre-encoded rows (RowBatchBuilder): same bytes as protobufjs, with short and long request ids', (t) => {
  const rnd = prng(5150);
  // One builder for every batch, all framed only after all were built: a later batch never
  // overwrites an earlier one, and framing one (in its headroom) never touches another.
  const builder = new RowBatchBuilder();
  const built: { rows: { values: WireValue[] }[]; encoded: EncodedRows; requestId: string | undefined }[] =
    [];
  for (let i = 0; i < 300; i++) {
    const rows = randomRows(rnd);
    let bytes = 0;
    for (const row of rows) bytes += builder.add(row.values);
    t.is(builder.count, rows.length);
    t.is(builder.byteLength, bytes);
    const requestId = i % 3 === 0 ? undefined : i % 3 === 1 ? String(i) : randomString(rnd);
    built.push({ rows, encoded: builder.take(), requestId });
  }
  for (const { rows, encoded, requestId } of built) {
    t.is(encoded.count, rows.length);
    const expected =
      requestId === undefined
        ? query.responseSerialize({ rows: { rows } })
        : transaction.responseSerialize({ request_id: requestId, rows: { rows } });
    const actual =
      requestId === undefined
        ? fast.query({ rows: { rows: encoded } })
        : fast.transaction({ request_id: requestId, rows: { rows: encoded } });
    t.true(actual.equals(expected), 'same bytes as protobufjs');
  }
});

test('RowBatchBuilder: discard drops the batch being built; an empty take is an empty batch', (t) => {
  const builder = new RowBatchBuilder();
  builder.add([{ string_value: 'kept' }]);
  const first = builder.take();
  builder.add([{ string_value: 'dropped' }]);
  builder.discard();
  t.is(builder.count, 0);
  t.is(builder.byteLength, 0);
  builder.add([{ int64_value: '-1' }]);
  const second = builder.take();
  t.true(
    fast
      .query({ rows: { rows: first } })
      .equals(query.responseSerialize({ rows: { rows: [{ values: [{ string_value: 'kept' }] }] } })),
  );
  t.true(
    fast
      .query({ rows: { rows: second } })
      .equals(query.responseSerialize({ rows: { rows: [{ values: [{ int64_value: '-1' }] }] } })),
  );
  t.true(
    fast.query({ rows: { rows: builder.take() } }).equals(query.responseSerialize({ rows: { rows: [] } })),
  );
  t.deepEqual(EncodedRows.of([]).bytes, Buffer.alloc(0));
});

test('RowBatchBuilder: a value the encoder cannot represent fails INTERNAL, and the builder goes on', (t) => {
  const builder = new RowBatchBuilder();
  builder.add([{ string_value: 'a' }]);
  const err = t.throws(() => builder.add([{ int64_value: 'not a number' } as unknown as WireValue]));
  t.is((err as { reason?: string }).reason, 'ROW_ENCODING');
  builder.add([{ string_value: 'b' }]);
  const rows = [{ values: [{ string_value: 'a' }] }, { values: [{ string_value: 'b' }] }];
  t.true(fast.query({ rows: { rows: builder.take() } }).equals(query.responseSerialize({ rows: { rows } })));
});

test('result (a whole small result in one message): same bytes as protobufjs, rows pre-encoded or not', (t) => {
  const rnd = prng(20261206);
  const columns = compileColumns(DRIVER_FIELDS);
  const stats = {
    row_count: '1',
    warning_count: 2,
    backend: '127.0.0.1:3306',
    backend_role: 'replica',
    elapsed_us: '73',
  };
  for (let i = 0; i < 200; i++) {
    const rows = randomRows(rnd);
    const message = { result: { metadata: { columns }, rows: { rows }, stats } };
    same(t, query, fast.query, message);
    const preEncoded = fast.query({
      result: { metadata: { columns }, rows: { rows: EncodedRows.of(rows) }, stats },
    });
    t.true(preEncoded.equals(query.responseSerialize(message)), 'pre-encoded rows: same bytes');
  }
  // No rows (the field is left out), no columns, an empty batch, zero totals.
  same(t, query, fast.query, { result: { metadata: { columns }, stats } });
  same(t, query, fast.query, { result: { metadata: { columns: [] }, stats: { row_count: '0' } } });
  same(t, query, fast.query, { result: { metadata: { columns: [] }, rows: { rows: [] }, stats } });
  // Decoded by the server's own generic decoder: the three parts, as sent.
  const decoded = query.responseDeserialize(
    fast.query({
      result: { metadata: { columns }, rows: { rows: [{ values: [{ string_value: 'x' }] }] }, stats },
    }),
  ) as {
    payload: string;
    result: { rows: { rows: { values: { string_value: string }[] }[] }; stats: unknown };
  };
  t.is(decoded.payload, 'result');
  t.is(decoded.result.rows.rows[0]?.values[0]?.string_value, 'x');
  t.deepEqual(decoded.result.stats, stats);
});

test('result never touches the generic path once its metadata is cached', (t) => {
  let generic = 0;
  const own = responseSerializers((m) => {
    generic++;
    return query.responseSerialize(m);
  }, transaction.responseSerialize);
  const columns = compileColumns(DRIVER_FIELDS);
  const stats = { row_count: '1', elapsed_us: '5' };
  own.query({
    result: { metadata: { columns }, rows: { rows: EncodedRows.of(randomRows(prng(3))) }, stats },
  });
  t.is(generic, 1, 'the metadata, once');
  own.query({
    result: { metadata: { columns }, rows: { rows: EncodedRows.of(randomRows(prng(4))) }, stats },
  });
  t.is(generic, 1);
  // A result with a part the encoder does not know takes the generic path (and still encodes).
  const odd = own.query({ result: { metadata: { columns }, stats: { row_count: 5 } } });
  t.is(generic, 2, 'a number for a 64-bit total: generic');
  t.true(odd.equals(query.responseSerialize({ result: { metadata: { columns }, stats: { row_count: 5 } } })));
});

test('query_result in a Transaction stream: same bytes as protobufjs, after short and long request ids', (t) => {
  const rnd = prng(1212);
  const columns = compileColumns(DRIVER_FIELDS);
  const done = { row_count: '2', warning_count: 0, backend: 'p:1', elapsed_us: '9' };
  for (const id of ['', '7', 'x'.repeat(300), randomString(rnd)]) {
    const rows = randomRows(rnd);
    const message = { request_id: id, query_result: { metadata: { columns }, rows: { rows }, stats: done } };
    same(t, transaction, fast.transaction, message);
    const preEncoded = fast.transaction({
      request_id: id,
      query_result: { metadata: { columns }, rows: { rows: EncodedRows.of(rows) }, stats: done },
    });
    t.true(preEncoded.equals(transaction.responseSerialize(message)));
    same(t, transaction, fast.transaction, {
      request_id: id,
      query_result: { metadata: { columns }, stats: done },
    });
  }
});

test('a transaction replay report rides on metadata and done too: those take the generic path and keep it', (t) => {
  const replayed = {
    backend: 'db:3306',
    connection_id: '42',
    previous_connection_id: '41',
    statements: 3,
    elapsed_us: '1500',
  };
  const columns = compileColumns(DRIVER_FIELDS);
  for (const m of [
    { request_id: 'q', metadata: { columns }, replayed },
    { request_id: 'q', done: { row_count: 1, elapsed_us: 2 }, replayed },
  ]) {
    same(t, transaction, fast.transaction, m);
    t.like(transaction.responseDeserialize(fast.transaction(m)), { replayed: { connection_id: '42' } });
  }
});

test('a replay report on a query_result with pre-encoded rows: encoded by hand, replayed last, as protobufjs', (t) => {
  const replayed = {
    backend: 'db:3306',
    connection_id: '9',
    previous_connection_id: '8',
    statements: 1,
    elapsed_us: '7',
  };
  const columns = compileColumns(DRIVER_FIELDS);
  const rows = randomRows(prng(77));
  const stats = { row_count: String(rows.length), elapsed_us: '3' };
  const wire = { request_id: 'r', query_result: { metadata: { columns }, rows: { rows }, stats }, replayed };
  const bytes = fast.transaction({
    request_id: 'r',
    query_result: { metadata: { columns }, rows: { rows: EncodedRows.of(rows) }, stats },
    replayed,
  });
  t.true(bytes.equals(transaction.responseSerialize(wire)), 'same bytes as protobufjs');
  t.like(transaction.responseDeserialize(bytes), {
    replayed: { connection_id: '9' },
    result: 'query_result',
  });
});
