/**
 * The admin HTTP listener: /healthz, /readyz (200 while every cluster's primary serves, 503 with
 * the reason otherwise), /metrics, the status routes being registered (their content:
 * status-page.test.ts), the route registration API, disabling it, and failing cleanly
 * when its port is taken.
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import test from 'ava';
import { AdminHttpServer, sendJson } from '../../src/admin/admin-http-server.js';
import { sandbox, waitFor } from '../helpers/sandbox.js';
import { startGateway } from './helpers/gateway.js';

async function get(
  port: number,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test.serial('healthz, readyz and metrics on a running gateway', async (t) => {
  const gw = await startGateway({ admin: { port: 0 }, telemetry: { enabled: true } });
  t.teardown(() => gw.stop());
  const port = gw.gateway.adminPort as number;
  t.true(port > 0);
  t.deepEqual(gw.gateway.admin?.paths, [
    '/healthz',
    '/readyz',
    '/status.json',
    '/status/history.json',
    '/status',
    '/metrics',
  ]);

  const health = await get(port, '/healthz');
  t.is(health.status, 200);
  t.deepEqual(JSON.parse(health.body), { status: 'ok' });
  t.true(health.type.startsWith('application/json'));

  const ready = await get(port, '/readyz');
  t.is(ready.status, 200);
  t.deepEqual(JSON.parse(ready.body), {
    ready: true,
    clusters: {
      default: { serving: true, primary: `${sandbox.host}:${sandbox.primaryPort}`, state: 'healthy' },
    },
  });

  const metrics = await get(port, '/metrics?x=1');
  t.is(metrics.status, 200);
  t.true(metrics.type.startsWith('text/plain'));
  t.true(metrics.body.includes('# TYPE mysqlgateway_uptime gauge'));

  const missing = await get(port, '/nothing');
  t.is(missing.status, 404);
  t.deepEqual(JSON.parse(missing.body).paths, [
    '/healthz',
    '/readyz',
    '/status.json',
    '/status/history.json',
    '/status',
    '/metrics',
  ]);
  t.is((await get(port, '/healthz', { method: 'POST' })).status, 405);
  const head = await get(port, '/healthz', { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.body, '');
});

test.serial('readyz answers 503 naming the cluster whose primary is down', async (t) => {
  const gw = await startGateway({
    admin: { port: 0 },
    clusters: {
      dead: {
        primary: { host: '127.0.0.1', port: await closedPort(), user: 'nobody' },
        pool: { min: 0 },
        reconnect: { attempts: 0 },
        healthCheck: { intervalMs: 100, timeoutMs: 500, failuresToDown: 1 },
      },
    },
  });
  t.teardown(() => gw.stop());
  const port = gw.gateway.adminPort as number;
  let body: { ready: boolean; clusters: Record<string, { serving: boolean; state: string }> } | undefined;
  await waitFor(
    async () => {
      const r = await get(port, '/readyz');
      body = JSON.parse(r.body);
      return r.status === 503;
    },
    { message: '/readyz 503' },
  );
  t.false(body?.ready);
  t.like(body?.clusters.dead, { serving: false, state: 'down' });
  t.like(body?.clusters.default, { serving: true });
  t.is((await get(port, '/healthz')).status, 200, 'the process itself is alive');
});

test.serial('admin.port -1 disables the listener; without telemetry there is no /metrics', async (t) => {
  const off = await startGateway({ admin: { port: -1 } });
  t.teardown(() => off.stop());
  t.is(off.gateway.adminPort, undefined);
  t.is(off.gateway.admin, undefined);

  const noTelemetry = await startGateway({ admin: { port: 0 }, telemetry: { enabled: false } });
  t.teardown(() => noTelemetry.stop());
  const port = noTelemetry.gateway.adminPort as number;
  t.is((await get(port, '/metrics')).status, 404);
  t.is((await get(port, '/readyz')).status, 200);
});

test.serial('a taken admin port fails the gateway start', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as AddressInfo).port;
  const err = await t.throwsAsync(startGateway({ admin: { port } }));
  t.is((err as NodeJS.ErrnoException).code, 'EADDRINUSE');
});

test.serial('the route registration API: custom pages, duplicates, failing handlers, close', async (t) => {
  const errors: string[] = [];
  const admin = await AdminHttpServer.create({ port: 0, onError: (path) => errors.push(path) });
  t.teardown(() => admin.close());
  admin.route('/status', (_req, res) => sendJson(res, 200, { page: 'status' }));
  admin.route('/boom', async () => {
    throw new Error('handler failed');
  });
  t.throws(() => admin.route('/status', () => {}), { message: /already registered/ });
  t.throws(() => admin.route('status', () => {}), { message: /must start with/ });
  t.deepEqual(JSON.parse((await get(admin.port, '/status')).body), { page: 'status' });
  const boom = await get(admin.port, '/boom');
  t.is(boom.status, 500);
  t.deepEqual(JSON.parse(boom.body), { error: 'internal error' }, 'no error details over HTTP');
  t.deepEqual(errors, ['/boom']);
  t.is(admin.state, 'listening');
  await admin.close();
  await admin.close();
  t.is(admin.state, 'closed');
  // A fresh TCP connection (fetch could reuse a pooled socket and fail differently).
  const refused = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const socket = connect(admin.port, '127.0.0.1', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on('error', resolve);
  });
  t.is(refused?.code, 'ECONNREFUSED', 'nothing listens any more');
});
