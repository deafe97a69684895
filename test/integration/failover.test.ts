/**
 * Riding through failures with real processes: a replica dying under read load, a replica
 * falling behind, the primary restarting, connections killed from inside MySQL. No gateway
 * restart, no write ever re-sent.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox, startNode, stopNode, waitFor } from '../helpers/sandbox.js';
import { errorDetails, execute, query, v } from './helpers/client.js';
import { allHealthy, defaultCluster, servedBy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const T = 'failover_rows';

test.before(async () => {
  gw = await startGateway({ clusters: { default: { ...sandboxClusterConfig(), pool: { min: 2, max: 8 } } } });
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))` });
});

test.after.always(async () => {
  await startNode(0).catch(() => {});
  await startNode(1).catch(() => {});
  await startNode(2).catch(() => {});
  for (const port of sandbox.replicaPorts) await rootQuery(port, 'START SLAVE').catch(() => {});
  if (!gw) return;
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
});

/** Runs reads from `workers` concurrent callers until `stop()`; returns the errors seen. */
function readLoad(workers: number): { stop: () => Promise<unknown[]>; count: () => number } {
  let running = true;
  let done = 0;
  const errors: unknown[] = [];
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        await query(gw.client, { sql: 'SELECT @@server_id, SLEEP(0.01)' }, { deadlineMs: 10_000 });
        done++;
      } catch (err) {
        errors.push(err);
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return errors;
    },
    count: () => done,
  };
}

test.serial('a replica dies under read load: no call fails, and it comes back into rotation', async (t) => {
  const { cluster, monitor } = defaultCluster(gw);
  const victim = cluster.replicas[1];
  if (!victim) return t.fail('no second replica');
  const load = readLoad(4);
  await waitFor(() => load.count() > 20, { message: 'reads flowing' });
  await stopNode(2);
  await monitor.waitFor(victim.name, 'down', 10_000);
  const atDown = load.count();
  await waitFor(() => load.count() > atDown + 20, { message: 'reads keep flowing' });
  const errors = await load.stop();
  t.deepEqual(
    errors.map((e) => errorDetails(e).reason),
    [],
    'no read failed',
  );
  await startNode(2);
  await monitor.waitFor(victim.name, 'healthy', 15_000);
  const ids = new Set<number>();
  await waitFor(
    async () => {
      ids.add(await servedBy(gw.client));
      return ids.has(3);
    },
    { timeoutMs: 10_000, message: 'replica 2 (server_id 3) serving again' },
  );
  t.true(ids.has(3));
});

test.serial('a replica whose SQL thread stops is taken out, then back in once it catches up', async (t) => {
  const { cluster, monitor } = defaultCluster(gw);
  const r1 = cluster.replicas[0];
  if (!r1) return t.fail('no replica');
  await rootQuery(sandbox.replicaPorts[0] as number, 'STOP SLAVE SQL_THREAD');
  await monitor.waitFor(r1.name, 'lagging', 10_000);
  for (let i = 0; i < 10; i++) await execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('lag')` });
  for (let i = 0; i < 20; i++) t.not(await servedBy(gw.client), 2, 'the lagging replica gets no reads');
  await rootQuery(sandbox.replicaPorts[0] as number, 'START SLAVE SQL_THREAD');
  await monitor.waitFor(r1.name, 'healthy', 10_000);
  const ids = new Set<number>();
  await waitFor(
    async () => {
      ids.add(await servedBy(gw.client));
      return ids.has(2);
    },
    { timeoutMs: 10_000, message: 'replica 1 serving again' },
  );
  t.true(ids.has(2));
});

test.serial(
  'the primary restarts: Execute fails fast with UNAVAILABLE, then works again without a gateway restart',
  async (t) => {
    const { cluster, monitor } = defaultCluster(gw);
    await stopNode(0);
    const started = Date.now();
    const err = await t.throwsAsync(
      execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('outage')` }, { deadlineMs: 20_000 }),
    );
    const elapsed = Date.now() - started;
    t.is(errorDetails(err).code, Code.UNAVAILABLE, errorDetails(err).details);
    t.log(`Execute failed after ${elapsed} ms with the primary down`);
    await monitor.waitFor(cluster.primary.name, 'down', 10_000);
    const down = await defaultCluster(gw).cluster.serving;
    t.false(down, 'the cluster is NOT_SERVING while its primary is down');
    await startNode(0);
    await waitFor(
      async () => {
        try {
          await execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('back')` });
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'Execute works again' },
    );
    const rows = await query(gw.client, {
      sql: `SELECT COUNT(*) FROM ${T} WHERE v = ?`,
      params: [v.str('outage')],
      read_preference: 'READ_PREFERENCE_PRIMARY',
    });
    t.is(
      rows.rows[0]?.[0] && (rows.rows[0][0] as { int64_value: string }).int64_value,
      '0',
      'the failed write was not re-sent',
    );
    await monitor.waitFor(cluster.primary.name, 'healthy', 10_000);
    t.true(cluster.serving);
  },
);

test.serial(
  "KILL of the gateway's connections: the pool heals; reads see no error, a write at most one",
  async (t) => {
    await allHealthy(gw);
    // Warm every pool, then kill every gateway connection on every node.
    await Promise.all(Array.from({ length: 6 }, () => servedBy(gw.client)));
    for (const port of [sandbox.primaryPort, ...sandbox.replicaPorts]) {
      const ids = (await rootQuery(port, 'SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [
        sandbox.gatewayUser,
      ])) as { ID: number }[];
      for (const { ID } of ids) await rootQuery(port, `KILL ${ID}`).catch(() => {});
    }
    const readErrors: string[] = [];
    for (let i = 0; i < 20; i++) {
      await servedBy(gw.client).catch((e) => readErrors.push(errorDetails(e).reason));
    }
    t.deepEqual(readErrors, []);
    let writeErrors = 0;
    for (let i = 0; i < 5; i++) {
      await execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('after kill')` }).catch(
        () => writeErrors++,
      );
    }
    t.true(writeErrors <= 1, `${writeErrors} write errors`);
  },
);
