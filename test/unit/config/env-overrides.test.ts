import { join } from 'node:path';
import test from 'ava';
import { gatewaySchema } from '../../../src/config/index.js';
import { configError, issueAt, load, loadObject, minimalCluster, tempDir } from './helpers.js';

interface Leaf {
  readonly path: string;
  readonly env: string;
  readonly default: unknown;
  readonly format: unknown;
  readonly min?: number;
  readonly max?: number;
}

function* leaves(node: object, prefix = ''): Generator<Leaf> {
  for (const [key, child] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if ('default' in child) yield { ...child, path };
    else yield* leaves(child, path);
  }
}

function valueAt(config: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

/** A valid value other than the default, as the environment would spell it. */
function otherValue(leaf: Leaf): [text: string, expected: unknown] | undefined {
  if (Array.isArray(leaf.format)) {
    const other = leaf.format.find((v) => v !== leaf.default);
    return [String(other), other];
  }
  switch (leaf.format) {
    case 'gateway-int': {
      const n =
        Number(leaf.default) + 1 <= (leaf.max ?? 0) ? Number(leaf.default) + 1 : Number(leaf.default) - 1;
      return [String(n), n];
    }
    case 'gateway-number':
      return ['0.25', 0.25];
    case 'gateway-boolean':
      return [String(!leaf.default), !leaf.default];
    case 'gateway-non-empty-string':
      return ['gateway.example', 'gateway.example'];
    case 'gateway-url':
      return ['http://collector:4318', 'http://collector:4318'];
    default:
      return undefined; // mappings: tested below
  }
}

for (const leaf of leaves(gatewaySchema)) {
  const other = otherValue(leaf);
  if (other === undefined || leaf.env === 'NODE_ENV') continue;
  test(`${leaf.env} sets ${leaf.path}`, async (t) => {
    const config = await load({ env: { [leaf.env]: other[0] } });
    t.deepEqual(valueAt(config, leaf.path), other[1]);
  });
}

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
