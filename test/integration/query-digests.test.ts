/**
 * Query digests over real gRPC to a real gateway on the sandbox (telemetry off: digests count
 * anyway): Admin.GetQueryStats groups statements of Query, Execute, Transaction and Batch under
 * their normalized text per principal and request tag, with counts matching the calls made,
 * plausible percentiles and errors by code; bad request tags are refused; non-admins are
 * refused; /status.json has the entries; the slow-statement log carries no values; reset works.
 */
import test from 'ava';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { GatewayClient } from '../../src/client/index.js';
import { Code, codeName } from '../../src/errors.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { connectAdmin } from './helpers/admin.js';
import {
  type AnyMessage,
  connectClient,
  errorDetails,
  execute,
  type GatewayStub,
  query,
  TxStream,
  v,
} from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const TABLE = 'digest_rows';
const tokens = { app: newToken(), ops: newToken() };

let gw: TestGateway;
let app: GatewayStub;
let ops: ReturnType<typeof connectAdmin>;
let appAdmin: ReturnType<typeof connectAdmin>;

test.before(async () => {
  gw = await startGateway({
    admin: { port: 0 },
    telemetry: { enabled: false, slowStatementMs: 150 },
    auth: {
      enabled: true,
      principals: {
        app: { tokenSha256: [hashToken(tokens.app)] },
        ops: { tokenSha256: [hashToken(tokens.ops)], admin: true },
      },
    },
  });
  app = connectClient(gw.port, { token: tokens.app });
  ops = connectAdmin(gw.port, { token: tokens.ops });
  appAdmin = connectAdmin(gw.port, { token: tokens.app });
  await rootQuery(sandbox.primaryPort, `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id INT PRIMARY KEY)`);
  await rootQuery(sandbox.primaryPort, `DELETE FROM gwtest.${TABLE}`);
  await rootQuery(sandbox.primaryPort, `INSERT INTO gwtest.${TABLE} VALUES (1),(2),(3),(4),(5),(6),(7)`);
});

test.after.always(async () => {
  app?.close();
  ops?.close();
  appAdmin?.close();
  await gw?.stop();
});

const primary = { read_preference: 'READ_PREFERENCE_PRIMARY' };

/** The entries with request tag `tag`, uint64 strings as numbers. */
async function entriesTagged(tag: string): Promise<AnyMessage[]> {
  const res = await ops.getQueryStats({});
  return (res.entries ?? [])
    .filter((e: AnyMessage) => (e.request_tag ?? '') === tag)
    .map((e: AnyMessage) => ({
      ...e,
      calls: Number(e.calls ?? 0),
      errors: Number(e.errors ?? 0),
      rows: Number(e.rows ?? 0),
      total_us: Number(e.total_us ?? 0),
      p50_us: Number(e.p50_us ?? 0),
      p95_us: Number(e.p95_us ?? 0),
      p99_us: Number(e.p99_us ?? 0),
      max_us: Number(e.max_us ?? 0),
    }));
}

function batch(stub: GatewayStub, req: AnyMessage): Promise<AnyMessage> {
  return new Promise((resolve, reject) =>
    (stub as AnyMessage).Batch(req, (err: unknown, res: AnyMessage) => (err ? reject(err) : resolve(res))),
  );
}

test.serial(
  '7 point selects with different ids are one digest with 7 calls and plausible percentiles',
  async (t) => {
    const before = Date.now();
    for (let id = 1; id <= 7; id++) {
      await query(app, { ...primary, sql: `SELECT id FROM ${TABLE} WHERE id = ${id}`, request_tag: 'point' });
    }
    const entries = await entriesTagged('point');
    t.is(entries.length, 1);
    const e = entries[0];
    t.like(e, {
      digest_text: `SELECT id FROM ${TABLE} WHERE id = ?`,
      cluster: 'default',
      backend_role: 'primary',
      principal: 'app',
      calls: 7,
      rows: 7,
      errors: 0,
    });
    t.true(e.p50_us > 0, `p50 ${e.p50_us}`);
    t.true(e.p50_us <= e.p95_us && e.p95_us <= e.p99_us && e.p99_us <= e.max_us, JSON.stringify(e));
    t.true(e.max_us <= e.total_us);
    t.true(Number(e.first_seen_ms) >= before - 1000 && Number(e.last_seen_ms) >= Number(e.first_seen_ms));
  },
);

test.serial(
  'IN lists of any length, from Query, Execute, Transaction and Batch, share a digest',
  async (t) => {
    const tag = 'in-lists';
    for (const ids of [[1], [1, 2], [1, 2, 3, 4, 5]]) {
      await query(app, {
        ...primary,
        sql: `SELECT id FROM ${TABLE} WHERE id IN (${ids.join(', ')})`,
        request_tag: tag,
      });
    }
    await query(app, {
      ...primary,
      sql: `SELECT id FROM ${TABLE} WHERE id IN (?, ?, 3)`,
      params: [v.i64(1), v.i64(2)],
      request_tag: tag,
    });
    await execute(app, { sql: `DELETE FROM ${TABLE} WHERE id IN (100, 101)`, request_tag: tag });
    const tx = new TxStream(app);
    await tx.begin({ request_tag: tag });
    await tx.query(`SELECT id FROM ${TABLE} WHERE id IN (6, 7)`);
    await tx.commit();
    await batch(app, {
      request_tag: tag,
      steps: [
        { statement: { sql: `SELECT id FROM ${TABLE} WHERE id IN (1)` } },
        { statement: { sql: `DELETE FROM ${TABLE} WHERE id IN (200)` } },
      ],
    });
    const entries = await entriesTagged(tag);
    const byText = Object.fromEntries(entries.map((e) => [e.digest_text, e]));
    t.deepEqual(Object.keys(byText).sort(), [
      `DELETE FROM ${TABLE} WHERE id IN (...)`,
      `SELECT id FROM ${TABLE} WHERE id IN (...)`,
    ]);
    t.is(byText[`SELECT id FROM ${TABLE} WHERE id IN (...)`].calls, 4 + 1 + 1);
    t.is(byText[`SELECT id FROM ${TABLE} WHERE id IN (...)`].rows, 1 + 2 + 5 + 3 + 2 + 1);
    t.is(byText[`DELETE FROM ${TABLE} WHERE id IN (...)`].calls, 2);
    for (const e of entries) t.is(e.principal, 'app');
  },
);

test.serial('tags separate entries; errors are counted by code', async (t) => {
  const sql = `SELECT id FROM ${TABLE} WHERE id = 1`;
  await query(app, { ...primary, sql, request_tag: 'tag-a' });
  await query(app, { ...primary, sql, request_tag: 'tag-b' });
  await query(app, { ...primary, sql, request_tag: 'tag-b' });
  t.is((await entriesTagged('tag-a'))[0]?.calls, 1);
  t.is((await entriesTagged('tag-b'))[0]?.calls, 2);

  let code = -1;
  for (let i = 0; i < 2; i++) {
    const err = await query(app, {
      ...primary,
      sql: 'SELECT * FROM no_such_table_xyz WHERE id = 3',
      request_tag: 'errs',
    }).then(
      () => undefined,
      (e: { code: number }) => e,
    );
    t.truthy(err);
    code = err!.code;
  }
  const failed = gw.logs
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'call failed' && l.request_tag === 'errs');
  t.is(failed.length, 2, 'the "call failed" lines carry the request tag');
  const [e] = await entriesTagged('errs');
  t.is(e?.digest_text, 'SELECT * FROM no_such_table_xyz WHERE id = ?');
  t.is(e?.calls, 2);
  t.is(e?.errors, 2);
  t.deepEqual(Object.fromEntries(Object.entries(e?.errors_by_code ?? {}).map(([k, n]) => [k, Number(n)])), {
    [codeName(code as Code)]: 2,
  });
});

test.serial('a bad request tag is INVALID_ARGUMENT BAD_REQUEST_TAG on every RPC', async (t) => {
  for (const tag of ['x'.repeat(65), 'tab\there', 'naïve']) {
    const calls: [string, () => Promise<unknown>][] = [
      ['Query', () => query(app, { sql: 'SELECT 1', request_tag: tag })],
      ['Execute', () => execute(app, { sql: `DELETE FROM ${TABLE} WHERE id = 0`, request_tag: tag })],
      ['Batch', () => batch(app, { request_tag: tag, steps: [{ statement: { sql: 'SELECT 1' } }] })],
      [
        'Transaction',
        async () => {
          const tx = new TxStream(app);
          tx.send({ begin: { request_tag: tag } });
          const e = await tx.status;
          if (e) throw e;
        },
      ],
    ];
    for (const [name, call] of calls) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      t.is(
        (err as { code?: number } | undefined)?.code,
        Code.INVALID_ARGUMENT,
        `${name} ${JSON.stringify(tag)}`,
      );
      t.is(errorDetails(err).reason, 'BAD_REQUEST_TAG', name);
    }
  }
});

test.serial('GetQueryStats needs an admin principal', async (t) => {
  const err = await appAdmin.getQueryStats({}).then(
    () => undefined,
    (e: { code: number }) => e,
  );
  t.is(err?.code, Code.PERMISSION_DENIED);
});

test.serial('sort, limit and cluster filter; an unknown sort is INVALID_ARGUMENT', async (t) => {
  const byCalls = await ops.getQueryStats({ sort: 'QUERY_STATS_SORT_CALLS', limit: 2 });
  t.is(byCalls.entries.length, 2);
  t.true(Number(byCalls.entries[0].calls) >= Number(byCalls.entries[1].calls));
  t.true(byCalls.enabled);
  t.is(byCalls.max_entries, 1000);
  const none = await ops.getQueryStats({ cluster: 'nope' });
  t.deepEqual(none.entries ?? [], []);
  const err = await ops.getQueryStats({ sort: 99 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.is((err as { code: number }).code, Code.INVALID_ARGUMENT);
  t.is(errorDetails(err).reason, 'BAD_SORT');
});

test.serial('the slow-statement log line appears once, with the digest and no values', async (t) => {
  const secretParam = 'param-secret-8841';
  const secretLiteral = 'literal-secret-5512';
  await query(app, {
    ...primary,
    sql: `SELECT SLEEP(0.3), '${secretLiteral}', ? AS p`,
    params: [v.str(secretParam)],
    request_tag: 'slow',
  });
  const slow = gw.logs
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'slow statement' && l.request_tag === 'slow');
  t.is(slow.length, 1);
  t.like(slow[0], {
    digest: 'SELECT SLEEP(?), ?, ? AS p',
    rows: 1,
    cluster: 'default',
    backend_role: 'primary',
    principal: 'app',
    request_tag: 'slow',
  });
  t.true(slow[0].duration_ms >= 150, String(slow[0].duration_ms));
  t.is(typeof slow[0].backend, 'string');
  for (const line of gw.logs) {
    t.false(line.includes(secretParam), 'no parameter value in any log line');
    t.false(line.includes(secretLiteral), 'no literal in any log line');
  }
  // Fast statements are not logged.
  t.is(gw.logs.filter((l) => l.includes('"slow statement"')).length, 1);
});

test.serial('/status.json has the top digests, as GetQueryStats reports them', async (t) => {
  const res = await fetch(`http://127.0.0.1:${gw.gateway.adminPort}/status.json`);
  t.is(res.status, 200);
  const body = (await res.json()) as { query_digests: AnyMessage[] };
  t.true(Array.isArray(body.query_digests) && body.query_digests.length > 0);
  const point = body.query_digests.find((e) => e.request_tag === 'point');
  t.like(point, { digest_text: `SELECT id FROM ${TABLE} WHERE id = ?`, calls: 7, principal: 'app' });
  const grpc = (await entriesTagged('point'))[0];
  t.is(point.p99_us, grpc.p99_us);
  t.is(point.total_us, grpc.total_us);
  for (let i = 1; i < body.query_digests.length; i++)
    t.true(body.query_digests[i - 1].total_us >= body.query_digests[i].total_us, 'sorted by total time');
});

test.serial('the TS client sends requestTag on query, execute, batch and transaction', async (t) => {
  const client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { token: tokens.app });
  t.teardown(() => client.close());
  const tag = 'ts-client';
  await client.queryAll(`SELECT id FROM ${TABLE} WHERE id = ?`, [1], {
    requestTag: tag,
    readPreference: 'PRIMARY',
  });
  await client.execute(`DELETE FROM ${TABLE} WHERE id = ?`, [300], { requestTag: tag });
  await client.batch([{ sql: `DELETE FROM ${TABLE} WHERE id = 301` }], { requestTag: tag });
  await client.transaction(
    async (tx) => {
      await tx.execute(`DELETE FROM ${TABLE} WHERE id = 302`);
    },
    { requestTag: tag },
  );
  const byText = Object.fromEntries((await entriesTagged(tag)).map((e) => [e.digest_text, e.calls]));
  t.deepEqual(byText, {
    [`SELECT id FROM ${TABLE} WHERE id = ?`]: 1,
    [`DELETE FROM ${TABLE} WHERE id = ?`]: 3,
  });
  const err = await client.execute('SELECT 1', [], { requestTag: 'x'.repeat(65) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.is((err as { code: number }).code, Code.INVALID_ARGUMENT);
});

test.serial('reset answers the entries, then forgets them', async (t) => {
  const answered = await ops.getQueryStats({ reset: true });
  t.true((answered.entries ?? []).length > 0);
  const after = await ops.getQueryStats({});
  t.deepEqual(after.entries ?? [], []);
  await query(app, { ...primary, sql: 'SELECT 1', request_tag: 'after-reset' });
  t.is((await entriesTagged('after-reset'))[0]?.calls, 1);
});

test.serial(
  'eviction bound: 2,000 distinct digests with maxEntries 100, calls conserved, metrics bounded',
  async (t) => {
    const small = await startGateway({
      admin: { port: 0 },
      telemetry: { enabled: true, queryDigests: { maxEntries: 100 } },
    });
    t.teardown(() => small.stop());
    const admin = connectAdmin(small.port);
    t.teardown(() => admin.close());
    const N = 2000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next++;
          await query(small.client, { ...primary, sql: `SELECT ${i} AS c${i}` });
        }
      }),
    );
    const res = await admin.getQueryStats({});
    const entries = res.entries as AnyMessage[];
    t.true(entries.length <= 101, `${entries.length} entries`);
    t.is(entries.filter((e) => e.digest_text === 'other').length, 1);
    t.is(
      entries.reduce((n, e) => n + Number(e.calls ?? 0), 0),
      N,
    );
    t.true(res.total_entries <= 100);
    const metrics = await (await fetch(`http://127.0.0.1:${small.gateway.adminPort}/metrics`)).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('mysqlgateway_query_digest_calls{'));
    t.true(series.length > 0 && series.length <= 21, `${series.length} series`);
    t.true(series.some((l) => l.includes('digest="other"')));
    const total = series.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    t.is(total, N);
  },
);
