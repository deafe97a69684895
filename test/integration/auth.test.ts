/**
 * Who may do what: bearer tokens map to principals; missing or wrong credentials are
 * UNAUTHENTICATED; a principal's clusters, read-only flag, admin flag, concurrency and rate are
 * enforced before anything reaches MySQL; the admin HTTP pages on a non-loopback listener need an
 * admin token. Everything over real gRPC to a real gateway on the sandbox.
 */
import { request } from 'node:http';
import { loadPackageDefinition, credentials as grpcCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { protoPath as healthProto } from 'grpc-health-check';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { connectAdmin } from './helpers/admin.js';
import {
  type AnyMessage,
  type ConnectOpts,
  connectClient,
  errorDetails,
  execute,
  type GatewayStub,
  query,
  TxStream,
} from './helpers/client.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { inMemoryTelemetry } from './helpers/telemetry.js';

const TABLE = 'auth_rows';
const tokens = {
  app: newToken(),
  reader: newToken(),
  analyst: newToken(),
  oneCall: newToken(),
  oneTx: newToken(),
  slow: newToken(),
  admin: newToken(),
  rotatedOld: newToken(),
};

let gw: TestGateway;
const tel = inMemoryTelemetry();
const clients: GatewayStub[] = [];
const admins: { close(): void }[] = [];

function client(opts: ConnectOpts): GatewayStub {
  const c = connectClient(gw.port, opts);
  clients.push(c);
  return c;
}

function admin(opts: ConnectOpts) {
  const a = connectAdmin(gw.port, opts);
  admins.push(a);
  return a;
}

/** The call's status code and gateway-reason (OK is code 0). */
async function outcome(p: Promise<unknown>): Promise<{ code: number; reason: string; details: string }> {
  try {
    await p;
    return { code: Code.OK, reason: '', details: '' };
  } catch (err) {
    const d = errorDetails(err);
    return { code: (err as { code: number }).code, reason: d.reason, details: d.details };
  }
}

async function comInsertCount(): Promise<number> {
  const rows = await rootQuery<AnyMessage>(sandbox.primaryPort, "SHOW GLOBAL STATUS LIKE 'Com_insert'");
  return Number(rows[0].Value);
}

test.before(async () => {
  const p = (token: string, extra: Record<string, unknown> = {}) => ({
    tokenSha256: [hashToken(token)],
    ...extra,
  });
  gw = await startGateway(
    {
      admin: { host: '0.0.0.0', port: 0 },
      // On, for the admin listener's /metrics page (no exporter is configured).
      telemetry: { enabled: true },
      auth: {
        enabled: true,
        principals: {
          app: { tokenSha256: [hashToken(tokens.rotatedOld), hashToken(tokens.app)] },
          reader: p(tokens.reader, { readOnly: true }),
          analyst: p(tokens.analyst, { clusters: ['analytics'] }),
          oneCall: p(tokens.oneCall, { maxConcurrentCalls: 1 }),
          oneTx: p(tokens.oneTx, { maxConcurrentTransactions: 1 }),
          slow: p(tokens.slow, { requestsPerSecond: 0.1, burst: 3 }),
          ops: p(tokens.admin, { admin: true }),
        },
      },
      clusters: { analytics: sandboxClusterConfig({ replicas: false }) },
    },
    tel.options,
  );
  await rootQuery(sandbox.primaryPort, `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id INT PRIMARY KEY)`);
  await rootQuery(sandbox.primaryPort, `DELETE FROM gwtest.${TABLE}`);
});

test.after.always(async () => {
  for (const c of clients) c.close();
  for (const a of admins) a.close();
  await gw?.stop();
});

const select = { sql: 'SELECT 1 AS one', read_preference: 'READ_PREFERENCE_PRIMARY' };

test.serial(
  'no credentials, a wrong token or a malformed header: UNAUTHENTICATED on every RPC',
  async (t) => {
    const cases: [ConnectOpts, string][] = [
      [{}, 'MISSING_CREDENTIALS'],
      [{ token: newToken() }, 'BAD_TOKEN'],
      [{ authorization: tokens.app }, 'BAD_AUTHORIZATION'],
      [{ authorization: `Basic ${tokens.app}` }, 'BAD_AUTHORIZATION'],
    ];
    for (const [opts, reason] of cases) {
      const c = client(opts);
      for (const [name, call] of [
        ['Query', () => query(c, select)],
        ['Execute', () => execute(c, { sql: `INSERT INTO ${TABLE} VALUES (1)` })],
        [
          'Transaction',
          () =>
            new TxStream(c).status.then((e) => {
              if (e) throw e;
            }),
        ],
        ['GetStatus', () => admin(opts).getStatus()],
      ] as const) {
        const o = await outcome(call());
        t.is(o.code, Code.UNAUTHENTICATED, `${name} with ${reason}`);
        t.is(o.reason, reason, name);
        t.false(o.details.includes(tokens.app), 'the error never quotes a token');
      }
    }
    const rows = await rootQuery<AnyMessage>(
      sandbox.primaryPort,
      `SELECT COUNT(*) AS n FROM gwtest.${TABLE}`,
    );
    t.is(Number(rows[0].n), 0, 'no refused write reached MySQL');
  },
);

test.serial('a right token is let in, each of a principal’s tokens works (rotation)', async (t) => {
  for (const token of [tokens.app, tokens.rotatedOld]) {
    const out = await query(client({ token }), select);
    t.is(out.rows.length, 1);
  }
  const r = await execute(client({ token: tokens.app }), { sql: `INSERT INTO ${TABLE} VALUES (1)` });
  t.is(r.affected_rows, '1');
});

test.serial(
  'a read-only principal: reads pass, writes are PERMISSION_DENIED before reaching MySQL',
  async (t) => {
    const c = client({ token: tokens.reader });
    t.is((await query(c, { sql: `SELECT COUNT(*) FROM ${TABLE}` })).rows.length, 1);
    const before = await comInsertCount();
    const refused = [
      await outcome(execute(c, { sql: `INSERT INTO ${TABLE} VALUES (2)` })),
      await outcome(query(c, { sql: `INSERT INTO ${TABLE} VALUES (3) RETURNING id` })),
      await outcome(query(c, { sql: `SELECT id FROM ${TABLE} FOR UPDATE` })),
    ];
    for (const o of refused) {
      t.is(o.code, Code.PERMISSION_DENIED, o.details);
      t.is(o.reason, 'READ_ONLY_PRINCIPAL');
      t.regex(o.details, /principal reader is read-only/);
    }
    // A read-write transaction is refused at begin; a read-only one runs, refusing writes in-band.
    const rw = new TxStream(c);
    await t.throwsAsync(rw.begin(), { message: /stream ended: 7 / });
    const ro = new TxStream(c);
    await ro.begin({ read_only: true });
    t.is((await ro.query(`SELECT COUNT(*) FROM ${TABLE}`)).rows.length, 1);
    const id = ro.send({ execute: { sql: `INSERT INTO ${TABLE} VALUES (4)` } });
    const denied = (await ro.until(id, ['executed'])).last;
    t.is(denied.error?.code, Code.PERMISSION_DENIED);
    t.is(denied.error?.reason, 'READ_ONLY_PRINCIPAL');
    t.is((await ro.query('SELECT 1')).rows.length, 1, 'the transaction is still open after the refusal');
    await ro.commit();
    ro.call.end();
    t.is(await comInsertCount(), before, 'no INSERT reached MySQL');
    await gw.assertNoLeaks();
  },
);

test.serial('a principal limited to one cluster gets PERMISSION_DENIED on the others', async (t) => {
  const c = client({ token: tokens.analyst });
  const denied = await outcome(query(c, select));
  t.is(denied.code, Code.PERMISSION_DENIED);
  t.is(denied.reason, 'CLUSTER_NOT_ALLOWED');
  t.regex(denied.details, /cluster default/);
  t.is((await query(c, { ...select, cluster: 'analytics' })).rows.length, 1);
  const tx = new TxStream(c);
  await t.throwsAsync(tx.begin({ cluster: 'default' }), { message: /stream ended: 7 / });
});

test.serial(
  'maxConcurrentCalls and maxConcurrentTransactions: RESOURCE_EXHAUSTED, slots come back',
  async (t) => {
    const one = client({ token: tokens.oneCall });
    const tx = new TxStream(one);
    await tx.begin();
    const busy = await outcome(query(one, select));
    t.is(busy.code, Code.RESOURCE_EXHAUSTED);
    t.is(busy.reason, 'TOO_MANY_CALLS');
    await tx.rollback();
    tx.call.end();
    await tx.status;
    t.is((await query(one, select)).rows.length, 1, 'the slot came back when the stream ended');

    const c = client({ token: tokens.oneTx });
    const first = new TxStream(c);
    await first.begin();
    const second = new TxStream(c);
    const st = await second.status.then((e) => e ?? { code: Code.OK, details: '' });
    t.is(st.code, Code.RESOURCE_EXHAUSTED);
    t.regex(String(st.details), /open transactions/);
    t.is((await query(c, select)).rows.length, 1, 'plain calls are not limited by the transaction cap');
    await first.rollback();
    first.call.end();
    await first.status;
    await gw.assertNoLeaks();
  },
);

test.serial(
  'a request rate: a burst passes, the next request is RESOURCE_EXHAUSTED with a retry hint',
  async (t) => {
    const c = client({ token: tokens.slow });
    for (let i = 0; i < 3; i++) t.is((await query(c, select)).rows.length, 1);
    const limited = await outcome(query(c, select));
    t.is(limited.code, Code.RESOURCE_EXHAUSTED);
    t.is(limited.reason, 'RATE_LIMITED');
    t.regex(limited.details, /retry in \d+ ms/);
  },
);

test.serial('Admin.GetStatus needs an admin principal', async (t) => {
  const denied = await outcome(admin({ token: tokens.app }).getStatus());
  t.is(denied.code, Code.PERMISSION_DENIED);
  t.is(denied.reason, 'ADMIN_ONLY');
  const status = await admin({ token: tokens.admin }).getStatus();
  t.deepEqual(status.clusters.map((c: AnyMessage) => c.name).sort(), ['analytics', 'default']);
});

test.serial('the standard health service stays open for probes', async (t) => {
  const pkg = loadPackageDefinition(loadSync(healthProto, { keepCase: true, enums: String })) as AnyMessage;
  const health = new pkg.grpc.health.v1.Health(`127.0.0.1:${gw.port}`, grpcCredentials.createInsecure());
  t.teardown(() => health.close());
  const res = await new Promise<AnyMessage>((resolve, reject) =>
    health.Check({ service: '' }, (err: unknown, r: AnyMessage) => (err ? reject(err) : resolve(r))),
  );
  t.is(res.status, 'SERVING');
});

function httpGet(
  path: string,
  authorization?: string,
): Promise<{ status: number; body: string; www: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gw.gateway.adminPort,
        path,
        headers: authorization ? { authorization } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += String(d)));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, www: String(res.headers['www-authenticate'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test.serial(
  'admin HTTP on a non-loopback address: internal pages need an admin token, probes do not',
  async (t) => {
    const anonymous = await httpGet('/metrics');
    t.is(anonymous.status, 401);
    t.regex(anonymous.www, /^Bearer /);
    t.is((await httpGet('/metrics', `Bearer ${newToken()}`)).status, 401);
    const notAdmin = await httpGet('/metrics', `Bearer ${tokens.app}`);
    t.is(notAdmin.status, 403);
    t.false(notAdmin.body.includes(tokens.app));
    t.is((await httpGet('/metrics', `Bearer ${tokens.admin}`)).status, 200);
    for (const page of ['/status', '/status.json']) {
      t.is((await httpGet(page)).status, 401, page);
      t.is((await httpGet(page, `Bearer ${tokens.app}`)).status, 403, page);
      t.is((await httpGet(page, `Bearer ${tokens.admin}`)).status, 200, page);
    }
    t.is((await httpGet('/healthz')).status, 200);
    t.is((await httpGet('/readyz')).status, 200);
  },
);

test.serial('authentication off is explicit and loud; on, the gateway does not warn about it', async (t) => {
  const open = await startGateway(); // the test helper's base config sets auth.enabled: false
  t.teardown(() => open.stop());
  const warning = (logs: string[]) =>
    logs.map((l) => JSON.parse(l)).find((l) => l.level === 40 && /AUTHENTICATION IS OFF/.test(l.msg));
  t.truthy(warning(open.logs), 'a warn-level line says authentication is off');
  t.is(warning(gw.logs), undefined);
});

test.serial('the principal is on the call span and on the log line of a refused call', async (t) => {
  tel.spans.reset();
  await query(client({ token: tokens.app }), select);
  await outcome(execute(client({ token: tokens.reader }), { sql: `INSERT INTO ${TABLE} VALUES (9)` }));
  await gw.gateway.telemetry.flush();
  const servers = tel.spans.getFinishedSpans().filter((s) => s.kind === 1);
  t.deepEqual(servers.map((s) => s.attributes['mysqlgateway.principal']).sort(), ['app', 'reader']);
  const refused = gw.logs
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'call failed' && l.reason === 'READ_ONLY_PRINCIPAL');
  t.true(refused.length > 0);
  t.true(refused.every((l) => l.principal === 'reader'));
  const limited = gw.logs.map((l) => JSON.parse(l)).filter((l) => l.reason === 'RATE_LIMITED');
  t.true(limited.length > 0, 'the rate-limited call was logged');
  t.true(
    limited.every((l) => l.principal === 'slow'),
    'naming the principal that was throttled',
  );
});

test.serial('no token ever reaches the logs', (t) => {
  const all = gw.logs.join('');
  t.true(all.length > 0);
  for (const [name, token] of Object.entries(tokens)) {
    t.false(all.includes(token), `token of ${name} in the logs`);
    t.false(all.includes(hashToken(token)), `digest of ${name} in the logs`);
  }
});
