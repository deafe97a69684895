/**
 * The Prometheus endpoint of a running gateway, scraped over HTTP before and after real traffic
 * and parsed with a real text-format parser: metric names, types, units, labels, and values that
 * moved by what the traffic did.
 */
import test from 'ava';
import { sandbox } from '../helpers/sandbox.js';
import { errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import type { PromHistogramData } from 'prom2javascript';
import { type Scrape, scrape, total } from './helpers/telemetry.js';

const T = 'tel_metric_items';
let gw: TestGateway;
let before: Scrape;
let after: Scrape;
const PRIMARY_POOL = `default/primary ${sandbox.host}:${sandbox.primaryPort}`;

test.before(async () => {
  gw = await startGateway({
    admin: { port: 0 },
    telemetry: { enabled: true },
    clusters: {
      default: { ...sandboxClusterConfig(), pool: { min: 1, max: 2, acquireTimeoutMs: 300, maxWaiting: 10 } },
    },
  });
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB` });
  before = await scrape(gw.gateway.adminPort as number);

  // The traffic: 5 inserts, 4 primary reads of 5 rows, a failure, one transaction of each outcome,
  // and a pool timeout (both primary connections held by transactions).
  for (let i = 1; i <= 5; i++)
    await execute(gw.client, { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [v.i64(i), v.str('n')] });
  for (let i = 0; i < 4; i++)
    await query(gw.client, { sql: `SELECT * FROM ${T}`, read_preference: 'READ_PREFERENCE_PRIMARY' });
  await execute(gw.client, { sql: `INSERT INTO ${T} VALUES (1, 'dup')` }).catch(() => {});
  const committed = new TxStream(gw.client);
  await committed.begin();
  const rolledBack = new TxStream(gw.client);
  await rolledBack.begin();
  const timeout = await execute(gw.client, { sql: `DELETE FROM ${T} WHERE id = 0` }).catch((e: unknown) => e);
  if (errorDetails(timeout).reason !== 'ACQUIRE_TIMEOUT') throw new Error('expected an acquire timeout');
  await committed.execute(`UPDATE ${T} SET note = 'c' WHERE id = 1`);
  await committed.commit();
  await committed.status;
  await rolledBack.rollback();
  await rolledBack.status;
  const aborted = new TxStream(gw.client);
  await aborted.begin();
  aborted.call.end();
  await aborted.status;
  await gw.assertNoLeaks();
  after = await scrape(gw.gateway.adminPort as number);
});

test.after.always(async () => {
  if (!gw) return;
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.stop();
});

/** Families that must be there, their Prometheus type and OpenTelemetry unit. */
const EXPECTED: [string, string, string][] = [
  ['db_client_operation_duration', 'histogram', 's'],
  ['rpc_server_call_duration', 'histogram', 's'],
  ['db_client_connection_count', 'gauge', '{connection}'],
  ['db_client_connection_idle_max', 'gauge', '{connection}'],
  ['db_client_connection_idle_min', 'gauge', '{connection}'],
  ['db_client_connection_max', 'gauge', '{connection}'],
  ['db_client_connection_pending_requests', 'gauge', '{request}'],
  ['db_client_connection_timeouts_total', 'counter', '{timeout}'],
  ['db_client_connection_create_time', 'histogram', 's'],
  ['db_client_connection_wait_time', 'histogram', 's'],
  ['db_client_connection_use_time', 'histogram', 's'],
  ['mysqlgateway_backend_replication_lag', 'gauge', 's'],
  ['mysqlgateway_backend_health_state', 'gauge', '1'],
  ['mysqlgateway_cluster_serving', 'gauge', '1'],
  ['mysqlgateway_query_retries_total', 'counter', '{retry}'],
  ['mysqlgateway_query_hedges_total', 'counter', '{hedge}'],
  ['mysqlgateway_transactions_active', 'gauge', '{transaction}'],
  ['mysqlgateway_transactions_ended_total', 'counter', '{transaction}'],
  ['mysqlgateway_rows_streamed_total', 'counter', '{row}'],
  ['mysqlgateway_bytes_streamed_total', 'counter', 'By'],
  ['mysqlgateway_uptime', 'gauge', 's'],
];

for (const [name, type, unit] of EXPECTED) {
  test(`${name}: a ${type} in ${unit}`, (t) => {
    const f = after.families.get(name);
    t.truthy(f, `${name} is exported`);
    t.is(f?.type, type);
    t.is(after.units.get(name), unit);
    t.true((f?.data.length ?? 0) > 0, 'with at least one series');
  });
}

test('statement durations moved by the statements run, with the database attributes', (t) => {
  const select = {
    db_operation_name: 'SELECT',
    db_system_name: 'mariadb',
    server_port: String(sandbox.primaryPort),
  };
  t.is(
    total(after, 'db_client_operation_duration', select) -
      total(before, 'db_client_operation_duration', select),
    4,
  );
  const inserts = { db_operation_name: 'INSERT', db_namespace: 'gwtest' };
  t.is(
    total(after, 'db_client_operation_duration', inserts) -
      total(before, 'db_client_operation_duration', inserts),
    6,
  );
  t.is(
    total(after, 'db_client_operation_duration', { error_type: '1062', db_response_status_code: '1062' }),
    1,
  );
  const f = after.families.get('db_client_operation_duration');
  const series = ((f?.data ?? []) as PromHistogramData[]).find(
    (m) => m.labels.db_operation_name === 'SELECT',
  );
  t.true((series?.sum ?? 0) > 0, 'durations add up');
  t.is(series?.buckets['+Inf'], series?.count, 'cumulative buckets end at the count');
  t.true((series?.buckets['0.0001'] ?? 0) <= (series?.buckets['10'] ?? 0), 'and never decrease');
});

test('RPC durations count every call by method and status code', (t) => {
  const q = { rpc_method: 'mysqlgateway.v1.Gateway/Query', rpc_status_code: 'OK', rpc_system_name: 'grpc' };
  t.is(total(after, 'rpc_server_call_duration', q) - total(before, 'rpc_server_call_duration', q), 4);
  const dup = {
    rpc_method: 'mysqlgateway.v1.Gateway/Execute',
    rpc_status_code: 'ALREADY_EXISTS',
    error_type: 'ALREADY_EXISTS',
  };
  t.is(total(after, 'rpc_server_call_duration', dup), 1);
  const exhausted = { rpc_method: 'mysqlgateway.v1.Gateway/Execute', rpc_status_code: 'RESOURCE_EXHAUSTED' };
  t.is(total(after, 'rpc_server_call_duration', exhausted), 1);
  const tx = { rpc_method: 'mysqlgateway.v1.Gateway/Transaction' };
  t.is(total(after, 'rpc_server_call_duration', tx) - total(before, 'rpc_server_call_duration', tx), 3);
});

test('pool metrics per pool: state counts, limits, waits, uses and the timeout', (t) => {
  const pool = { db_client_connection_pool_name: PRIMARY_POOL };
  t.is(total(after, 'db_client_connection_max', pool), 2);
  t.is(total(after, 'db_client_connection_idle_min', pool), 1);
  t.is(total(after, 'db_client_connection_pending_requests', pool), 0);
  t.is(total(after, 'db_client_connection_count', { ...pool, db_client_connection_state: 'used' }), 0);
  t.true(total(after, 'db_client_connection_count', { ...pool, db_client_connection_state: 'idle' }) >= 1);
  t.is(
    total(after, 'db_client_connection_timeouts_total', pool) -
      total(before, 'db_client_connection_timeouts_total', pool),
    1,
  );
  t.true(
    total(after, 'db_client_connection_wait_time', pool) -
      total(before, 'db_client_connection_wait_time', pool) >=
      12,
  );
  t.true(
    total(after, 'db_client_connection_use_time', pool) -
      total(before, 'db_client_connection_use_time', pool) >=
      12,
  );
  t.true(
    total(after, 'db_client_connection_create_time', pool) >= 2,
    'both primary connections were created',
  );
  t.true(total(after, 'mysqlgateway_pool_connections_created_total', pool) >= 2);
});

test('transactions by outcome, rows and bytes streamed', (t) => {
  const ended = (outcome: string) =>
    total(after, 'mysqlgateway_transactions_ended_total', { outcome }) -
    total(before, 'mysqlgateway_transactions_ended_total', { outcome });
  t.is(ended('committed'), 1);
  t.is(ended('rolled_back'), 1);
  t.is(ended('aborted'), 1);
  t.is(total(after, 'mysqlgateway_transactions_active'), 0);
  const primary = { backend: `${sandbox.host}:${sandbox.primaryPort}`, role: 'primary', cluster: 'default' };
  t.is(
    total(after, 'mysqlgateway_rows_streamed_total', primary) -
      total(before, 'mysqlgateway_rows_streamed_total', primary),
    20,
  );
  t.true(
    total(after, 'mysqlgateway_bytes_streamed_total', primary) >
      total(before, 'mysqlgateway_bytes_streamed_total', primary),
  );
  t.is(total(after, 'mysqlgateway_query_retries_total', { cluster: 'default' }), 0, 'no retry happened');
});

test('health and replica lag per backend', (t) => {
  for (const port of sandbox.replicaPorts) {
    const replica = { backend: `${sandbox.host}:${port}`, role: 'replica' };
    t.is(total(after, 'mysqlgateway_backend_health_state', { ...replica, state: 'healthy' }), 1);
    t.is(total(after, 'mysqlgateway_backend_health_state', { ...replica, state: 'down' }), 0);
    const lag = after.families
      .get('mysqlgateway_backend_replication_lag')
      ?.data.find((m) => m.labels.backend === replica.backend) as { value: number } | undefined;
    t.truthy(lag, 'lag of each replica');
    t.true((lag?.value ?? -1) >= 0);
  }
  t.is(total(after, 'mysqlgateway_cluster_serving', { cluster: 'default' }), 1);
  t.true(total(after, 'mysqlgateway_uptime') > total(before, 'mysqlgateway_uptime'));
});

test('the resource is described once in target_info', (t) => {
  const info = after.families.get('target_info')?.data[0]?.labels;
  t.is(info?.service_name, 'mysql-grpc-gateway');
  t.is(info?.telemetry_sdk_language, 'nodejs');
});
