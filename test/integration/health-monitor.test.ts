/**
 * The health monitor against the real sandbox: a primary and two replicas checked over real
 * connections; stopped replication makes a replica `lagging`, a stopped node goes `down`, and both
 * come back. The sandbox is restored in `test.after.always` whatever happens.
 */
import test from 'ava';
import { type ConnectorSettings, Connector } from '../../src/backend/connector.js';
import type { HealthCheckSettings } from '../../src/config/cluster-schema.js';
import { HealthMonitor, type HealthState } from '../../src/routing/health-monitor.js';
import { mysqlProbe } from '../../src/routing/mysql-probe.js';
import { ensureSandbox, rootQuery, sandbox, startNode, stopNode, waitFor } from '../helpers/sandbox.js';

type Name = 'primary' | 'replica1' | 'replica2';

/** The schema defaults: a dead backend must be noticed within a few seconds with them. */
const DEFAULTS: HealthCheckSettings = {
  intervalMs: 1000,
  timeoutMs: 1000,
  failuresToDown: 3,
  successesToUp: 2,
  queries: [],
};

function backend(name: string, port: number): ConnectorSettings {
  return {
    name,
    host: sandbox.host,
    port,
    user: sandbox.gatewayUser,
    password: () => sandbox.gatewayPassword(),
    database: 'gwtest',
    connectTimeoutMs: 1000,
    readTimeoutMs: 30_000,
    writeTimeoutMs: 30_000,
    keepAlive: true,
    keepAliveIntervalMs: 60_000,
    tls: { enabled: false, verify: true, ca: '', cert: '', key: '', servername: '' },
    charset: 'utf8mb4',
    collation: 'utf8mb4_unicode_ci',
    sqlMode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    reconnect: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 },
    maxPreparedStatements: 16,
  };
}

function port(name: Name): number {
  if (name === 'primary') return sandbox.primaryPort;
  return sandbox.replicaPorts[name === 'replica1' ? 0 : 1]!;
}

let monitor: HealthMonitor | undefined;
const transitions: string[] = [];

function watch(): HealthMonitor {
  if (!monitor) throw new Error('monitor not started');
  return monitor;
}

test.before(async () => {
  await ensureSandbox();
  monitor = new HealthMonitor({
    backends: [
      { name: 'primary', role: 'primary' },
      { name: 'replica1', role: 'replica' },
      { name: 'replica2', role: 'replica' },
    ],
    probe: (name) => mysqlProbe(new Connector(backend(name, port(name as Name)))),
    settings: { ...DEFAULTS, queries: ['SELECT 1'] },
    maxReplicaLagMs: 5000,
    onChange: (name, prev, next, health) =>
      transitions.push(`${name}: ${prev} -> ${next}${health.lastError ? ` (${health.lastError})` : ''}`),
  });
  monitor.start();
});

test.after.always(async (t) => {
  await monitor?.close();
  // Leave the sandbox as the other test files expect it, whatever failed above.
  await startNode(2);
  await rootQuery(sandbox.replicaPorts[0]!, 'START SLAVE');
  t.log(`transitions:\n  ${transitions.join('\n  ')}`);
});

async function becomes(name: Name, state: HealthState, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await watch().waitFor(name, state, timeoutMs);
  return Date.now() - started;
}

test.serial(
  'all backends become healthy: primary writable, replicas read-only, replicating, in sync',
  async (t) => {
    const m = watch();
    for (const name of ['primary', 'replica1', 'replica2'] as const) await becomes(name, 'healthy', 10_000);
    t.like(m.health('primary'), {
      state: 'healthy',
      readOnly: false,
      lagMs: undefined,
      replicationRunning: undefined,
      lastError: undefined,
    });
    // Lag is measured in whole seconds: an idle sandbox shows 0 (a write just before may show 1 briefly).
    await waitFor(() => m.health('replica1').lagMs === 0 && m.health('replica2').lagMs === 0, {
      timeoutMs: 10_000,
      message: 'replica lag 0',
    });
    for (const name of ['replica1', 'replica2'] as const) {
      t.like(m.health(name), {
        state: 'healthy',
        readOnly: true,
        lagMs: 0,
        replicationRunning: true,
        lastError: undefined,
      });
      t.true((m.health(name).pingMs ?? -1) >= 0);
    }
  },
);

test.serial(
  'a stopped SQL thread makes a replica lagging; restarting it makes it healthy again',
  async (t) => {
    const m = watch();
    await becomes('replica1', 'healthy', 10_000);
    await rootQuery(port('replica1'), 'STOP SLAVE SQL_THREAD');
    const toLagging = await becomes('replica1', 'lagging', 5000);
    t.like(m.health('replica1'), {
      state: 'lagging',
      replicationRunning: false,
      lagMs: undefined,
      readOnly: true,
    });
    t.is(m.health('replica2').state, 'healthy', 'the other replica is not affected');
    await rootQuery(port('replica1'), 'START SLAVE SQL_THREAD');
    const toHealthy = await becomes('replica1', 'healthy', 5000);
    t.like(m.health('replica1'), { state: 'healthy', replicationRunning: true });
    t.log(`lagging after ${toLagging} ms, healthy again after ${toHealthy} ms`);
  },
);

test.serial(
  'a stopped replica goes down within a few seconds and comes back after it restarts',
  async (t) => {
    const m = watch();
    await becomes('replica2', 'healthy', 10_000);
    const stopping = Date.now();
    await stopNode(2);
    const stopped = Date.now();
    await m.waitFor('replica2', 'down', 10_000);
    const down = Date.now();
    const h = m.health('replica2');
    t.is(h.state, 'down');
    t.true(h.consecutiveFailures >= DEFAULTS.failuresToDown);
    t.truthy(h.lastError);
    t.false((h.lastError ?? '').includes(sandbox.gatewayPassword()));
    t.is(m.health('primary').state, 'healthy');
    t.is(m.health('replica1').state, 'healthy');

    await startNode(2);
    const started = Date.now();
    await m.waitFor('replica2', 'healthy', 15_000);
    const up = Date.now();
    t.like(m.health('replica2'), { state: 'healthy', replicationRunning: true, readOnly: true });
    t.log(
      `stop-node took ${stopped - stopping} ms; down ${down - stopped} ms after the process was gone ` +
        `(${down - stopping} ms after shutdown began); last error: ${h.lastError}`,
    );
    t.log(`healthy again ${up - started} ms after start-node returned`);
  },
);

test.serial('a failing user query takes the backend down and names its index', async (t) => {
  const own = new HealthMonitor({
    backends: [{ name: 'primary', role: 'primary' }],
    probe: (name) => mysqlProbe(new Connector(backend(name, sandbox.primaryPort))),
    settings: {
      ...DEFAULTS,
      failuresToDown: 1,
      queries: ['SELECT 1', 'SELECT * FROM gwtest.no_such_table_hm'],
    },
    maxReplicaLagMs: 0,
  });
  t.teardown(() => own.close());
  const h = await own.checkNow('primary');
  t.like(h, {
    state: 'down',
    lastError: 'healthCheck.queries[1] failed: UNKNOWN_TABLE (errno 1146, SQLSTATE 42S02)',
  });
});

test.serial('a check slower than its timeout fails, and the next one reconnects', async (t) => {
  const probe = mysqlProbe(new Connector(backend('primary', sandbox.primaryPort)));
  t.teardown(() => probe.close());
  const err = await t.throwsAsync(probe.check(300, { queries: ['DO SLEEP(2)'] }));
  t.is(err?.message, 'health check timed out after 300 ms');
  const result = await probe.check(1000, { queries: ['SELECT 1'] });
  t.false(result.readOnly);
});
