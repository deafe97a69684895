import { join } from 'node:path';
import test from 'ava';
import { configError, load, tempDir, writeFiles } from './helpers.js';

const yamlConfig = `
# comments are fine
profile: production
server:
  port: 6001
telemetry:
  resourceAttributes:
    deployment.environment: prod
clusters:
  main:
    primary:
      host: db-0
      user: gateway
      passwordFile: secrets/db.password
      tls:
        enabled: true
        ca: tls/ca.pem
    replicas:
      - host: db-1
        user: gateway
        passwordFile: ./secrets/db.password
`;

const secretFiles = { 'secrets/db.password': 'pw\n', 'tls/ca.pem': 'not really a PEM' };

test('a YAML file given with --config is read, relative paths resolving against its directory', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'etc/gateway.yaml': yamlConfig,
    ...prefix('etc/', secretFiles),
  });
  const config = await load({ argv: ['--config', 'etc/gateway.yaml'], cwd: dir });
  t.is(config.profile, 'production');
  t.is(config.server.port, 6001);
  t.deepEqual(config.telemetry.resourceAttributes, { 'deployment.environment': 'prod' });
  const main = config.clusters.main;
  t.is(main?.primary.passwordFile, join(dir, 'etc/secrets/db.password'));
  t.is(main?.replicas[0]?.passwordFile, join(dir, 'etc/secrets/db.password'));
  t.is(main?.primary.tls.ca, join(dir, 'etc/tls/ca.pem'));
  t.is(main?.primary.password.reveal(), 'pw');
});

test('--config=FILE works, and .yml is YAML', async (t) => {
  const dir = await writeFiles(await tempDir(t), { 'g.yml': 'server:\n  port: 6002\n' });
  const config = await load({ argv: [`--config=${join(dir, 'g.yml')}`] });
  t.is(config.server.port, 6002);
});

test('a JSON file named by GATEWAY_CONFIG is read, relative to cwd', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'conf/g.json': JSON.stringify({ log: { level: 'debug' } }),
  });
  const config = await load({ env: { GATEWAY_CONFIG: 'conf/g.json' }, cwd: dir });
  t.is(config.log.level, 'debug');
});

test('--config wins over GATEWAY_CONFIG', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'a.yaml': 'server:\n  port: 1111\n',
    'b.yaml': 'server:\n  port: 2222\n',
  });
  const config = await load({ argv: ['--config', 'a.yaml'], env: { GATEWAY_CONFIG: 'b.yaml' }, cwd: dir });
  t.is(config.server.port, 1111);
});

test('arguments after -- are not read', async (t) => {
  const config = await load({ argv: ['--', '--config', 'missing.yaml'] });
  t.is(config.server.port, 50051);
});

test('an empty YAML file, and sections or keys left empty, mean the defaults', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'empty.yaml': '# nothing yet\n',
    'sparse.yaml':
      'server:\n  port:\ntelemetry:\nclusters:\n  c:\n    primary: {host: h, user: u}\n    pool:\n',
  });
  t.is((await load({ argv: ['--config', join(dir, 'empty.yaml')] })).server.port, 50051);
  const sparse = await load({ argv: ['--config', join(dir, 'sparse.yaml')] });
  t.is(sparse.server.port, 50051);
  t.true(sparse.telemetry.enabled);
  t.is(sparse.clusters.c?.pool.max, 5);
});

test('YAML anchors and merge keys share settings between backends', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'g.yaml': [
      'clusters:',
      '  c:',
      '    primary: &db {host: db-0, user: gateway, database: shop, port: 3307}',
      '    replicas:',
      '      - <<: *db',
      '        host: db-1',
    ].join('\n'),
  });
  const config = await load({ argv: ['--config', join(dir, 'g.yaml')] });
  const replica = config.clusters.c?.replicas[0];
  t.deepEqual(
    [replica?.host, replica?.user, replica?.database, replica?.port],
    ['db-1', 'gateway', 'shop', 3307],
  );
});

const fileErrors = [
  { name: 'g.toml', content: 'x = 1', match: /unsupported file type/ },
  {
    name: 'g.yaml',
    content: 'server:\n  port: 1\n  port: 2\n',
    match: /invalid YAML at line 3, column 3 \(DUPLICATE_KEY\)/,
  },
  { name: 'g.yaml', content: '- a\n- b\n', match: /must hold a mapping at the top level/ },
  { name: 'g.json', content: '{"server": {"port": 1}', match: /invalid JSON at line 1/ },
  { name: 'g.json', content: '{"server": {port: 1}}', match: /invalid JSON/ },
] as const;

for (const { name, content, match } of fileErrors) {
  test(`a bad file is reported under --config: ${JSON.stringify(content)}`, async (t) => {
    const dir = await writeFiles(await tempDir(t), { [name]: content });
    const error = await configError(t, load({ argv: ['--config', join(dir, name)] }));
    t.is(error.key, '--config');
    t.regex(error.message, match);
  });
}

test('a missing file is reported with its path, under the option that named it', async (t) => {
  const dir = await tempDir(t);
  const error = await configError(t, load({ env: { GATEWAY_CONFIG: 'nope.yaml' }, cwd: dir }));
  t.is(error.key, 'GATEWAY_CONFIG');
  t.true(error.message.includes(join(dir, 'nope.yaml')));
  t.regex(error.message, /ENOENT/);
});

test('--config without a file name is an error', async (t) => {
  for (const argv of [['--config'], ['--config', '--print-config'], ['--config=']]) {
    const error = await configError(t, load({ argv }));
    t.is(error.key, '--config');
  }
});

test('a YAML syntax error does not quote the offending line', async (t) => {
  const dir = await writeFiles(await tempDir(t), {
    'g.yaml': 'clusters:\n  c:\n    primary:\n      password: "S3cr3t\\q-value"\n',
  });
  const error = await configError(t, load({ argv: ['--config', join(dir, 'g.yaml')] }));
  t.regex(error.message, /invalid YAML at line 4/);
  t.false(error.message.includes('S3cr3t'));
});

function prefix(p: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [p + k, v]));
}
