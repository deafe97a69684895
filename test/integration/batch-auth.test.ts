/**
 * Who may run a Batch, checked for the whole batch before any step runs: a read-only principal's
 * batch with a write anywhere fails PERMISSION_DENIED naming the step, a principal limited to
 * other clusters is refused, and every step counts against the principal's request rate.
 *
 * "Nothing ran" is read from the primary's global status counters of statements nobody else on
 * this sandbox runs (SHOW CHARACTER SET, SHOW COLLATION), and from the table itself.
 */
import test from 'ava';
import { GatewayClient, GatewayClientError, StatusCode } from '../../src/client/index.js';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

const T = 'batch_auth_t';
const tokens = {
  app: newToken(),
  reader: newToken(),
  analyst: newToken(),
  slow: newToken(),
  slow2: newToken(),
};
/** The burst of the rate-limited principals. */
const BURST = 3;
let gw: TestGateway;
const clients: GatewayClient[] = [];

async function connect(token: string): Promise<GatewayClient> {
  const c = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { token, defaultDeadlineMs: 20_000 });
  clients.push(c);
  return c;
}

test.before(async () => {
  const p = (token: string, extra: Record<string, unknown> = {}) => ({
    tokenSha256: [hashToken(token)],
    ...extra,
  });
  gw = await startGateway({
    auth: {
      enabled: true,
      principals: {
        app: p(tokens.app),
        reader: p(tokens.reader, { readOnly: true }),
        analyst: p(tokens.analyst, { clusters: ['analytics'] }),
        // 1 request per 100 s: nothing refills during the test.
        slow: p(tokens.slow, { requestsPerSecond: 0.01, burst: BURST }),
        slow2: p(tokens.slow2, { requestsPerSecond: 0.01, burst: BURST }),
      },
    },
    clusters: { analytics: sandboxClusterConfig({ replicas: false }) },
  });
  await rootQuery(sandbox.primaryPort, `DROP TABLE IF EXISTS gwtest.${T}`);
  await rootQuery(sandbox.primaryPort, `CREATE TABLE gwtest.${T} (id INT PRIMARY KEY) ENGINE=InnoDB`);
});

test.after.always(async () => {
  for (const c of clients) await c.close();
  await rootQuery(sandbox.primaryPort, `DROP TABLE IF EXISTS gwtest.${T}`).catch(() => {});
  await gw?.stop();
});

test.beforeEach(async () => {
  await rootQuery(sandbox.primaryPort, `DELETE FROM gwtest.${T}`);
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** Global status counters of the primary, by name. */
async function counters(...names: string[]): Promise<Record<string, number>> {
  const rows = (await rootQuery(
    sandbox.primaryPort,
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map(() => '?').join(', ')})`,
    names,
  )) as { Variable_name: string; Value: string }[];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

async function tableIds(): Promise<number[]> {
  const rows = (await rootQuery(sandbox.primaryPort, `SELECT id FROM gwtest.${T} ORDER BY id`)) as {
    id: number;
  }[];
  return rows.map((r) => r.id);
}

const COUNTERS = ['Com_show_charsets', 'Com_show_collations', 'Com_insert'];
/** Three reads, each moving a counter of its own, before the step under test. */
const READS = [
  { sql: "SHOW CHARACTER SET LIKE 'latin1'" },
  { sql: "SHOW COLLATION LIKE 'latin1_bin'" },
  { sql: 'SELECT 1' },
];

test.serial(
  'a read-only principal: a write at step 3 fails the batch PERMISSION_DENIED before any step runs',
  async (t) => {
    const reader = await connect(tokens.reader);
    // The counters do count these steps: the same reads alone run, and move them.
    const base = await counters(...COUNTERS);
    const ok = await reader.batch(READS);
    t.deepEqual(
      ok.results.map((s) => s.kind),
      ['rows', 'rows', 'rows'],
    );
    const afterReads = await counters(...COUNTERS);
    t.is(afterReads.Com_show_charsets, (base.Com_show_charsets ?? 0) + 1);
    t.is(afterReads.Com_show_collations, (base.Com_show_collations ?? 0) + 1);

    for (const [name, steps] of [
      ['an INSERT', [...READS, { sql: `INSERT INTO ${T} VALUES (1)` }]],
      ['SELECT ... FOR UPDATE', [...READS, { sql: `SELECT id FROM ${T} FOR UPDATE` }]],
    ] as const) {
      const err = await t.throwsAsync(reader.batch(steps), { instanceOf: GatewayClientError });
      t.is(err?.code, StatusCode.PERMISSION_DENIED, name);
      t.is(err?.reason, 'READ_ONLY_PRINCIPAL', name);
      t.regex(err?.details ?? '', /batch step 3\b/, `${name}: the message names the step`);
      t.regex(err?.details ?? '', /principal reader is read-only/, name);
    }
    // A read-write transaction is refused even when every step reads.
    const rw = await t.throwsAsync(reader.batch(READS, { transaction: true }), {
      instanceOf: GatewayClientError,
    });
    t.is(rw?.code, StatusCode.PERMISSION_DENIED);
    t.is(rw?.reason, 'READ_ONLY_PRINCIPAL');
    t.deepEqual(await counters(...COUNTERS), afterReads, 'no step of a refused batch ran');
    t.deepEqual(await tableIds(), []);

    // A read-only transaction of reads is the reader's to run.
    const ro = await reader.batch([{ sql: `SELECT COUNT(*) FROM ${T}` }], {
      transaction: { readOnly: true },
    });
    t.deepEqual(
      ro.results.map((s) => s.kind),
      ['rows'],
    );
  },
);

test.serial('a read-write principal runs the same batch, write included', async (t) => {
  const app = await connect(tokens.app);
  const r = await app.batch([...READS, { sql: `INSERT INTO ${T} VALUES (1)` }]);
  t.deepEqual(
    r.results.map((s) => s.kind),
    ['rows', 'rows', 'rows', 'executed'],
  );
  t.deepEqual(await tableIds(), [1]);
});

test.serial('a principal limited to other clusters gets PERMISSION_DENIED, nothing run', async (t) => {
  const analyst = await connect(tokens.analyst);
  const steps = [{ sql: `INSERT INTO ${T} VALUES (1)` }, { sql: 'SELECT 1' }];
  const err = await t.throwsAsync(analyst.batch(steps), { instanceOf: GatewayClientError });
  t.is(err?.code, StatusCode.PERMISSION_DENIED);
  t.is(err?.reason, 'CLUSTER_NOT_ALLOWED');
  t.regex(err?.details ?? '', /cluster default/);
  t.deepEqual(await tableIds(), [], 'step 0 never ran');
  // Its own cluster (the same sandbox under another name) serves it.
  const r = await analyst.batch(steps, { cluster: 'analytics' });
  t.deepEqual(
    r.results.map((s) => s.kind),
    ['executed', 'rows'],
  );
  t.deepEqual(await tableIds(), [1]);
});

test.serial(
  'every step counts against the request rate: more steps than the burst is RESOURCE_EXHAUSTED',
  async (t) => {
    const slow = await connect(tokens.slow);
    const steps = [
      { sql: `INSERT INTO ${T} VALUES (1)` },
      ...Array.from({ length: BURST }, (_, i) => ({ sql: `SELECT ${i}` })),
    ];
    const before = await counters(...COUNTERS);
    const err = await t.throwsAsync(slow.batch(steps), { instanceOf: GatewayClientError });
    t.is(err?.code, StatusCode.RESOURCE_EXHAUSTED);
    t.is(err?.reason, 'RATE_LIMITED');
    t.regex(err?.details ?? '', /retry in \d+ ms/);
    t.deepEqual(await tableIds(), [], 'step 0 never ran');
    t.is((await counters(...COUNTERS)).Com_insert, before.Com_insert);

    // A batch of exactly the burst passes, and uses it up: the next single call is refused.
    const slow2 = await connect(tokens.slow2);
    const fits = await slow2.batch(Array.from({ length: BURST }, (_, i) => ({ sql: `SELECT ${i}` })));
    t.is(fits.results.length, BURST);
    const next = await t.throwsAsync(slow2.queryAll('SELECT 1'), { instanceOf: GatewayClientError });
    t.is(next?.code, StatusCode.RESOURCE_EXHAUSTED);
    t.is(next?.reason, 'RATE_LIMITED');
  },
);
