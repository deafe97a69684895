/** GetStatus's encoding of the status snapshot: enum names, uint64 as strings, unknowns as proto defaults. */
import test from 'ava';
import { encodeGetStatusResponse } from '../../../src/admin/status-encoding.js';
import { gatewayPackageDefinition } from '../../../src/wire/proto.js';
import type { BackendStatus, GatewayStatus, PoolStatus } from '../../../src/admin/gateway-status.js';

const pool: PoolStatus = {
  total: 3,
  idle: 1,
  used: 2,
  waiting: 0,
  pending: 0,
  created: 10,
  closed: 7,
  errors: 2,
  acquire_timeouts: 1,
  longest_wait_ms: 13,
  min: 1,
  max: 8,
};

function backend(over: Partial<BackendStatus>): BackendStatus {
  return {
    name: 'b',
    role: 'replica',
    state: 'healthy',
    lag_ms: 2000,
    ping_us: 450,
    last_error: null,
    read_only: true,
    in_flight: 1,
    weight: 2,
    pool,
    ...over,
  };
}

test('states, 64-bit figures and unknown values', (t) => {
  const status: GatewayStatus = {
    clusters: [
      {
        name: 'c',
        serving: false,
        backends: [
          backend({ state: 'healthy' }),
          backend({ state: 'lagging', lag_ms: null }),
          backend({ state: 'down', ping_us: null, read_only: null, last_error: 'boom', lag_ms: null }),
          backend({ state: 'unknown' }),
        ],
      },
    ],
    active_transactions: 4,
    uptime_ms: 90_000,
    open_transactions: [
      {
        principal: 'svc',
        age_ms: 1_500,
        cluster: 'c',
        backend: 'b',
        connection_id: 9_007_199_254,
        state: 'open',
        request_tag: 't1',
      },
    ],
  };
  const out = encodeGetStatusResponse(status) as {
    clusters: { name: string; serving: boolean; backends: Record<string, unknown>[] }[];
  };
  t.like(out, { active_transactions: 4, uptime_ms: '90000' });
  t.deepEqual((out as unknown as { open_transactions: unknown[] }).open_transactions, [
    {
      principal: 'svc',
      age_ms: '1500',
      cluster: 'c',
      backend: 'b',
      connection_id: '9007199254',
      state: 'open',
      request_tag: 't1',
    },
  ]);
  const c = out.clusters[0];
  t.like(c, { name: 'c', serving: false });
  t.deepEqual(
    c?.backends.map((b) => b.state),
    [
      'BACKEND_HEALTH_STATE_HEALTHY',
      'BACKEND_HEALTH_STATE_LAGGING',
      'BACKEND_HEALTH_STATE_DOWN',
      'BACKEND_HEALTH_STATE_UNSPECIFIED',
    ],
  );
  t.deepEqual(c?.backends[0], {
    name: 'b',
    role: 'replica',
    state: 'BACKEND_HEALTH_STATE_HEALTHY',
    lag_ms: '2000',
    lag_known: true,
    ping_us: '450',
    last_error: '',
    read_only: true,
    in_flight: 1,
    weight: 2,
    pool: {
      total: 3,
      idle: 1,
      used: 2,
      waiting: 0,
      pending: 0,
      created: '10',
      closed: '7',
      errors: '2',
      acquire_timeouts: '1',
      longest_wait_ms: '13',
      min: 1,
      max: 8,
    },
  });
  t.like(c?.backends[1], { lag_ms: undefined, lag_known: false }, 'lag_ms is left unset when unknown');
  t.like(c?.backends[2], { ping_us: '0', read_only: false, last_error: 'boom' });
});

test('a known lag of 0 is on the wire, an unknown one is not (presence for `optional lag_ms` clients)', (t) => {
  const method = (
    gatewayPackageDefinition()['mysqlgateway.v1.Admin'] as unknown as Record<
      string,
      { responseSerialize(m: unknown): Buffer; responseDeserialize(b: Buffer): unknown }
    >
  ).GetStatus;
  if (!method) return t.fail('no GetStatus');
  const status: GatewayStatus = {
    clusters: [{ name: 'c', serving: true, backends: [backend({ lag_ms: 0 }), backend({ lag_ms: null })] }],
    active_transactions: 0,
    uptime_ms: 1,
    open_transactions: [],
  };
  // The loader options have defaults off: a field is in the decoded object only if it was on the wire.
  const decoded = method.responseDeserialize(method.responseSerialize(encodeGetStatusResponse(status))) as {
    clusters: { backends: Record<string, unknown>[] }[];
  };
  const [known, unknown] = decoded.clusters[0]?.backends ?? [];
  t.like(known, { lag_ms: '0', lag_known: true });
  t.true(known !== undefined && 'lag_ms' in known, 'lag_ms 0 sent explicitly');
  t.false(unknown === undefined || 'lag_ms' in unknown, 'no lag_ms when unknown');
  t.is(unknown?.lag_known ?? false, false);
});
