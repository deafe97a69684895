/**
 * The real command: a client in another language (Python, stubs generated from every .proto)
 * calls Query, Execute, Transaction and Admin.GetStatus; the CLI options; graceful shutdown on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { connectClient, execute, TxStream } from './helpers/client.js';
import { runCommand, startProcess, writeSandboxConfig } from './helpers/process.js';

const PYTHON = '/usr/bin/python3';
const EXAMPLE = fileURLToPath(new URL('../../../examples/python/gateway_example.py', import.meta.url));

test.serial('a Python client with generated stubs runs a query, an execute and a transaction', async (t) => {
  const token = newToken();
  const gw = await startProcess(
    writeSandboxConfig({
      auth: { enabled: true, principals: { python: { tokenSha256: [hashToken(token)], admin: true } } },
    }),
  );
  t.teardown(() => {
    gw.child.kill('SIGKILL');
  });
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const py = spawn(PYTHON, [EXAMPLE, `127.0.0.1:${gw.port}`], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_TOKEN: token },
    });
    let out = '';
    py.stdout.on('data', (d) => (out += String(d)));
    py.stderr.on('data', (d) => (out += String(d)));
    py.on('exit', (code) => resolve({ code, out }));
  });
  t.is(result.code, 0, result.out);
  t.regex(result.out, /python example: OK/);
  t.regex(result.out, /transaction: b:begun i:executed q:metadata q:rows q:done c:committed/);
  // The Batch: a failure handled by a later step's error(1), so the transaction still commits.
  t.regex(result.out, /batch: executed error executed result result skipped committed=True/);
  // Admin stubs too: the sandbox cluster, its primary first (it just served the writes), then the replicas.
  t.regex(
    result.out,
    /status: default serving=True: \S+ primary BACKEND_HEALTH_STATE_HEALTHY, \S+ replica BACKEND_HEALTH_STATE_\w+/,
  );
  gw.child.kill('SIGTERM');
  t.is(await gw.exited, 0);
});

test.serial('SIGTERM rolls back open transactions, drains and exits 0', async (t) => {
  await rootQuery(
    sandbox.primaryPort,
    'CREATE TABLE IF NOT EXISTS gwtest.shutdown_rows (id INT PRIMARY KEY)',
  );
  await rootQuery(sandbox.primaryPort, 'DELETE FROM gwtest.shutdown_rows');
  const gw = await startProcess(writeSandboxConfig());
  const client = connectClient(gw.port);
  t.teardown(() => client.close());
  const tx = new TxStream(client);
  await tx.begin();
  await tx.execute('INSERT INTO shutdown_rows VALUES (1)');
  gw.child.kill('SIGTERM');
  const status = await tx.status;
  t.is(status?.code, Code.UNAVAILABLE, 'the open transaction ends UNAVAILABLE (gateway shutting down)');
  t.is(await gw.exited, 0);
  t.regex(gw.output(), /"msg":"stopped"/);
  const rows = (await rootQuery(sandbox.primaryPort, 'SELECT COUNT(*) AS n FROM gwtest.shutdown_rows')) as {
    n: number;
  }[];
  t.is(Number(rows[0]?.n), 0, 'rolled back');
  await rootQuery(sandbox.primaryPort, 'DROP TABLE gwtest.shutdown_rows');
  await t.throwsAsync(
    execute(client, { sql: 'DO 1' }, { deadlineMs: 2000 }),
    { code: Code.UNAVAILABLE },
    'no longer serving',
  );
});

test.serial('--print-config shows the effective config with the password redacted', async (t) => {
  const TOKEN = newToken();
  const file = writeSandboxConfig({
    auth: { enabled: true, principals: { app: { tokenSha256: [hashToken(TOKEN)] } } },
    clusters: {
      default: {
        primary: {
          host: '127.0.0.1',
          port: sandbox.primaryPort,
          user: 'gateway',
          password: 'sup3r-s3cret-pw',
        },
      },
    },
  });
  const r = await runCommand(['--config', file, '--print-config']);
  t.is(r.code, 0, r.stderr);
  t.false(r.stdout.includes('sup3r-s3cret-pw'));
  t.false(r.stdout.includes(hashToken(TOKEN)), 'token digests are not printed either');
  const printed = JSON.parse(r.stdout);
  t.is(printed.clusters.default.primary.password, '[REDACTED]');
  t.deepEqual(printed.auth.principals.app.tokenSha256, ['[REDACTED]']);
  t.is(printed.clusters.default.primary.port, sandbox.primaryPort);
});

test.serial(
  '--check-config connects to every backend and reports; a bad key stops the start naming it',
  async (t) => {
    const ok = await runCommand(['--config', writeSandboxConfig(), '--check-config']);
    t.is(ok.code, 0, ok.stdout + ok.stderr);
    t.is(ok.stdout.split('\n').filter((l) => /^ok {4}default (primary|replica) /.test(l)).length, 3);
    const down = await runCommand([
      '--config',
      writeSandboxConfig({
        clusters: { default: { primary: { host: '127.0.0.1', port: 1, user: 'gateway', password: 'x' } } },
      }),
      '--check-config',
    ]);
    t.is(down.code, 1);
    t.regex(down.stdout, /FAIL {2}default primary 127\.0\.0\.1:1/);
    const bad = await runCommand(['--config', writeSandboxConfig({ server: { prot: 1 } }), '--check-config']);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /server\.prot/);
  },
);

test.serial('--version and --help', async (t) => {
  const v = await runCommand(['--version']);
  t.regex(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const h = await runCommand(['--help']);
  t.regex(h.stdout, /--check-config/);
});
