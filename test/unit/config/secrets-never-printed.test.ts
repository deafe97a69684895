import { format, inspect } from 'node:util';
import test from 'ava';
import { type ConfigError, Secret } from '../../../src/config/index.js';
import { configError, load, loadObject, tempDir, writeFiles } from './helpers.js';

const SECRETS = ['inline-S3cret', 'file-S3cret', 'env-S3cret'];

function printed(value: unknown): string[] {
  return [
    JSON.stringify(value),
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    format('%o %O %s %j', value, value, value, value),
    String(value),
    `${value}`,
  ];
}

function assertNoSecret(t: import('ava').ExecutionContext, texts: readonly string[]): void {
  for (const text of texts)
    for (const secret of SECRETS) t.false(text.includes(secret), `${secret} in ${text}`);
}

test('no secret appears when the loaded configuration or its secrets are printed', async (t) => {
  const config = await loadObject(
    t,
    {
      clusters: {
        default: {
          primary: { host: 'p', user: 'u', password: 'inline-S3cret' },
          replicas: [
            { host: 'r1', user: 'u', passwordFile: 'pw' },
            { host: 'r2', user: 'u', passwordEnv: 'DB_PW' },
          ],
        },
      },
    },
    { env: { DB_PW: 'env-S3cret' }, files: { pw: 'file-S3cret\n' } },
  );
  const cluster = config.clusters.default;
  assertNoSecret(t, printed(config));
  assertNoSecret(t, printed(cluster?.primary));
  assertNoSecret(t, printed(cluster?.replicas));
  assertNoSecret(t, printed(cluster?.primary.password));
  t.deepEqual(
    [
      cluster?.primary.password.reveal(),
      cluster?.replicas[0]?.password.reveal(),
      cluster?.replicas[1]?.password.reveal(),
    ],
    SECRETS,
  );
});

test('a Secret shows nothing but [REDACTED] and has no enumerable state', (t) => {
  const secret = new Secret('inline-S3cret');
  t.deepEqual(Object.keys(secret), []);
  t.is(JSON.stringify({ secret }), '{"secret":"[REDACTED]"}');
  t.is(inspect(secret), '[REDACTED]');
  t.is(String(secret), '[REDACTED]');
  t.is(`${secret}`, '[REDACTED]');
  t.is(secret.reveal(), 'inline-S3cret');
});

async function errors(t: import('ava').ExecutionContext): Promise<ConfigError[]> {
  const dir = await writeFiles(await tempDir(t), {
    'syntax.yaml': 'clusters:\n  c:\n    primary: {host: h, user: u, password: "inline-S3cret\\q"}\n',
    'number.yaml': 'clusters:\n  c:\n    primary: {host: h, user: u, password: 918273645}\n',
  });
  const badPort = {
    server: { port: 'inline-S3cret' },
    clusters: { c: { primary: { host: 'h', user: 'u', password: 'inline-S3cret', port: 'env-S3cret' } } },
  };
  return [
    await configError(t, loadObject(t, badPort)),
    await configError(
      t,
      load({ env: { GATEWAY_CLUSTERS: '{"c": {"primary": {"password": "inline-S3cret"' } }),
    ),
    await configError(t, load({ env: { GATEWAY_PORT: 'env-S3cret', GATEWAY_HOST: '' } })),
    await configError(t, load({ argv: ['--config', `${dir}/syntax.yaml`] })),
    await configError(t, load({ argv: ['--config', `${dir}/number.yaml`] })),
    await configError(
      t,
      loadObject(t, {
        clusters: { c: { primary: { host: 'h', user: 'u', password: 'inline-S3cret', passwordFile: 'f' } } },
      }),
    ),
  ];
}

test('no secret or configured value appears when a ConfigError is printed', async (t) => {
  for (const error of await errors(t)) {
    assertNoSecret(t, [...printed(error), error.stack ?? '', JSON.stringify(error.issues)]);
    t.false(error.message.includes('918273645'));
  }
});
