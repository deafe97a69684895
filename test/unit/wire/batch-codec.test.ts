/**
 * The hand-written BatchResponse encoder against proto-loader's: every step outcome, random rows
 * over every Value kind, 64-bit figures, empty strings and lists; anything it does not recognise
 * goes through the generic path unchanged.
 */
import test from 'ava';
import { compileColumns } from '../../../src/sql/values.js';
import { batchResponseSerializer } from '../../../src/wire/batch-codec.js';
import { gatewayPackageDefinition } from '../../../src/wire/proto.js';
import { responseSerializers, type Serializer } from '../../../src/wire/response-codec.js';
import { DRIVER_FIELDS } from '../../helpers/driver-fields.js';
import { prng } from '../../helpers/prng.js';
import { edgeValues, randomRows, randomString, randomUint64 } from '../../helpers/random-values.js';

type Method = { responseSerialize: Serializer; responseDeserialize: (b: Buffer) => unknown };
const service = gatewayPackageDefinition()['mysqlgateway.v1.Gateway'] as unknown as Record<string, Method>;
const batch = service.Batch as Method;
const shared = responseSerializers(
  (service.Query as Method).responseSerialize,
  (service.Transaction as Method).responseSerialize,
);
const fast = batchResponseSerializer(shared.metadata, batch.responseSerialize);

/** Both encodings decode to the same object, and the bytes are the ones protobufjs writes. */
function same(t: import('ava').ExecutionContext, message: unknown): void {
  const expected = batch.responseSerialize(message);
  const actual = fast(message);
  t.deepEqual(batch.responseDeserialize(actual), batch.responseDeserialize(expected));
  t.true(actual.equals(expected), 'same bytes as protobufjs');
}

function stats(rnd: () => number) {
  return {
    row_count: randomUint64(rnd),
    warning_count: Math.floor(rnd() * 10),
    backend: randomString(rnd),
    elapsed_us: randomUint64(rnd),
    backend_role: rnd() < 0.5 ? 'primary' : 'replica',
  };
}

function randomStep(rnd: () => number, columns: ReturnType<typeof compileColumns>): object {
  const r = rnd();
  if (r < 0.3)
    return {
      executed: {
        affected_rows: randomUint64(rnd),
        last_insert_id: randomUint64(rnd),
        warning_count: Math.floor(rnd() * 3),
        info: randomString(rnd),
        consistency_token: rnd() < 0.5 ? '' : '0-1-42',
        backend: randomString(rnd),
        elapsed_us: randomUint64(rnd),
        replayed: rnd() < 0.5,
      },
    };
  if (r < 0.7) return { result: { metadata: { columns }, rows: randomRows(rnd), stats: stats(rnd) } };
  if (r < 0.9)
    return {
      error: {
        code: Math.floor(rnd() * 17),
        mysql_errno: Math.floor(rnd() * 5000),
        sql_state: rnd() < 0.5 ? '' : '23000',
        message: randomString(rnd),
        reason: 'DUPLICATE_KEY',
        transaction_rolled_back: rnd() < 0.5,
      },
    };
  return { skipped: {} };
}

test('random batches: every outcome, rows over every Value kind, 64-bit figures', (t) => {
  const rnd = prng(20261206);
  const columns = compileColumns(DRIVER_FIELDS);
  for (let i = 0; i < 120; i++) {
    same(t, {
      results: Array.from({ length: Math.floor(rnd() * 12) }, () => randomStep(rnd, columns)),
      committed: rnd() < 0.5,
      consistency_token: rnd() < 0.5 ? '' : '0-1-7',
      backend: randomString(rnd),
      elapsed_us: randomUint64(rnd),
      replayed: rnd() < 0.5,
    });
  }
});

test('edges: every edge value, empty results, metadata without columns, empty strings', (t) => {
  same(t, {
    results: [
      {
        result: {
          metadata: { columns: [] },
          rows: [{ values: edgeValues() }, { values: [] }],
          stats: { row_count: '0', warning_count: 0, backend: '', elapsed_us: '0', backend_role: '' },
        },
      },
      { skipped: {} },
    ],
    committed: false,
    consistency_token: '',
    backend: '',
    elapsed_us: '18446744073709551615',
  });
  same(t, { results: [], committed: true, consistency_token: '', backend: 'b', elapsed_us: '1' });
});

test('shapes it does not recognise take the generic path, byte for byte', (t) => {
  let generic = 0;
  const counting: Serializer = (m) => {
    generic++;
    return batch.responseSerialize(m);
  };
  const own = batchResponseSerializer(shared.metadata, counting);
  const messages: unknown[] = [
    { results: [], committed: true, unknown_field: true },
    { results: [{ executed: { affected_rows: '1', unknown_field: true } }] },
    { results: [{ skipped: {}, error: { code: 3 } }] },
    { results: [{ result: { metadata: { columns: [] }, rows: [] } }] },
  ];
  for (const m of messages) t.true(own(m).equals(batch.responseSerialize(m)));
  t.is(generic, messages.length);
});
