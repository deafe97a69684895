import { join } from 'node:path';
import test from 'ava';
import { gatewaySchema } from '../../../src/config/index.js';
import {
  configError,
  type DeclaredKey,
  declaredKeys,
  issueAt,
  load,
  loadObject,
  minimalCluster,
  tempDir,
  writeFiles,
} from './helpers.js';

function valueAt(config: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

/** Texts a variable may hold, and the value each should load as; the first valid one that is not the default is used. */
function candidates(key: DeclaredKey): [text: string, expected: unknown][] {
  const def = key.default;
  if (typeof def === 'boolean') return [[String(!def), !def]];
  if (typeof def === 'number') {
    return [def + 1, def - 1, 0.25].map((n) => [String(n), n]);
  }
  return ['gateway.example', 'http://collector:4318', 'grpc', 'warn'].map((text) => [text, text]);
}

/**
 * Tested on their own: variables holding JSON (below), NODE_ENV (defaults-and-profiles.test.ts),
 * and the server TLS files, which must exist and come in pairs.
 */
const separate = ['telemetry.resourceAttributes', 'auth.principals', 'clusters', 'profile'];
const envKeys = [...declaredKeys(gatewaySchema)].filter(
  ([path]) => !separate.includes(path) && !path.startsWith('server.tls.'),
);

test('the variables tested one by one are all but those tested on their own', (t) => {
  t.is(envKeys.length + separate.length + 3, [...declaredKeys(gatewaySchema)].length);
  t.true(envKeys.length >= 25);
});

for (const [path, key] of envKeys) {
  const other = candidates(key).find(
    ([, value]) => value !== key.default && key.format?.check(value) === undefined,
  );
  test(`${key.env} sets ${path}`, async (t) => {
    if (other === undefined) return t.fail(`no other valid value for ${path}`);
    const config = await load({ env: { [String(key.env)]: other[0] } });
    t.deepEqual(valueAt(config, path), other[1]);
  });
}

test('GATEWAY_TLS_CERT, GATEWAY_TLS_KEY and GATEWAY_TLS_CLIENT_CA set the server TLS files', async (t) => {
  const cwd = await writeFiles(await tempDir(t), { 'c.pem': 'x', 'k.pem': 'x', 'ca.pem': 'x' });
  const config = await load({
    cwd,
    env: { GATEWAY_TLS_CERT: 'c.pem', GATEWAY_TLS_KEY: 'k.pem', GATEWAY_TLS_CLIENT_CA: 'ca.pem' },
  });
  t.deepEqual(config.server.tls, {
    cert: join(cwd, 'c.pem'),
    key: join(cwd, 'k.pem'),
    clientCa: join(cwd, 'ca.pem'),
  });
});

test('environment values override the file', async (t) => {
  const config = await loadObject(
    t,
    { server: { port: 6000, host: '0.0.0.0' }, log: { level: 'warn' } },
    { env: { GATEWAY_PORT: '7000' } },
  );
  t.is(config.server.port, 7000);
  t.is(config.server.host, '0.0.0.0');
  t.is(config.log.level, 'warn');
});

const booleans = [
  ['false', false],
  ['0', false],
  ['no', false],
  ['OFF', false],
  ['true', true],
  ['1', true],
  ['yes', true],
] as const;

for (const [text, expected] of booleans) {
  test(`boolean variables read "${text}" as ${expected}`, async (t) => {
    const config = await load({ env: { GATEWAY_TELEMETRY_ENABLED: text } });
    t.is(config.telemetry.enabled, expected);
  });
}

test('port 0 (any free port) and admin port -1 (disabled) are accepted', async (t) => {
  const config = await load({ env: { GATEWAY_PORT: '0', GATEWAY_ADMIN_PORT: '-1' } });
  t.is(config.server.port, 0);
  t.is(config.admin.port, -1);
});

const badValues = [
  ['GATEWAY_PORT', '80abc', 'server.port'],
  ['GATEWAY_PORT', '', 'server.port'],
  ['GATEWAY_PORT', '1e3', 'server.port'],
  ['GATEWAY_ADMIN_PORT', '-2', 'admin.port'],
  ['GATEWAY_TELEMETRY_ENABLED', 'maybe', 'telemetry.enabled'],
  ['GATEWAY_TELEMETRY_SAMPLING_RATIO', 'half', 'telemetry.samplingRatio'],
  ['GATEWAY_LOG_LEVEL', 'verbose', 'log.level'],
  ['GATEWAY_HOST', '', 'server.host'],
] as const;

for (const [name, text, key] of badValues) {
  test(`${name}=${JSON.stringify(text)} is refused under ${key}`, async (t) => {
    const error = await configError(t, load({ env: { [name]: text } }));
    t.deepEqual(
      error.issues.map((i) => i.key),
      [key],
    );
  });
}

test('GATEWAY_TELEMETRY_RESOURCE_ATTRIBUTES holds JSON, keys with dots included', async (t) => {
  const config = await load({
    env: { GATEWAY_TELEMETRY_RESOURCE_ATTRIBUTES: '{"deployment.environment":"staging","team":"db"}' },
  });
  t.deepEqual(config.telemetry.resourceAttributes, { 'deployment.environment': 'staging', team: 'db' });
});

test('paths in GATEWAY_CLUSTERS resolve against cwd, not the config file directory', async (t) => {
  const cwd = await tempDir(t);
  const env = {
    GATEWAY_CLUSTERS: JSON.stringify({
      fromEnv: { primary: { host: 'h', user: 'u', passwordFile: 'pw.txt' } },
    }),
  };
  const error = await configError(t, loadObject(t, { clusters: { fromFile: minimalCluster } }, { cwd, env }));
  const issue = issueAt(t, error, 'clusters.fromEnv.primary.passwordFile');
  t.true(issue.message.includes(join(cwd, 'pw.txt')));
});

test('GATEWAY_CLUSTERS wins over the file clusters', async (t) => {
  const config = await loadObject(
    t,
    { clusters: { fromFile: minimalCluster } },
    {
      env: { GATEWAY_CLUSTERS: JSON.stringify({ fromEnv: minimalCluster }) },
    },
  );
  t.deepEqual(Object.keys(config.clusters), ['fromEnv']);
});

test('invalid JSON in GATEWAY_CLUSTERS is named, without quoting it', async (t) => {
  const error = await configError(
    t,
    load({ env: { GATEWAY_CLUSTERS: '{"default": {"password": "hunter2"' } }),
  );
  t.deepEqual(error.issues, [{ key: 'clusters', message: 'GATEWAY_CLUSTERS must hold valid JSON' }]);
  t.false(error.message.includes('hunter2'));
});

test('GATEWAY_CLUSTERS must be a JSON object', async (t) => {
  const error = await configError(t, load({ env: { GATEWAY_CLUSTERS: '[1, 2]' } }));
  t.is(error.key, 'clusters');
});
