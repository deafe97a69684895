/**
 * Where a Batch runs, over real replication: a batch of reads goes where a Query would (read
 * preference), any write sends the whole batch to the primary, a read-only transaction is routed
 * like a read, and a read-only batch carrying the consistency token of an earlier write sees that
 * write even when every replica lags behind it (the primary serves it until a replica catches up).
 */
import test from 'ava';
import { type BatchStepResult, GatewayClient } from '../../src/client/index.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { allHealthy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

const T = 'batch_routing_t';
/** How far behind the primary the replicas apply everything in the read-your-writes test, s. */
const DELAY_S = 4;
let gw: TestGateway;
let client: GatewayClient;
const primary = `127.0.0.1:${sandbox.primaryPort}`;
const replicas = sandbox.replicaPorts.map((p) => `127.0.0.1:${p}`);

async function setReplicaDelay(seconds: number): Promise<void> {
  for (const port of sandbox.replicaPorts) {
    await rootQuery(port, 'STOP SLAVE');
    await rootQuery(port, `CHANGE MASTER TO MASTER_DELAY = ${seconds}`);
    await rootQuery(port, 'START SLAVE');
  }
}

test.before(async () => {
  // A replica lagging a few seconds stays within the 10 s bound, so it keeps getting reads.
  gw = await startGateway({ clusters: { default: { ...sandboxClusterConfig(), maxReplicaLagMs: 10_000 } } });
  await allHealthy(gw);
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 30_000 });
  await client.execute(`DROP TABLE IF EXISTS ${T}`);
  await client.execute(`CREATE TABLE ${T} (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB`);
});

test.after.always(async () => {
  if (!gw) return;
  await setReplicaDelay(0).catch(() => {});
  await client?.execute(`DROP TABLE IF EXISTS ${T}`).catch(() => {});
  await client?.close();
  await gw.assertNoLeaks();
  await gw.stop();
});

function rowsOf(step: BatchStepResult | undefined): unknown[][] {
  if (step?.kind !== 'rows') throw new Error(`expected rows, got ${step?.kind}`);
  return step.rows;
}

/** `@@server_id` as a step's one cell: 1 is the primary, 2 and 3 the replicas. */
const serverId = (step: BatchStepResult | undefined) => Number(rowsOf(step)[0]?.[0]);

test.serial('a batch of reads with read preference REPLICA runs on a replica', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = await client.batch([{ sql: 'SELECT @@server_id' }, { sql: `SELECT COUNT(*) FROM ${T}` }], {
      readPreference: 'REPLICA',
    });
    t.true(replicas.includes(r.backend), r.backend);
    t.true([2, 3].includes(serverId(r.results[0])), 'the steps ran there too');
    seen.add(r.backend);
  }
  t.log(`replicas seen: ${[...seen].join(', ')}`);
  const onPrimary = await client.batch([{ sql: 'SELECT @@server_id' }], { readPreference: 'PRIMARY' });
  t.is(onPrimary.backend, primary);
  t.is(serverId(onPrimary.results[0]), 1);
});

test.serial('a batch with any write, or a read not proven read-only, runs on the primary', async (t) => {
  await client.execute(`DELETE FROM ${T}`);
  const cases: [string, string][] = [
    ['an INSERT last', `INSERT INTO ${T} VALUES (1, 'w')`],
    ['SELECT ... FOR UPDATE', `SELECT id FROM ${T} LIMIT 1 FOR UPDATE`],
    ['GET_LOCK', "SELECT GET_LOCK('batch_routing_lock', 0), RELEASE_LOCK('batch_routing_lock')"],
  ];
  for (const [name, sql] of cases) {
    const r = await client.batch([{ sql: 'SELECT @@server_id' }, { sql: 'SELECT 1' }, { sql }], {
      readPreference: 'REPLICA',
    });
    t.is(r.backend, primary, name);
    t.is(serverId(r.results[0]), 1, `${name}: every step ran on the primary`);
    t.not(r.results[2]?.kind, 'error', name);
  }
});

test.serial('a read-only transaction batch is routed like a read', async (t) => {
  const r = await client.batch([{ sql: 'SELECT @@server_id' }, { sql: 'SELECT @@in_transaction' }], {
    transaction: { readOnly: true },
    readPreference: 'REPLICA',
  });
  t.true(replicas.includes(r.backend), r.backend);
  t.true([2, 3].includes(serverId(r.results[0])));
  t.deepEqual(rowsOf(r.results[1]), [[1]], 'inside a transaction');
  // A read-write transaction is the primary's, whatever its steps.
  const rw = await client.batch([{ sql: 'SELECT @@server_id' }], {
    transaction: true,
    readPreference: 'REPLICA',
  });
  t.is(rw.backend, primary);
});

test.serial(
  'read-your-writes: a read-only batch with the token of a write batch sees it, replicas lagging',
  async (t) => {
    await setReplicaDelay(DELAY_S);
    t.teardown(() => setReplicaDelay(0));
    await allHealthy(gw);

    // A write batch without a transaction: the token of its last write.
    const write = await client.batch([
      { sql: `INSERT INTO ${T} VALUES (10, 'plain')` },
      { sql: `INSERT INTO ${T} VALUES (11, 'plain')` },
    ]);
    t.is(write.backend, primary);
    t.regex(write.consistencyToken, /^\d+-\d+-\d+$/);
    // A transactional write batch: the token of its commit.
    const txWrite = await client.batch([{ sql: `INSERT INTO ${T} VALUES (12, 'tx')` }], {
      transaction: true,
    });
    t.true(txWrite.committed);
    t.regex(txWrite.consistencyToken, /^\d+-\d+-\d+$/);
    t.not(txWrite.consistencyToken, write.consistencyToken);

    const read = [{ sql: `SELECT id FROM ${T} WHERE id >= 10 ORDER BY id` }, { sql: 'SELECT @@server_id' }];
    // Without the token a replica answers and misses the writes: the replicas really lag.
    const stale = await client.batch(read, { readPreference: 'REPLICA' });
    t.true(replicas.includes(stale.backend), stale.backend);
    t.deepEqual(rowsOf(stale.results[0]), [], 'the replica has not applied the writes yet');

    // With the token: no replica has applied it in time, so the primary serves the batch.
    for (const token of [write.consistencyToken, txWrite.consistencyToken]) {
      const fresh = await client.batch(read, { readPreference: 'REPLICA', consistencyToken: token });
      t.is(fresh.backend, primary);
      t.is(serverId(fresh.results[1]), 1);
      t.deepEqual(rowsOf(fresh.results[0]), [[10], [11], [12]]);
    }
    const inTx = await client.batch(read, {
      transaction: { readOnly: true },
      consistencyToken: txWrite.consistencyToken,
    });
    t.is(inTx.backend, primary, 'a read-only transaction batch honours the token too');
    t.deepEqual(rowsOf(inTx.results[0]), [[10], [11], [12]]);

    // Once a replica has applied the token, it serves the batch: the token does not simply pin reads to the primary.
    await waitFor(
      async () => {
        const r = await client.batch(read, {
          readPreference: 'REPLICA',
          consistencyToken: txWrite.consistencyToken,
        });
        return replicas.includes(r.backend) && rowsOf(r.results[0]).length === 3;
      },
      { timeoutMs: (DELAY_S + 10) * 1000, intervalMs: 200, message: 'a replica serving the token read' },
    );
    t.pass();
  },
);
