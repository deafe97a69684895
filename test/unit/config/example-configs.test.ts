import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { load, tempDir, writeFiles } from './helpers.js';

const configDir = fileURLToPath(new URL('../../../../config/', import.meta.url));

test('config/sandbox.yaml describes the local sandbox, its password file in ../.sandbox', async (t) => {
  const root = await writeFiles(await tempDir(t), { '.sandbox/gateway.password': 'sandbox-pw\n' });
  await writeFiles(root, { 'config/.keep': '' });
  await copyFile(join(configDir, 'sandbox.yaml'), join(root, 'config/sandbox.yaml'));
  const config = await load({ argv: ['--config', 'config/sandbox.yaml'], cwd: root });
  const cluster = config.clusters.default;
  t.deepEqual(Object.keys(config.clusters), ['default']);
  t.deepEqual(
    [cluster?.primary, ...(cluster?.replicas ?? [])].map((b) => [b?.host, b?.port, b?.user, b?.database]),
    [
      ['127.0.0.1', 23306, 'gateway', 'gwtest'],
      ['127.0.0.1', 23307, 'gateway', 'gwtest'],
      ['127.0.0.1', 23308, 'gateway', 'gwtest'],
    ],
  );
  for (const backend of [cluster?.primary, ...(cluster?.replicas ?? [])]) {
    t.is(backend?.passwordFile, join(root, '.sandbox/gateway.password'));
    t.is(backend?.password.reveal(), 'sandbox-pw');
  }
});

test('config/example.yaml is a valid production configuration with two clusters', async (t) => {
  const root = await tempDir(t);
  // The example points at absolute secret and CA paths: move them into the temporary directory.
  const text = (await readFile(join(configDir, 'example.yaml'), 'utf8'))
    .replaceAll('/run/secrets/', `${root}/secrets/`)
    .replaceAll('/etc/mysql-grpc-gateway/tls/', `${root}/tls/`);
  await writeFiles(root, {
    'example.yaml': text,
    'secrets/orders-db-password': 'orders-pw\n',
    'tls/db-ca.pem': 'CA',
    'tls/gateway.pem': 'CERT',
    'tls/gateway.key': 'KEY',
    'tls/clients-ca.pem': 'CA',
  });
  const config = await load({
    argv: ['--config', join(root, 'example.yaml')],
    env: { ANALYTICS_DB_PASSWORD: 'analytics-pw' },
  });
  t.is(config.profile, 'production');
  t.deepEqual(Object.keys(config.clusters), ['orders', 'analytics']);
  const { orders, analytics } = config.clusters;
  t.deepEqual(
    orders?.replicas.map((r) => [r.host, r.user, r.database, r.tls.enabled, r.name, r.weight]),
    [
      ['orders-db-1.db.internal', 'gateway', 'orders', true, 'orders-replica-1', 2],
      ['orders-db-2.db.internal', 'gateway', 'orders', true, 'orders-replica-2', 1],
    ],
  );
  t.is(orders?.replicas[1]?.password.reveal(), 'orders-pw');
  t.is(analytics?.replicas[0]?.password.reveal(), 'analytics-pw');
  t.deepEqual([analytics?.pool.min, analytics?.pool.max, analytics?.pool.idleTimeoutMs], [2, 10, 300_000]);
  t.is(analytics?.defaultReadPreference, 'REPLICA');
  t.is(config.server.tls.clientCa, join(root, 'tls/clients-ca.pem'));
  t.true(config.auth.enabled);
  t.deepEqual(Object.keys(config.auth.principals), ['checkout', 'reporting', 'prometheus']);
  t.true(config.auth.principals.reporting?.readOnly);
  t.true(config.auth.principals.prometheus?.admin);
});

test('config/example.yaml has a comment above every top-level section and every cluster', async (t) => {
  const lines = (await readFile(join(configDir, 'example.yaml'), 'utf8')).split('\n');
  const clustersAt = lines.indexOf('clusters:');
  t.true(clustersAt > 0);
  const headings = lines
    .map((line, i) => ({ line, i }))
    .filter(({ line, i }) => /^\w+:/.test(line) || (i > clustersAt && /^ {2}[\w-]+:\s*$/.test(line)));
  t.true(headings.length >= 10);
  for (const { line, i } of headings) t.regex(lines[i - 1] ?? '', /^\s*#/, `no comment above "${line}"`);
});
