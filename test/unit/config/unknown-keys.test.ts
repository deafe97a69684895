import test from 'ava';
import { configError, loadObject, minimalCluster } from './helpers.js';

const cases: readonly (readonly [what: string, config: unknown, key: string])[] = [
  ['a top-level key', { clusterz: { default: minimalCluster } }, 'clusterz'],
  ['a key in a section', { server: { hots: 'x' } }, 'server.hots'],
  ['a section inside a section', { server: { tlz: { cert: 'x' } } }, 'server.tlz'],
  ['a key of server.tls', { server: { tls: { certFile: 'x' } } }, 'server.tls.certFile'],
  [
    'a key of a principal',
    { auth: { principals: { app: { tokenSha256: ['a'.repeat(64)], readonly: true } } } },
    'auth.principals.app.readonly',
  ],
  [
    'a key of a cluster',
    { clusters: { default: { ...minimalCluster, readPreference: 'PRIMARY' } } },
    'clusters.default.readPreference',
  ],
  [
    'a key of a primary',
    { clusters: { default: { primary: { host: 'h', hots: 'h', user: 'u' } } } },
    'clusters.default.primary.hots',
  ],
  [
    'a key of a replica',
    {
      clusters: {
        default: {
          ...minimalCluster,
          replicas: [
            { host: 'a', user: 'u' },
            { host: 'b', user: 'u', prot: 1 },
          ],
        },
      },
    },
    'clusters.default.replicas[1].prot',
  ],
  [
    'a key of a pool',
    { clusters: { default: { ...minimalCluster, pool: { maxx: 3 } } } },
    'clusters.default.pool.maxx',
  ],
  [
    'a key of tls',
    { clusters: { default: { primary: { host: 'h', user: 'u', tls: { verfy: false } } } } },
    'clusters.default.primary.tls.verfy',
  ],
  [
    'a key of healthCheck',
    { clusters: { default: { ...minimalCluster, healthCheck: { query: 'SELECT 1' } } } },
    'clusters.default.healthCheck.query',
  ],
  [
    'a key of reconnect',
    { clusters: { default: { ...minimalCluster, reconnect: { retries: 3 } } } },
    'clusters.default.reconnect.retries',
  ],
];

for (const [what, config, key] of cases) {
  test(`an unknown key is named with its full path: ${what}`, async (t) => {
    const error = await configError(t, loadObject(t, config));
    t.deepEqual(error.issues, [{ key, message: 'unknown key' }]);
    t.true(error.message.includes(`${key}: unknown key`));
  });
}

test('every unknown key is reported in one error', async (t) => {
  const error = await configError(
    t,
    loadObject(t, {
      logging: {},
      server: { hots: 'x' },
      clusters: {
        a: { primary: { host: 'h', user: 'u', pasword: 'x' } },
        b: { ...minimalCluster, replica: [] },
      },
    }),
  );
  t.deepEqual(
    error.issues.map((i) => i.key),
    ['logging', 'server.hots', 'clusters.a.primary.pasword', 'clusters.b.replica'],
  );
});

test('a __proto__ key is an unknown key, and pollutes nothing', async (t) => {
  const config =
    '{"clusters": {"default": {"primary": {"host": "h", "user": "u", "__proto__": {"polluted": true}}}}}';
  const error = await configError(t, loadObject(t, JSON.parse(config)));
  t.deepEqual(error.issues, [{ key: 'clusters.default.primary.__proto__', message: 'unknown key' }]);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});
