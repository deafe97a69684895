/** Option compilation: defaults, mapping to request fields, unknown keys and bad values refused. */
import test from 'ava';
import { GatewayClientError } from '../../../src/client/errors.js';
import {
  beginFields,
  checkCallOptions,
  compileClientOptions,
  deadlineAfter,
  queryRequestFields,
  transactionQueryFields,
} from '../../../src/client/options.js';

test('client defaults', (t) => {
  const o = compileClientOptions();
  t.is(o.defaultDeadlineMs, 30_000);
  t.is(o.cluster, '');
  t.is(o.connectTimeoutMs, 10_000);
  t.is(o.channelOptions['grpc.max_receive_message_length'], -1);
  t.is(o.channelOptions['grpc-node.flow_control_window'], 4 * 1024 * 1024);
  t.is(o.credentials, undefined);
});

test('channel options are merged over the defaults', (t) => {
  const o = compileClientOptions({
    channelOptions: {
      'grpc.max_receive_message_length': 1024,
      'grpc.keepalive_time_ms': 5,
      'grpc-node.flow_control_window': 65535,
    },
  });
  t.is(o.channelOptions['grpc.max_receive_message_length'], 1024);
  t.is(o.channelOptions['grpc-node.flow_control_window'], 65535);
  t.is(o.channelOptions['grpc.keepalive_time_ms'], 5);
});

test('query options map to QueryRequest fields', (t) => {
  t.deepEqual(
    queryRequestFields({
      readPreference: 'REPLICA_PREFERRED',
      maxStalenessMs: 500,
      consistencyToken: '0-1-42',
      maxRowsPerBatch: 10,
      rowMode: 'object',
      deadlineMs: 5,
      cluster: 'c',
    }),
    {
      read_preference: 'READ_PREFERENCE_REPLICA_PREFERRED',
      max_staleness_ms: 500,
      consistency_token: '0-1-42',
      max_rows_per_batch: 10,
    },
  );
  t.deepEqual(queryRequestFields({}), {});
});

test('transaction options map to the begin message', (t) => {
  t.deepEqual(beginFields({ isolationLevel: 'SERIALIZABLE', readOnly: true, idleTimeoutMs: 2000 }, 'dflt'), {
    cluster: 'dflt',
    isolation_level: 'ISOLATION_LEVEL_SERIALIZABLE',
    read_only: true,
    idle_timeout_ms: 2000,
  });
  t.deepEqual(beginFields({ cluster: 'other', readOnly: false }, 'dflt'), { cluster: 'other' });
  t.deepEqual(transactionQueryFields({ maxRowsPerBatch: 3 }), { max_rows_per_batch: 3 });
});

test('deadlineAfter: Infinity means none', (t) => {
  t.is(deadlineAfter(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  const before = Date.now();
  const d = deadlineAfter(1000);
  t.true(d >= before + 1000 && d <= Date.now() + 1000);
});

const REFUSED: [string, () => unknown][] = [
  ['an unknown client option', () => compileClientOptions({ deadline: 5 } as object)],
  ['defaultDeadlineMs 0', () => compileClientOptions({ defaultDeadlineMs: 0 })],
  ['defaultDeadlineMs NaN', () => compileClientOptions({ defaultDeadlineMs: Number.NaN })],
  ['a non-string cluster', () => compileClientOptions({ cluster: 1 as unknown as string })],
  ['channelOptions null', () => compileClientOptions({ channelOptions: null as unknown as object })],
  ['an unknown query option', () => queryRequestFields({ readPref: 'PRIMARY' } as object)],
  ['an unknown read preference', () => queryRequestFields({ readPreference: 'NEAREST' as 'PRIMARY' })],
  ['a negative maxStalenessMs', () => queryRequestFields({ maxStalenessMs: -1 })],
  ['a fractional maxRowsPerBatch', () => queryRequestFields({ maxRowsPerBatch: 1.5 })],
  ['a bad rowMode', () => queryRequestFields({ rowMode: 'map' as 'array' })],
  ['a non-signal signal', () => checkCallOptions({ signal: {} as AbortSignal }, 'execute')],
  ['query-only options on execute', () => checkCallOptions({ rowMode: 'array' } as object, 'execute')],
  ['a non-string idempotencyKey', () => checkCallOptions({ idempotencyKey: 7 } as object, 'execute')],
  ['an idempotencyKey on query', () => checkCallOptions({ idempotencyKey: 'k' } as object, 'query')],
  ['an unknown isolation level', () => beginFields({ isolationLevel: 'SNAPSHOT' as 'SERIALIZABLE' }, '')],
  ['a non-boolean readOnly', () => beginFields({ readOnly: 1 as unknown as boolean }, '')],
  ['an unknown transaction option', () => beginFields({ retries: 3 } as object, '')],
  ['an unknown tx query option', () => transactionQueryFields({ deadlineMs: 5 } as object)],
];
for (const [name, fn] of REFUSED) {
  test(`refuses ${name}`, (t) => {
    const err = t.throws(fn, { instanceOf: GatewayClientError });
    t.is(err?.codeName, 'INVALID_ARGUMENT');
    t.is(err?.reason, 'INVALID_OPTION');
  });
}
