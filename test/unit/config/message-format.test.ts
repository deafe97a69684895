/**
 * One message format for the whole tree: whether the bad key is at the top level, in a cluster,
 * in a backend or in a principal, and whether the value came from the file or the environment,
 * the error reads `invalid configuration: <full key path>: <reason>`.
 */
import test from 'ava';
import { hashToken } from '../../../src/auth/tokens.js';
import { configError, load, loadObject, minimalCluster } from './helpers.js';

const principal = (extra: object) => ({
  clusters: { default: minimalCluster },
  auth: { principals: { app: { tokenSha256: [hashToken('t')], ...extra } } },
});
const replica = (extra: object) => ({
  clusters: { default: { ...minimalCluster, replicas: [{ host: 'r', user: 'u', ...extra }] } },
});

/** [where, config, the whole expected message] */
const badValues: readonly (readonly [string, unknown, string])[] = [
  ['top level', { server: { port: 70000 } }, 'server.port: must be an integer between 0 and 65535'],
  [
    'cluster',
    { clusters: { default: { ...minimalCluster, pool: { max: 0 } } } },
    'clusters.default.pool.max: must be an integer between 1 and 1000000',
  ],
  [
    'backend',
    replica({ port: 70000 }),
    'clusters.default.replicas[0].port: must be an integer between 1 and 65535',
  ],
  [
    'principal',
    principal({ maxConcurrentCalls: -1 }),
    'auth.principals.app.maxConcurrentCalls: must be an integer between 0 and 1000000',
  ],
  [
    'top level',
    { log: { level: 7 } },
    'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
  ],
  [
    'cluster',
    { clusters: { default: { ...minimalCluster, defaultReadPreference: 'NEAREST' } } },
    'clusters.default.defaultReadPreference: must be one of PRIMARY, PRIMARY_PREFERRED, REPLICA, REPLICA_PREFERRED',
  ],
  ['backend', replica({ keepAlive: 'yes' }), 'clusters.default.replicas[0].keepAlive: must be true or false'],
  ['principal', principal({ readOnly: 'yes' }), 'auth.principals.app.readOnly: must be true or false'],
];

for (const [where, config, message] of badValues) {
  test(`a bad ${where} value: ${message}`, async (t) => {
    const error = await configError(t, loadObject(t, config));
    t.is(error.message, `invalid configuration: ${message}`);
    t.is(error.issues.length, 1);
    t.is(`${error.key}: ${error.issues[0]?.message}`, message);
  });
}

const unknownKeys: readonly (readonly [string, unknown, string])[] = [
  ['top level', { server: { prot: 1 } }, 'server.prot'],
  ['cluster', { clusters: { default: { ...minimalCluster, pool: { mx: 1 } } } }, 'clusters.default.pool.mx'],
  ['backend', replica({ prot: 1 }), 'clusters.default.replicas[0].prot'],
  ['principal', principal({ readonly: true }), 'auth.principals.app.readonly'],
];

for (const [where, config, key] of unknownKeys) {
  test(`an unknown ${where} key: ${key}`, async (t) => {
    const error = await configError(t, loadObject(t, config));
    t.is(error.message, `invalid configuration: ${key}: unknown key`);
  });
}

const fromEnvironment: readonly (readonly [string, Record<string, string>, string])[] = [
  ['top level', { GATEWAY_PORT: '80abc' }, 'server.port: must be an integer between 0 and 65535'],
  [
    'cluster',
    { GATEWAY_CLUSTERS: JSON.stringify({ default: { ...minimalCluster, pool: { max: 0 } } }) },
    'clusters.default.pool.max: must be an integer between 1 and 1000000',
  ],
  [
    'backend',
    { GATEWAY_CLUSTERS: JSON.stringify({ default: { primary: { host: 'h', user: 'u', port: 0 } } }) },
    'clusters.default.primary.port: must be an integer between 1 and 65535',
  ],
  [
    'principal',
    { GATEWAY_AUTH_PRINCIPALS: JSON.stringify({ app: { tokenSha256: [hashToken('t')], burst: 1.5 } }) },
    'auth.principals.app.burst: must be an integer between 0 and 1000000',
  ],
];

for (const [where, env, message] of fromEnvironment) {
  test(`a bad ${where} value from the environment: ${message}`, async (t) => {
    const error = await configError(t, load({ env }));
    t.is(error.message, `invalid configuration: ${message}`);
  });
}
