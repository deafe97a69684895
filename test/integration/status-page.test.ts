/**
 * The admin HTTP `/status` page as a person sees it, in headless Chromium (playwright-core driving
 * Debian's chromium, `make browser-deps`; `CHROMIUM_PATH` points elsewhere): a table per cluster
 * with every backend's role, state, pool figures and last error, kept live by polling
 * `/status.json`. A replica stopped and started again shows as down, then healthy, without a
 * reload; a gateway that stops answering shows "connection lost". `/status.json` carries the
 * proto's fields and the same snapshot Admin.GetStatus answers; a backend name from the
 * configuration is shown as text, never parsed as markup. The charts of the last minutes show, for
 * each series, the latest value of the `/status/history.json` the page itself fetched; the open
 * transactions table shows what Admin.GetStatus reports.
 *
 * Waiting is done by Playwright's locator waits and page.waitForFunction, never by sleeping.
 */
import test from 'ava';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { AdminHttpServer } from '../../src/admin/admin-http-server.js';
import { addStatusRoutes } from '../../src/admin/status-routes.js';
import type { Backend } from '../../src/backend/backend.js';
import type { Lease } from '../../src/pool/lease.js';
import { gatewayPackageDefinition } from '../../src/wire/proto.js';
import type { GatewayStatus } from '../../src/admin/gateway-status.js';
import { startNode, stopNode } from '../helpers/sandbox.js';
import { connectAdmin } from './helpers/admin.js';
import { type AnyMessage, execute, query, TxStream } from './helpers/client.js';
import { allHealthy, defaultCluster } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

/** Fast checks, so that a stopped replica is down within a second or so. */
const FAST_HEALTH = { intervalMs: 200, timeoutMs: 1000, failuresToDown: 2, successesToUp: 1 };
const DASH = '\u2014';

let browser: Browser;
let gw: TestGateway;

test.before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  gw = await startGateway({
    admin: { port: 0 },
    // No idle eviction during the run: pool figures change only when a test makes them.
    clusters: {
      default: { ...sandboxClusterConfig(), healthCheck: FAST_HEALTH, pool: { idleTimeoutMs: 3_600_000 } },
    },
  });
  await allHealthy(gw);
});

test.after.always(async () => {
  // Leave the sandbox as the other test files expect it, whatever failed above.
  await startNode(2);
  await browser?.close();
  if (!gw) return;
  await gw.assertNoLeaks();
  await gw.stop();
});

function adminUrl(g: TestGateway, path: string): string {
  return `http://127.0.0.1:${g.gateway.adminPort}${path}`;
}

/**
 * Opens `/status` of `g` in a fresh page, failing the test on any script error or CSP violation
 * the page reports.
 */
async function openStatusPage(t: { teardown(fn: () => unknown): void }, g: TestGateway): Promise<Page> {
  const page = await browser.newPage();
  t.teardown(() => page.close());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('Failed to load resource')) problems.push(msg.text());
  });
  t.teardown(() => {
    if (problems.length > 0) throw new Error(`the page reported:\n${problems.join('\n')}`);
  });
  const res = await page.goto(adminUrl(g, '/status'));
  if (res?.status() !== 200) throw new Error(`/status answered ${res?.status()}`);
  return page;
}

/** The few DOM members the in-page reader uses (this project compiles without the DOM library). */
interface PageNode {
  readonly textContent: string | null;
  querySelectorAll(selector: string): Iterable<PageNode>;
}

/** One row of a cluster's table as shown: column header -> cell text. */
type Row = Record<string, string>;

/** The table of cluster `name` as a person reads it: one object per row, keyed by column header. */
function readTable(page: Page, name: string): Promise<Row[]> {
  return page.getByRole('table', { name: `Cluster ${name}`, exact: true }).evaluate((table: PageNode) => {
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
    return [...table.querySelectorAll('tbody tr')].map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? '']));
    });
  });
}

/** Waits until the row of backend `name` shows `state` (as text in its State cell). */
async function waitForState(page: Page, name: string, state: string, timeoutMs = 20_000): Promise<void> {
  await page
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name, exact: true }) })
    .locator('.badge')
    .filter({ hasText: new RegExp(`^${state}$`) })
    .waitFor({ timeout: timeoutMs });
}

/** The text shown by the element `locator` finds (waiting for it). */
async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** The serving badge next to cluster `name`'s heading. */
function servingBadge(page: Page, name: string): Promise<string> {
  return text(
    page
      .getByRole('heading')
      .filter({ has: page.getByText(`Cluster ${name}`, { exact: true }) })
      .locator('.badge'),
  );
}

function rowOf(rows: Row[], name: string): Row {
  const row = rows.find((r) => r.Backend === name);
  if (!row) throw new Error(`no row for ${name} in ${JSON.stringify(rows)}`);
  return row;
}

test.serial(
  'the page shows every backend with its role, state and the figures its pool reports',
  async (t) => {
    const { cluster } = defaultCluster(gw);
    const page = await openStatusPage(t, gw);
    t.is(await servingBadge(page, 'default'), 'serving');
    for (const b of cluster.backends) await waitForState(page, b.name, 'healthy');

    // Hold three connections of the primary, so that the figures are not all zeros and idle.
    const leases: Lease<unknown>[] = [];
    t.teardown(() => {
      for (const l of leases) l.release();
    });
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) leases.push(await cluster.primary.acquire({ signal }));
    const pool = (b: Backend) => `${b.pool.stats().used} / ${b.pool.stats().total} / ${b.pool.stats().max}`;
    t.is(pool(cluster.primary), '3 / 3 / 8');
    await page
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: cluster.primary.name, exact: true }) })
      .getByRole('cell', { name: '3 / 3 / 8', exact: true })
      .waitFor();

    const rows = await readTable(page, 'default');
    t.deepEqual(
      rows.map((r) => [r.Backend, r.Role, r.State]),
      cluster.backends.map((b) => [b.name, b.role, 'healthy']),
    );
    for (const b of cluster.backends) {
      const row = rowOf(rows, b.name);
      const s = b.pool.stats();
      t.is(row['Pool used / total / max'], pool(b), `${b.name}: the pool's own used / total / max`);
      t.is(row.Idle, String(s.idle), `${b.name} idle`);
      t.is(row.Waiting, String(s.waiting), `${b.name} waiting`);
      t.is(row['Longest wait'], `${Math.round(s.longestWaitMs)} ms`, `${b.name} longest wait`);
      t.is(row['In flight'], String(b.inFlight), `${b.name} in flight`);
      t.is(row['Opened / closed'], `${s.created} / ${s.closed}`, `${b.name} opened / closed`);
      t.is(row['Last error'], DASH, `${b.name} has no error`);
      t.regex(row.Ping ?? '', /^\d+\.\d\d ms$/);
      t.is(row['Read only'], b.role === 'primary' ? 'no' : 'yes');
      t.is(row.Lag, b.role === 'primary' ? DASH : '0 s');
    }
    t.is(rowOf(rows, cluster.primary.name)['In flight'], '3');
    t.regex(await text(page.getByRole('status')), /^Live/);
    t.not(await text(page.locator('#updated')), 'never');

    // Released, the figures go back down on the page by themselves.
    for (const l of leases.splice(0)) l.release();
    await page
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: cluster.primary.name, exact: true }) })
      .getByRole('cell', { name: '0 / 3 / 8', exact: true })
      .waitFor();
    const after = rowOf(await readTable(page, 'default'), cluster.primary.name);
    t.is(after['Pool used / total / max'], '0 / 3 / 8');
    t.is(after['In flight'], '0');
  },
);

test.serial(
  'a stopped replica shows as down with its last error, then healthy again, without a reload',
  async (t) => {
    const { cluster } = defaultCluster(gw);
    const victim = cluster.replicas[1];
    if (!victim) return t.fail('no second replica');
    const page = await openStatusPage(t, gw);
    await waitForState(page, victim.name, 'healthy');
    // Survives only as long as the document does: a reload would lose it.
    await page.evaluate(() => {
      (globalThis as { sameDocument?: boolean }).sameDocument = true;
    });

    try {
      await stopNode(2);
      await waitForState(page, victim.name, 'down');
      const rows = await readTable(page, 'default');
      const row = rowOf(rows, victim.name);
      t.is(row.State, 'down');
      t.not(row['Last error'], DASH, 'the reason is shown');
      t.regex(row['Last error'] ?? '', /\w/);
      t.is(row.Ping, DASH, 'no ping time after a failed check');
      t.is(rowOf(rows, cluster.primary.name).State, 'healthy');
      t.is(rowOf(rows, cluster.replicas[0]?.name ?? '').State, 'healthy');
      t.is(await servingBadge(page, 'default'), 'serving', 'the primary still serves');
      t.regex(await page.title(), /^1 not healthy/);
    } finally {
      await startNode(2);
    }
    await waitForState(page, victim.name, 'healthy');
    t.is(rowOf(await readTable(page, 'default'), victim.name)['Last error'], DASH);
    t.true(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument === true));
  },
);

/** Field names of a proto message, from the contract the gateway serves. */
function protoFields(message: string): string[] {
  const def = gatewayPackageDefinition()[`mysqlgateway.v1.${message}`] as {
    type: { field: { name: string }[] };
  };
  return def.type.field.map((f) => f.name).sort();
}

const STATE_ENUM: Record<string, string> = {
  healthy: 'BACKEND_HEALTH_STATE_HEALTHY',
  lagging: 'BACKEND_HEALTH_STATE_LAGGING',
  down: 'BACKEND_HEALTH_STATE_DOWN',
};

/** What a chart's legend shows: series name -> latest value as text. */
function readChart(page: Page, id: string): Promise<Record<string, string>> {
  return page.locator(`figure[data-chart="${id}"] .legend li[data-series]`).evaluateAll((items: PageNode[]) =>
    Object.fromEntries(
      items.map((li) => {
        const spans = [...li.querySelectorAll('span')].map((s) => s.textContent ?? '');
        return [spans[1] ?? '', spans[2] ?? ''];
      }),
    ),
  );
}

test.serial(
  'charts show the last minutes the history reports; open transactions match GetStatus',
  async (t) => {
    // Traffic the charts must show: Query and Execute calls, one failing Query, one open transaction.
    for (let i = 0; i < 5; i++)
      await query(gw.client, { sql: 'SELECT ? AS n', params: [{ int64_value: String(i) }] });
    await execute(gw.client, { sql: 'DO 1' });
    await t.throwsAsync(query(gw.client, { sql: 'SELECT * FROM status_page_no_such_table' }));
    // A statement of its own digest, 4 calls of 1 row each, from a tagged Query.
    for (let i = 0; i < 4; i++)
      await query(gw.client, {
        sql: 'SELECT ? AS status_page_digest',
        params: [{ int64_value: String(i) }],
        request_tag: 'status-page',
      });
    const tx = new TxStream(gw.client);
    t.teardown(() => tx.rollback().catch(() => {}));
    const begun = await tx.begin({ read_only: true, request_tag: 'status-page-tx' });

    const page = await browser.newPage();
    t.teardown(() => page.close());
    // The history the page renders, as the page received it; the page fetches it every 5 s, so wait
    // for one whose samples include the calls above (a sample is taken every second).
    let history: AnyMessage | undefined;
    page.on('response', async (res) => {
      if (res.url().endsWith('/status/history.json')) history = await res.json();
    });
    const sawCalls = () =>
      (history?.samples ?? []).some((s: AnyMessage) => (s.rpc?.Query?.calls ?? 0) > 0) &&
      (history?.samples ?? []).some((s: AnyMessage) => (s.rpc?.Query?.errors ?? 0) > 0);
    await page.goto(adminUrl(gw, '/status'));
    const deadline = Date.now() + 20_000;
    while (!sawCalls()) {
      if (Date.now() > deadline) return t.fail(`no history with the calls: ${JSON.stringify(history)}`);
      await page.waitForResponse((r) => r.url().endsWith('/status/history.json'), { timeout: 10_000 });
    }
    const rendered = history as AnyMessage;
    // The page renders what it received: wait for the legend of that exact history.
    const last = rendered.samples[rendered.samples.length - 1];
    // Each series' legend shows its latest value: the last sample in which that RPC was called.
    const expectedCalls: Record<string, string> = {};
    for (const sample of rendered.samples as { rpc: Record<string, { calls: number }> }[])
      for (const [m, r] of Object.entries(sample.rpc)) expectedCalls[m] = String(r.calls);
    await page.waitForFunction(
      (want: string) => {
        // biome-ignore lint/suspicious/noExplicitAny: runs in the page, without DOM types here
        const doc = (globalThis as any).document;
        const items = [...doc.querySelectorAll('figure[data-chart="calls"] .legend li[data-series]')];
        const shown = Object.fromEntries(
          // biome-ignore lint/suspicious/noExplicitAny: as above
          items.map((li: any) => [li.children[1].textContent, li.children[2].textContent]),
        );
        return JSON.stringify(shown) === want;
      },
      JSON.stringify(
        Object.fromEntries(
          Object.keys(expectedCalls)
            .sort()
            .map((k) => [k, expectedCalls[k]]),
        ),
      ),
      { timeout: 10_000 },
    );
    t.deepEqual(await readChart(page, 'calls'), expectedCalls);
    // Every backend has a pool series; the open-transactions series shows the sample's count.
    const backends = Object.keys(last.backends).sort();
    t.deepEqual(Object.keys(await readChart(page, 'used')).sort(), backends);
    t.is((await readChart(page, 'transactions')).open, String(last.active_transactions));
    t.true(
      rendered.samples.some((s: AnyMessage) => (s.rpc?.Query?.errors ?? 0) >= 1),
      'the failed Query is counted in some second',
    );
    t.true(
      rendered.samples.every((s: AnyMessage) =>
        Object.values(s.rpc as Record<string, AnyMessage>).every(
          (r) => r.p50_us === null || (r.p50_us > 0 && r.p50_us <= r.p99_us),
        ),
      ),
      'p50 <= p99 in every second',
    );

    // Open transactions: the page's table is GetStatus's list (age aside, which moves).
    const admin = connectAdmin(gw.port);
    t.teardown(() => admin.close());
    const grpc: AnyMessage = await admin.getStatus();
    const mine = (grpc.open_transactions as AnyMessage[]).filter(
      (o) => o.connection_id === String(begun.begun.connection_id),
    );
    t.is(mine.length, 1, JSON.stringify(grpc.open_transactions));
    const row = page
      .getByRole('table', { name: 'Open transactions' })
      .getByRole('row')
      .filter({
        has: page.getByRole('cell', { name: mine[0].connection_id, exact: true }),
      });
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.locator('td').allTextContents();
    t.deepEqual(
      [cells[2], cells[3], cells[4], cells[5], cells[6]],
      [mine[0].cluster, mine[0].backend, mine[0].connection_id, mine[0].state, mine[0].request_tag],
    );
    t.is(mine[0].request_tag, 'status-page-tx');

    // Top statements: the page's row for the digest above shows what GetQueryStats reports for it.
    const stats: AnyMessage = await admin.getQueryStats({});
    const digest = (stats.entries as AnyMessage[]).find(
      (e) => e.digest_text === 'SELECT ? AS status_page_digest' && e.request_tag === 'status-page',
    );
    if (!digest) return t.fail(JSON.stringify(stats.entries));
    t.is(digest.calls, '4');
    const digests = page.getByRole('table', { name: 'Query digests' });
    const digestRow = digests
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'SELECT ? AS status_page_digest', exact: true }) });
    await digestRow.waitFor({ timeout: 10_000 });
    const headers = await digests.locator('thead th').allTextContents();
    const shown = await digestRow.locator('td').allTextContents();
    const col = (name: string) => shown[headers.findIndex((h) => h.startsWith(name))];
    t.deepEqual(
      [col('Tag'), col('Calls'), col('Rows'), col('Errors')],
      ['status-page', digest.calls, digest.rows, digest.errors],
    );
    // Sortable: by calls, the Calls column never increases down the table.
    await digests.locator('th[data-sort="calls"]').click();
    await digests.locator('th[aria-sort="descending"][data-sort="calls"]').waitFor({ timeout: 5_000 });
    const callsAt = (await digests.locator('thead th').allTextContents()).findIndex((h) =>
      h.startsWith('Calls'),
    );
    const calls = (await digests.locator(`tbody tr td:nth-child(${callsAt + 1})`).allTextContents()).map(
      Number,
    );
    t.true(calls.length > 1);
    t.deepEqual(
      calls,
      [...calls].sort((a, b) => b - a),
    );
  },
);

test.serial('/status.json has the proto fields and the snapshot Admin.GetStatus answers', async (t) => {
  const res = await fetch(adminUrl(gw, '/status.json'));
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const json = (await res.json()) as GatewayStatus;
  const admin = connectAdmin(gw.port);
  t.teardown(() => admin.close());
  const grpc: AnyMessage = await admin.getStatus();

  // Plus `query_digests`: the top entries of Admin.GetQueryStats, each with QueryDigest's fields.
  t.deepEqual(
    Object.keys(json)
      .filter((k) => k !== 'query_digests')
      .sort(),
    protoFields('GetStatusResponse'),
  );
  const digests = (json as unknown as { query_digests: Record<string, unknown>[] }).query_digests;
  t.true(Array.isArray(digests));
  for (const d of digests) t.deepEqual(Object.keys(d).sort(), protoFields('QueryDigest'));
  t.deepEqual(
    json.clusters.map((c) => c.name),
    grpc.clusters.map((c: AnyMessage) => c.name),
  );
  for (const [i, c] of json.clusters.entries()) {
    const g = grpc.clusters[i];
    t.deepEqual(Object.keys(c).sort(), protoFields('ClusterStatus'));
    t.is(c.serving, g.serving);
    t.deepEqual(
      c.backends.map((b) => [b.name, b.role, STATE_ENUM[b.state]]),
      g.backends.map((b: AnyMessage) => [b.name, b.role, b.state]),
    );
    for (const [j, b] of c.backends.entries()) {
      const gb = g.backends[j];
      // lag_known is the proto's presence flag for lag_ms; the JSON says the same with null.
      t.deepEqual(Object.keys(b).concat('lag_known').sort(), protoFields('BackendStatus'));
      t.deepEqual(Object.keys(b.pool).sort(), protoFields('PoolStatus'));
      // The proto leaves zeros, false and '' off the wire; null in the JSON is the proto's default.
      t.is(b.read_only ?? false, gb.read_only ?? false);
      t.is(b.weight, gb.weight);
      t.is(b.in_flight, gb.in_flight ?? 0);
      t.is(b.last_error ?? '', gb.last_error ?? '');
      t.is(b.lag_ms === null ? undefined : String(b.lag_ms), gb.lag_ms);
      t.is(b.lag_ms !== null, gb.lag_known ?? false);
      // Nothing runs meanwhile: every pool figure is the same in both.
      for (const k of protoFields('PoolStatus')) {
        t.is(String(b.pool[k as keyof typeof b.pool]), String(gb.pool[k] ?? 0), `${b.name} pool.${k}`);
      }
    }
  }
  t.is(json.active_transactions, grpc.active_transactions ?? 0);
  t.true(Number(grpc.uptime_ms) >= json.uptime_ms, 'GetStatus was asked later');
  t.true(json.uptime_ms > 0);
});

test.serial('a backend name from the configuration is shown as text, never parsed as markup', async (t) => {
  const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script></td>&amp;';
  const named = await startGateway({
    admin: { port: 0 },
    clusters: { default: { primary: { name: hostile } } },
  });
  t.teardown(() => named.stop());
  const page = await openStatusPage(t, named);
  const csp = (await fetch(adminUrl(named, '/status'))).headers.get('content-security-policy') ?? '';
  t.regex(csp, /default-src 'none'/);
  t.notRegex(csp, /unsafe-inline|unsafe-eval/);

  await waitForState(page, hostile, 'healthy');
  t.is(rowOf(await readTable(page, 'default'), hostile).Backend, hostile);
  t.is(await page.locator('main img, main script').count(), 0, 'no element was made from the name');
  t.is(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned), undefined);
});

test.serial('a gateway that stops answering shows "connection lost", and the page recovers', async (t) => {
  const lone = await startGateway({ admin: { port: 0 } });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : lone.stop()));
  const port = lone.gateway.adminPort as number;
  const page = await openStatusPage(t, lone);
  const conn = page.getByRole('status');
  await conn.filter({ hasText: /^Live/ }).waitFor();
  const primary = lone.gateway.clusters.get('default').primary.name;
  await waitForState(page, primary, 'healthy');

  await lone.stop();
  stopped = true;
  await conn.filter({ hasText: /^Connection lost/ }).waitFor({ timeout: 10_000 });
  t.regex(await text(conn), /has not answered since .* The figures below are from /);
  t.regex(await page.title(), /^Connection lost/);
  t.is((await readTable(page, 'default')).length, 1, 'the last figures stay on the page');

  // Something answers on that port again: the page picks up what it says.
  const back = await AdminHttpServer.create({ port });
  t.teardown(() => back.close());
  const empty: GatewayStatus = {
    clusters: [],
    active_transactions: 0,
    uptime_ms: 1000,
    open_transactions: [],
  };
  addStatusRoutes(back, () => empty);
  await conn.filter({ hasText: /^Live/ }).waitFor({ timeout: 10_000 });
  await page.getByText('No clusters are configured.').waitFor();
  t.is(await text(page.locator('#uptime')), '1s');
});
