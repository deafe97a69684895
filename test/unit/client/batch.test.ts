/**
 * `client.batch`: steps and options encoded into a BatchRequest that survives the real protobuf
 * round trip (conditions included), bad steps refused before sending, and BatchResponses (built
 * by hand, as bytes or through protobufjs) decoded into typed step results, with the handled
 * rule deciding what `throwOnError` throws. No server.
 */
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { type BatchStep, Cond, decodeBatchResponse, encodeBatchSteps } from '../../../src/client/batch.js';
import { GatewayClientError, StatusCode } from '../../../src/client/errors.js';
import { GatewayClient } from '../../../src/client/gateway-client.js';
import type { BatchResponseIn } from '../../../src/client/messages.js';
import { batchRequestFields } from '../../../src/client/options.js';
import { CLIENT_LOADER_OPTIONS, gatewayStubClass } from '../../../src/client/stub.js';
import { Value } from '../../../src/client/values.js';

type Method = {
  requestSerialize: (m: unknown) => Buffer;
  requestDeserialize: (b: Buffer) => unknown;
  responseSerialize: (m: unknown) => Buffer;
  responseDeserialize: (b: Buffer) => unknown;
};
const definition = loadSync('mysqlgateway/v1/gateway.proto', CLIENT_LOADER_OPTIONS);
const batchMethod = (definition['mysqlgateway.v1.Gateway'] as unknown as Record<string, Method>)
  .Batch as Method;
/** The client stub's own Batch deserializer (what `client.batch` receives). */
const stubBatch = (gatewayStubClass() as unknown as { service: Record<string, Method> }).service
  .Batch as Method;

/** A response object as the gateway would send it, through the wire and the client's decoder. */
function received(message: unknown): BatchResponseIn {
  return stubBatch.responseDeserialize(batchMethod.responseSerialize(message)) as BatchResponseIn;
}

// --- requests -------------------------------------------------------------------------------

test('steps, conditions and options survive the protobuf round trip', (t) => {
  const steps: BatchStep[] = [
    { sql: 'INSERT INTO t VALUES (?, ?)', params: [1, 'a'] },
    { sql: 'UPDATE t SET n = n + 1 WHERE id = ?', params: [1n], condition: Cond.error(0) },
    { sql: 'SELECT 1', condition: Cond.ok(0) },
    {
      sql: 'SELECT ?',
      params: [Value.uint64('18446744073709551615')],
      condition: Cond.and(Cond.or(Cond.ok(1), Cond.not(Cond.error(2))), Cond.and(), Cond.or()),
    },
  ];
  const request = {
    cluster: 'c1',
    steps: encodeBatchSteps(steps),
    ...batchRequestFields({
      transaction: { isolationLevel: 'SERIALIZABLE', readOnly: true },
      readPreference: 'REPLICA',
      maxStalenessMs: 250,
      consistencyToken: '0-1-9',
    }),
  };
  const decoded = batchMethod.requestDeserialize(batchMethod.requestSerialize(request)) as Record<
    string,
    unknown
  >;
  const s = decoded.steps as Record<string, unknown>[];
  t.is(decoded.cluster, 'c1');
  t.deepEqual(decoded.transaction, { isolation_level: 'ISOLATION_LEVEL_SERIALIZABLE', read_only: true });
  t.is(decoded.read_preference, 'READ_PREFERENCE_REPLICA');
  t.is(decoded.max_staleness_ms, 250);
  t.is(decoded.consistency_token, '0-1-9');
  t.is(s.length, 4);
  t.deepEqual(s[0], {
    statement: {
      sql: 'INSERT INTO t VALUES (?, ?)',
      params: [
        { int64_value: '1', kind: 'int64_value' },
        { string_value: 'a', kind: 'string_value' },
      ],
    },
  });
  // ok(0) is a oneof member, so step 0 survives as a number rather than vanishing as a default.
  t.deepEqual(s[1]?.condition, { error: 0, kind: 'error' });
  t.deepEqual(s[2]?.condition, { ok: 0, kind: 'ok' });
  t.deepEqual(s[3]?.condition, {
    kind: 'and',
    and: {
      conditions: [
        {
          kind: 'or',
          or: {
            conditions: [
              { ok: 1, kind: 'ok' },
              { kind: 'not', not: { error: 2, kind: 'error' } },
            ],
          },
        },
        { kind: 'and', and: {} },
        { kind: 'or', or: {} },
      ],
    },
  });
  t.deepEqual((s[3]?.statement as { params?: unknown[] } | undefined)?.params, [
    { uint64_value: '18446744073709551615', kind: 'uint64_value' },
  ]);
});

test('transaction: true sends an empty BeginRequest, which is still present on the wire', (t) => {
  const fields = batchRequestFields({ transaction: true });
  t.deepEqual(fields, { transaction: {} });
  const decoded = batchMethod.requestDeserialize(
    batchMethod.requestSerialize({ cluster: '', steps: [], ...fields }),
  ) as Record<string, unknown>;
  t.deepEqual(decoded.transaction, {});
  const none = batchMethod.requestDeserialize(batchMethod.requestSerialize({ cluster: '', steps: [] }));
  t.false('transaction' in (none as object));
});

const badSteps: [string, unknown, RegExp, string][] = [
  ['not an array', 'SELECT 1', /steps must be an array/, 'INVALID_BATCH_STEP'],
  ['a step without sql', [{ params: [] }], /batch step 0: needs/, 'INVALID_BATCH_STEP'],
  [
    'a step naming itself',
    [{ sql: 'x', condition: Cond.ok(0) }],
    /batch step 0: condition names step 0/,
    'INVALID_BATCH_CONDITION',
  ],
  [
    'a step naming a later one',
    [{ sql: 'x' }, { sql: 'y', condition: Cond.not(Cond.error(3)) }],
    /batch step 1: condition names step 3/,
    'INVALID_BATCH_CONDITION',
  ],
  [
    'a negative step',
    [{ sql: 'x' }, { sql: 'y', condition: Cond.ok(-1) }],
    /non-negative integer/,
    'INVALID_BATCH_CONDITION',
  ],
  [
    'two kinds',
    [{ sql: 'x' }, { sql: 'y', condition: { ok: 0, error: 0 } }],
    /exactly one/,
    'INVALID_BATCH_CONDITION',
  ],
  [
    'an empty condition',
    [{ sql: 'x' }, { sql: 'y', condition: {} }],
    /exactly one/,
    'INVALID_BATCH_CONDITION',
  ],
  [
    'and of a non-list',
    [{ sql: 'x' }, { sql: 'y', condition: { and: Cond.ok(0) } }],
    /need a list/,
    'INVALID_BATCH_CONDITION',
  ],
  ['a bad parameter', [{ sql: 'x', params: [Number.NaN] }], /^batch step 0: param 1/, 'INVALID_PARAM'],
];
for (const [name, steps, message, reason] of badSteps) {
  test(`refused before sending: ${name}`, (t) => {
    const e = t.throws(() => encodeBatchSteps(steps as BatchStep[]), { instanceOf: GatewayClientError });
    t.is(e?.code, StatusCode.INVALID_ARGUMENT);
    t.is(e?.reason, reason);
    t.regex(e?.details ?? '', message);
  });
}

test('a cyclic condition is refused, not a stack overflow', (t) => {
  const cyclic: { not: unknown } = { not: undefined };
  cyclic.not = cyclic;
  const e = t.throws(() => encodeBatchSteps([{ sql: 'x' }, { sql: 'y', condition: cyclic as never }]));
  t.is(e?.message, 'INVALID_ARGUMENT: batch step 1: condition nests deeper than 256 levels');
});

const badOptions: [string, unknown, RegExp][] = [
  ['an unknown key', { rows: 1 }, /unknown batch option 'rows'/],
  ['transaction false', { transaction: false }, /transaction must be true or/],
  [
    'an unknown transaction key',
    { transaction: { idleTimeoutMs: 5 } },
    /unknown batch transaction option 'idleTimeoutMs'/,
  ],
  ['a bad isolation level', { transaction: { isolationLevel: 'SNAPSHOT' } }, /isolationLevel must be one of/],
  ['a bad read preference', { readPreference: 'NEAREST' }, /readPreference must be one of/],
  ['a bad staleness', { maxStalenessMs: -1 }, /maxStalenessMs must be an integer/],
  ['a bad row mode', { rowMode: 'map' }, /rowMode must be/],
];
for (const [name, opts, message] of badOptions) {
  test(`batch options refused: ${name}`, (t) => {
    const e = t.throws(() => batchRequestFields(opts as never), { instanceOf: GatewayClientError });
    t.is(e?.reason, 'INVALID_OPTION');
    t.regex(e?.details ?? '', message);
  });
}

test('client.batch rejects bad steps and options without contacting anyone', async (t) => {
  // Nothing listens on port 1: a call that reached the network would fail UNAVAILABLE instead.
  const client = new GatewayClient('127.0.0.1:1', { defaultDeadlineMs: 2000 });
  t.teardown(() => client.close());
  const bad = await t.throwsAsync(client.batch([{ sql: 'x', condition: Cond.ok(0) }]), {
    instanceOf: GatewayClientError,
  });
  t.is(bad?.code, StatusCode.INVALID_ARGUMENT);
  t.is(bad?.reason, 'INVALID_BATCH_CONDITION');
  const option = await t.throwsAsync(client.batch([{ sql: 'x' }], { transaction: 'yes' as never }));
  t.is((option as GatewayClientError).reason, 'INVALID_OPTION');
  const aborted = await t.throwsAsync(client.batch([{ sql: 'x' }], { signal: AbortSignal.abort() }), {
    instanceOf: GatewayClientError,
  });
  t.is(aborted?.code, StatusCode.CANCELLED);
  await client.close();
  const closed = await t.throwsAsync(client.batch([{ sql: 'x' }]));
  t.is((closed as GatewayClientError).reason, 'CLIENT_CLOSED');
});

// --- responses ------------------------------------------------------------------------------

const column = (name: string, type = 'COLUMN_TYPE_LONGLONG') => ({ name, type, type_name: 'BIGINT' });

test('hand-encoded bytes: field numbers are the contract', (t) => {
  // results[0] = { skipped {} } (1: len 2, 4: len 0), results[1] = { executed { affected_rows 3 } },
  // committed = true (2), consistency_token = "g" (3), backend = "b" (4), elapsed_us = 300 (5).
  const bytes = Buffer.from([
    0x0a, 0x02, 0x22, 0x00, 0x0a, 0x04, 0x0a, 0x02, 0x08, 0x03, 0x10, 0x01, 0x1a, 0x01, 0x67, 0x22, 0x01,
    0x62, 0x28, 0xac, 0x02,
  ]);
  const steps = [{ sql: 'a' }, { sql: 'b' }];
  const r = decodeBatchResponse(stubBatch.responseDeserialize(bytes) as BatchResponseIn, steps);
  t.deepEqual(r.results[0], { kind: 'skipped', step: 0 });
  t.like(r.results[1], { kind: 'executed', step: 1, affectedRows: 3, lastInsertId: 0 });
  t.true(r.committed);
  t.is(r.consistencyToken, 'g');
  t.is(r.backend, 'b');
  t.is(r.elapsedUs, 300);
});

test('every outcome decodes into its typed result', (t) => {
  const res = received({
    results: [
      {
        executed: {
          affected_rows: '1',
          last_insert_id: '9007199254740993',
          warning_count: 1,
          info: 'i',
          backend: 'p:1',
          elapsed_us: '7',
        },
      },
      {
        result: {
          metadata: { columns: [column('id'), column('blob', 'COLUMN_TYPE_BLOB')] },
          rows: [
            { values: [{ int64_value: '-5' }, { bytes_value: Buffer.from([0, 255]) }] },
            { values: [{ uint64_value: '18446744073709551615' }, { null_value: 'NULL_VALUE' }] },
          ],
          stats: { row_count: '2', backend: 'r:2', backend_role: 'replica', elapsed_us: '40' },
        },
      },
      {
        error: {
          code: StatusCode.ALREADY_EXISTS,
          mysql_errno: 1062,
          sql_state: '23000',
          message: 'Duplicate entry',
          reason: 'DUPLICATE_KEY',
        },
      },
      { skipped: {} },
    ],
    committed: false,
    consistency_token: '0-1-5',
    backend: 'p:1',
    elapsed_us: '1234',
  });
  const steps = [{ sql: 'a' }, { sql: 'b' }, { sql: 'c' }, { sql: 'd' }];
  const r = decodeBatchResponse(res, steps);
  t.deepEqual(r.results[0], {
    kind: 'executed',
    step: 0,
    affectedRows: 1,
    lastInsertId: 9007199254740993n,
    warningCount: 1,
    info: 'i',
    consistencyToken: '',
    backend: 'p:1',
    elapsedUs: 7,
    replayed: false,
  });
  const rows = r.results[1];
  if (rows?.kind !== 'rows') return t.fail(`step 1 is ${rows?.kind}`);
  t.deepEqual(
    rows.columns.map((c) => [c.name, c.type]),
    [
      ['id', 'LONGLONG'],
      ['blob', 'BLOB'],
    ],
  );
  t.deepEqual(rows.rows, [
    [-5, Buffer.from([0, 255])],
    [18446744073709551615n, null],
  ]);
  t.like(rows.stats, { rowCount: 2, backend: 'r:2', backendRole: 'replica', elapsedUs: 40 });
  const failed = r.results[2];
  if (failed?.kind !== 'error') return t.fail(`step 2 is ${failed?.kind}`);
  t.like(failed.error, {
    code: StatusCode.ALREADY_EXISTS,
    codeName: 'ALREADY_EXISTS',
    reason: 'DUPLICATE_KEY',
    mysqlErrno: 1062,
    sqlState: '23000',
    details: 'Duplicate entry',
    batchStep: 2,
    transactionRolledBack: false,
  });
  t.deepEqual(r.results[3], { kind: 'skipped', step: 3 });
  t.false(r.committed);
  t.is(r.consistencyToken, '0-1-5');
  t.is(r.elapsedUs, 1234);
});

test("rowMode 'object' keys rows by column name; duplicate names are refused", (t) => {
  const res = received({
    results: [
      {
        result: {
          metadata: { columns: [column('id'), column('__proto__')] },
          rows: [{ values: [{ int64_value: '1' }, { string_value: 'x' }] }],
          stats: {},
        },
      },
    ],
  });
  const r = decodeBatchResponse(res, [{ sql: 'a' }], 'object');
  const step = r.results[0];
  if (step?.kind !== 'rows') return t.fail();
  t.deepEqual(Object.keys(step.rows[0] as object), ['id', '__proto__']);
  t.is((step.rows[0] as Record<string, unknown>).id, 1);
  const dup = received({
    results: [{ result: { metadata: { columns: [column('a'), column('a')] }, rows: [], stats: {} } }],
  });
  const e = t.throws(() => decodeBatchResponse(dup, [{ sql: 'a' }], 'object'));
  t.is((e as GatewayClientError).reason, 'DUPLICATE_COLUMN_NAME');
  t.regex(e?.message ?? '', /batch step 0/);
  t.notThrows(() => decodeBatchResponse(dup, [{ sql: 'a' }], 'array'));
});

test('a response without one outcome per step is a protocol error', (t) => {
  const short = t.throws(() =>
    decodeBatchResponse(received({ results: [{ skipped: {} }] }), [{ sql: 'a' }, { sql: 'b' }]),
  );
  t.is((short as GatewayClientError).reason, 'PROTOCOL_ERROR');
  const empty = t.throws(() => decodeBatchResponse(received({ results: [{}] }), [{ sql: 'a' }]));
  t.is((empty as GatewayClientError).reason, 'PROTOCOL_ERROR');
});

function outcomes(kinds: ('ok' | 'error' | 'skipped')[]): BatchResponseIn {
  return received({
    results: kinds.map((k, i) =>
      k === 'ok'
        ? { executed: {} }
        : k === 'skipped'
          ? { skipped: {} }
          : { error: { code: StatusCode.ABORTED, message: `boom ${i}`, reason: 'DEADLOCK' } },
    ),
  });
}

test('throwOnError: nothing to throw when every failure was handled by a step that ran', (t) => {
  const steps: BatchStep[] = [
    { sql: 'a' },
    { sql: 'b', condition: Cond.or(Cond.error(0), Cond.ok(0)) },
    { sql: 'c' },
  ];
  const r = decodeBatchResponse(outcomes(['error', 'ok', 'ok']), steps);
  t.deepEqual(r.unhandledErrors(), []);
  t.is(r.throwOnError(), r);
});

test('throwOnError throws the first unhandled error, with its step', (t) => {
  const steps: BatchStep[] = [
    { sql: 'a' },
    { sql: 'b', condition: Cond.ok(0) },
    { sql: 'c', condition: Cond.and(Cond.error(1), Cond.ok(0)) }, // skipped: handles nothing
    { sql: 'd', condition: Cond.not(Cond.ok(1)) }, // ran, but ok leaves do not handle
    { sql: 'e', condition: Cond.error(3) },
  ];
  const r = decodeBatchResponse(outcomes(['ok', 'error', 'skipped', 'error', 'ok']), steps);
  t.deepEqual(
    r.unhandledErrors().map((e) => e.batchStep),
    [1],
  );
  const e = t.throws(() => r.throwOnError());
  t.is((e as GatewayClientError).batchStep, 1);
  t.is((e as GatewayClientError).details, 'boom 1');
});
