/**
 * Routing over real replication: reads spread over healthy replicas, writes and anything not
 * proven read-only on the primary, read-only transactions on a replica, read-your-writes tokens.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy, defaultCluster, servedBy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const T = 'routing_rows';

test.before(async () => {
  gw = await startGateway({ clusters: { default: { ...sandboxClusterConfig(), maxReplicaLagMs: 10_000 } } });
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40))` });
});

test.after.always(async () => {
  if (!gw) return;
  for (const port of sandbox.replicaPorts) {
    await rootQuery(port, 'STOP SLAVE').catch(() => {});
    await rootQuery(port, 'CHANGE MASTER TO MASTER_DELAY = 0').catch(() => {});
    await rootQuery(port, 'START SLAVE').catch(() => {});
  }
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
});

test.serial('reads spread over both replicas; writes go to the primary', async (t) => {
  const seen = new Map<number, number>();
  for (let i = 0; i < 40; i++) {
    const id = await servedBy(gw.client);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  t.deepEqual([...seen.keys()].sort(), [2, 3], `server ids seen: ${JSON.stringify([...seen])}`);
  const res = await execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('w')` });
  t.is(res.backend, `127.0.0.1:${sandbox.primaryPort}`);
});

test.serial('statements not proven read-only run on the primary whatever the preference', async (t) => {
  await execute(gw.client, { sql: `INSERT INTO ${T} (v) VALUES ('lock me')` });
  for (const sql of [
    `SELECT @@server_id FROM ${T} LIMIT 1 FOR UPDATE`,
    `SELECT @@server_id FROM ${T} LIMIT 1 LOCK IN SHARE MODE`,
    "SELECT @@server_id, GET_LOCK('routing_lock', 0)",
    '/* SELECT */ SELECT @@server_id INTO @x',
  ]) {
    const out = await query(gw.client, { sql, read_preference: 'READ_PREFERENCE_REPLICA' });
    t.is(out.stats.backend_role, 'primary', sql);
    t.is(out.stats.backend, `127.0.0.1:${sandbox.primaryPort}`, sql);
  }
});

test.serial('read preferences', async (t) => {
  t.is(await servedBy(gw.client, { read_preference: 'READ_PREFERENCE_PRIMARY' }), 1);
  t.true([2, 3].includes(await servedBy(gw.client, { read_preference: 'READ_PREFERENCE_REPLICA' })));
  t.is(await servedBy(gw.client, { read_preference: 'READ_PREFERENCE_PRIMARY_PREFERRED' }), 1);
});

test.serial('a read-only transaction runs on a replica, a read-write one on the primary', async (t) => {
  const ro = new TxStream(gw.client);
  const begun = await ro.begin({ read_only: true });
  t.not(begun.begun.backend, `127.0.0.1:${sandbox.primaryPort}`);
  const r = await ro.query('SELECT @@server_id');
  t.true(
    [2, 3].includes(
      Number((r.rows[0] as AnyMessage[])[0].int64_value ?? (r.rows[0] as AnyMessage[])[0].uint64_value),
    ),
  );
  await ro.rollback();
  const rw = new TxStream(gw.client);
  const b2 = await rw.begin();
  t.is(b2.begun.backend, `127.0.0.1:${sandbox.primaryPort}`);
  await rw.rollback();
});

test.serial('Admin.GetStatus shows every backend with its role, state and pool', async (t) => {
  const { cluster } = defaultCluster(gw);
  const { connectAdmin } = await import('./helpers/admin.js');
  const admin = connectAdmin(gw.port);
  const status = await admin.getStatus();
  admin.close();
  const c = status.clusters.find((x: AnyMessage) => x.name === 'default');
  t.true(c.serving);
  t.deepEqual(
    c.backends.map((b: AnyMessage) => [b.name, b.role, b.state]),
    cluster.backends.map((b) => [b.name, b.role, 'BACKEND_HEALTH_STATE_HEALTHY']),
  );
  t.is(c.backends[0].read_only, false);
  t.is(c.backends[1].read_only, true);
  t.is(c.backends[1].lag_ms, '0');
  t.is(c.backends[1].lag_known, true);
  t.is(c.backends[0].lag_known ?? false, false, 'no lag for the primary');
  t.true(Number(c.backends[0].pool.total) >= 1);
});

test.serial('REPLICA with a staleness bound no replica meets fails UNAVAILABLE naming why', async (t) => {
  await rootQuery(sandbox.replicaPorts[0] as number, 'STOP SLAVE SQL_THREAD');
  await rootQuery(sandbox.replicaPorts[1] as number, 'STOP SLAVE SQL_THREAD');
  try {
    const { cluster, monitor } = defaultCluster(gw);
    await Promise.all(cluster.replicas.map((b) => monitor.waitFor(b.name, 'lagging', 10_000)));
    const err = await t.throwsAsync(
      query(gw.client, { sql: 'SELECT 1', read_preference: 'READ_PREFERENCE_REPLICA' }),
    );
    t.is(errorDetails(err).code, Code.UNAVAILABLE);
    t.is(errorDetails(err).reason, 'NO_USABLE_REPLICA');
    t.regex(errorDetails(err).details, /not replicating/);
    t.is(await servedBy(gw.client), 1, 'REPLICA_PREFERRED falls back to the primary');
  } finally {
    await rootQuery(sandbox.replicaPorts[0] as number, 'START SLAVE SQL_THREAD');
    await rootQuery(sandbox.replicaPorts[1] as number, 'START SLAVE SQL_THREAD');
  }
  await allHealthy(gw);
});

test.serial(
  'read-your-writes: a read with the write token always sees the write, a lagging replica present',
  async (t) => {
    // Replica 1 applies everything 2 s late but stays within the 10 s lag bound, so it keeps getting reads.
    const lagging = sandbox.replicaPorts[0] as number;
    await rootQuery(lagging, 'STOP SLAVE');
    await rootQuery(lagging, 'CHANGE MASTER TO MASTER_DELAY = 2');
    await rootQuery(lagging, 'START SLAVE');
    await allHealthy(gw);
    let staleWithoutToken = 0;
    for (let i = 0; i < 30; i++) {
      const res = await execute(gw.client, {
        sql: `INSERT INTO ${T} (v) VALUES (?)`,
        params: [v.str(`ryw-${i}`)],
      });
      t.regex(res.consistency_token, /^\d+-\d+-\d+$/);
      const id = v.i64(res.last_insert_id);
      const plain = await query(gw.client, { sql: `SELECT v FROM ${T} WHERE id = ?`, params: [id] });
      if (plain.rows.length === 0) staleWithoutToken++;
      const withToken = await query(gw.client, {
        sql: `SELECT v FROM ${T} WHERE id = ?`,
        params: [id],
        consistency_token: res.consistency_token,
      });
      t.is(withToken.rows.length, 1, `write ${i} visible with its token`);
    }
    t.log(`reads without a token that missed their write: ${staleWithoutToken}/30`);
    t.true(staleWithoutToken > 0, 'the lagging replica really was read (else the test proves nothing)');
  },
);

test.serial('commit returns a token too', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} (v) VALUES ('tx')`);
  const c = await tx.commit();
  t.regex(c.committed.consistency_token, /^\d+-\d+-\d+$/);
});

test.serial('configured weights reach the router: a replica of weight 0 gets no reads', async (t) => {
  const base = sandboxClusterConfig() as { replicas: Record<string, unknown>[] };
  const weighted = await startGateway({
    clusters: {
      default: {
        ...base,
        replicas: [base.replicas[0], { ...base.replicas[1], weight: 0 }],
        maxReplicaLagMs: 10_000,
      },
    },
  });
  t.teardown(() => weighted.stop());
  await allHealthy(weighted);
  const seen = new Set<number>();
  for (let i = 0; i < 30; i++)
    seen.add(await servedBy(weighted.client, { read_preference: 'READ_PREFERENCE_REPLICA' }));
  t.deepEqual([...seen], [2], 'only the first replica (server id 2) served reads');
});
