/**
 * The Grafana dashboard (deploy/grafana/mysql-grpc-gateway.json) only queries metrics the gateway
 * really exports: every metric name in its PromQL is looked up in a scrape of a running gateway
 * that has served real traffic.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway } from './helpers/gateway.js';
import { scrape } from './helpers/telemetry.js';

const DASHBOARD = new URL('../../../deploy/grafana/mysql-grpc-gateway.json', import.meta.url);

/** PromQL words that are not metric names. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or variables. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const word = (m[0] as string).replace(/\s*\($/, '');
    if (m[1] !== undefined || KEYWORDS.has(word.toLowerCase())) continue;
    const before = stripped[(m.index ?? 0) - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // the exponent of 1e3 and the like
    names.push(word);
  }
  return names;
}

interface Panel {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly Panel[];
}

/** Every PromQL expression of the dashboard (panels, nested row panels) and the variables' metrics. */
function dashboardQueries(): { exprs: { title: string; expr: string }[]; variableMetrics: string[] } {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: string | { query: string } }[] };
  };
  const exprs: { title: string; expr: string }[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) exprs.push({ title: p.title ?? '', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  const variableMetrics: string[] = [];
  for (const variable of dash.templating.list) {
    const q = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const m = q?.match(/^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/);
    if (m) variableMetrics.push(m[1] as string);
  }
  return { exprs, variableMetrics };
}

test('the extractor finds metric names and nothing else', (t) => {
  t.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, pool) (rate(foo_seconds_bucket{instance=~"$instance",a="b(c)"}[$__rate_interval])))',
    ),
    ['foo_seconds_bucket'],
  );
  t.deepEqual(
    metricNames('a_total / ignoring(state) b{x="1"} * 2e3 + on(c) group_left(d) c_gauge offset 5m'),
    ['a_total', 'b', 'c_gauge'],
  );
  t.deepEqual(metricNames('sum(rate(x[5m])) > bool 0'), ['x']);
});

test('every metric the dashboard queries is exported by a running gateway', async (t) => {
  const gw = await startGateway({
    admin: { port: 0 },
    telemetry: { enabled: true },
    clusters: { default: sandboxClusterConfig() },
  });
  t.teardown(() => gw.stop());
  await allHealthy(gw);
  // Traffic that makes every histogram record at least once.
  await query(gw.client, { sql: 'SELECT ? AS dashboard', params: [v.i64(1)] });
  await execute(gw.client, { sql: 'DO 1' });
  await execute(gw.client, { sql: 'INSERT INTO tel_dashboard_missing VALUES (1)' }).catch(() => {});
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.commit();
  await tx.status;
  await gw.assertNoLeaks();

  const s = await scrape(gw.gateway.adminPort as number);
  const exported = new Set<string>();
  for (const [name, family] of s.families) {
    exported.add(name);
    if (family.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
  }
  const { exprs, variableMetrics } = dashboardQueries();
  t.true(exprs.length >= 25, `the dashboard has its queries (${exprs.length})`);
  const queried = new Set(variableMetrics);
  for (const { title, expr } of exprs) {
    const names = metricNames(expr);
    t.true(names.length > 0, `"${title}" queries a metric: ${expr}`);
    for (const n of names) {
      queried.add(n);
      t.true(exported.has(n), `"${title}" queries ${n}, which the gateway does not export`);
    }
  }
  for (const n of variableMetrics) t.true(exported.has(n), `a variable queries ${n}, which is not exported`);
  // The dashboard covers each area the issue names.
  for (const needed of [
    'rpc_server_call_duration_count',
    'rpc_server_call_duration_bucket',
    'db_client_operation_duration_bucket',
    'db_client_connection_count',
    'db_client_connection_wait_time_bucket',
    'db_client_connection_pending_requests',
    'mysqlgateway_backend_replication_lag',
    'mysqlgateway_backend_health_state',
  ]) {
    t.true(queried.has(needed), `the dashboard shows ${needed}`);
  }
});
