/** Helpers for tests that look at routing and health through a running gateway. */
import type { Cluster } from '../../../src/routing/cluster.js';
import type { HealthMonitor } from '../../../src/routing/health-monitor.js';
import { type AnyMessage, type GatewayStub, query } from './client.js';
import type { TestGateway } from './gateway.js';

/** The default cluster and its health monitor. */
export function defaultCluster(gw: TestGateway): { cluster: Cluster; monitor: HealthMonitor } {
  const cluster = gw.gateway.clusters.get('default');
  return { cluster, monitor: cluster.health as HealthMonitor };
}

/** Waits until every backend of the default cluster is healthy. */
export async function allHealthy(gw: TestGateway, timeoutMs = 20_000): Promise<void> {
  const { cluster, monitor } = defaultCluster(gw);
  await Promise.all(cluster.backends.map((b) => monitor.waitFor(b.name, 'healthy', timeoutMs)));
}

/** `@@server_id` of the backend that served a Query (1 = primary, 2 and 3 = replicas). */
export async function servedBy(client: GatewayStub, req: AnyMessage = {}): Promise<number> {
  const out = await query(client, { sql: 'SELECT @@server_id', ...req });
  const cell = (out.rows[0] ?? [])[0] as AnyMessage;
  return Number(cell.int64_value ?? cell.uint64_value);
}
