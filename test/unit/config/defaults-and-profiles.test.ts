import test from 'ava';
import { PROFILE_DEFAULTS } from '../../../src/config/index.js';
import { configError, issueAt, load, loadObject, minimalCluster } from './helpers.js';

const clusters = (cluster: object = minimalCluster) => ({
  GATEWAY_CLUSTERS: JSON.stringify({ default: cluster }),
});

test('without file or environment, every top-level key has its documented default', async (t) => {
  const config = await load();
  t.deepEqual(
    { ...config },
    {
      profile: 'development',
      server: {
        host: '127.0.0.1',
        port: 50051,
        maxReceiveMessageBytes: 4 * 1024 * 1024,
        maxSendMessageBytes: 16 * 1024 * 1024,
        shutdownGraceMs: 10_000,
        maxConcurrentStreamsPerConnection: 1000,
        keepaliveTimeMs: 60_000,
        keepaliveTimeoutMs: 20_000,
        tls: { cert: '', key: '', clientCa: '' },
      },
      admin: { host: '127.0.0.1', port: 9464 },
      auth: { enabled: true, principals: {} },
      log: { level: 'info' },
      limits: {
        maxSqlBytes: 1024 * 1024,
        maxParams: 65535,
        defaultRowsPerBatch: 500,
        maxRowsPerBatch: 10_000,
        maxBatchBytes: 1024 * 1024,
        maxRowsPerQuery: 0,
        maxBytesPerQuery: 0,
        maxBatchSteps: 1000,
        maxBatchResponseRows: 10_000,
        maxBatchResponseBytes: 3 * 1024 * 1024,
      },
      transactions: {
        idleTimeoutMs: 30_000,
        maxIdleTimeoutMs: 300_000,
        maxLifetimeMs: 600_000,
        replayTimeoutMs: 10_000,
        replayMaxStatements: 1000,
        replayMaxBytes: 4 * 1024 * 1024,
        replayOnDeadlock: false,
      },
      telemetry: {
        enabled: true,
        serviceName: 'mysql-grpc-gateway',
        samplingRatio: 1,
        otlpEndpoint: '',
        otlpProtocol: 'http/protobuf',
        resourceAttributes: {},
        sqlCommenter: false,
        metricsEnabled: true,
        slowStatementMs: 1000,
        queryDigests: { enabled: true, maxEntries: 1000 },
      },
      clusters: {},
    },
  );
});

test('a cluster gets the documented defaults', async (t) => {
  const config = await load({ env: clusters() });
  const cluster = config.clusters.default;
  if (cluster === undefined) return t.fail('no cluster');
  const { password, ...primary } = cluster.primary;
  t.true(password.isEmpty);
  t.deepEqual(primary, {
    host: 'db.internal',
    port: 3306,
    user: 'gateway',
    passwordFile: '',
    passwordEnv: '',
    database: '',
    connectTimeoutMs: 5000,
    readTimeoutMs: 30_000,
    writeTimeoutMs: 30_000,
    keepAlive: true,
    keepAliveIntervalMs: 60_000,
    tls: { enabled: false, verify: true, ca: '', cert: '', key: '', servername: '' },
    charset: 'utf8mb4',
    collation: 'utf8mb4_unicode_ci',
    sqlMode: PROFILE_DEFAULTS.development.sqlMode,
    weight: 1,
    name: 'db.internal:3306',
  });
  t.deepEqual(cluster.replicas, []);
  t.is(cluster.defaultReadPreference, 'REPLICA_PREFERRED');
  t.is(cluster.maxReplicaLagMs, 5000);
  t.deepEqual(cluster.healthCheck, {
    intervalMs: 1000,
    timeoutMs: 1000,
    failuresToDown: 3,
    successesToUp: 2,
    queries: [],
  });
  t.deepEqual(cluster.reconnect, { attempts: 5, initialDelayMs: 50, maxDelayMs: 2000 });
  t.deepEqual(cluster.transactions, { replay: false });
  t.deepEqual(cluster.hedging, { enabled: false, budgetPercent: 5, minDelayMs: 20, maxDelayMs: 500 });
  t.deepEqual(cluster.pool, {
    min: 1,
    max: 5,
    acquireTimeoutMs: 5000,
    maxWaiting: 1000,
    idleTimeoutMs: 60_000,
    validationIntervalMs: 30_000,
    validationQuery: '',
    maxLifetimeMs: 1_800_000,
    lifetimeJitterMs: 60_000,
    evictionIntervalMs: 1000,
  });
});

const profileCases = [
  { nodeEnv: undefined, profile: 'development', pool: [1, 5, 60_000] },
  { nodeEnv: 'development', profile: 'development', pool: [1, 5, 60_000] },
  { nodeEnv: 'production', profile: 'production', pool: [5, 20, 300_000] },
  { nodeEnv: 'test', profile: 'development', pool: [1, 5, 60_000] },
] as const;

for (const { nodeEnv, profile, pool } of profileCases) {
  test(`NODE_ENV=${nodeEnv ?? '(unset)'} selects the ${profile} profile and its defaults`, async (t) => {
    const config = await load({
      env: { ...clusters(), ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) },
    });
    t.is(config.profile, profile);
    const cluster = config.clusters.default;
    t.deepEqual([cluster?.pool.min, cluster?.pool.max, cluster?.pool.idleTimeoutMs], [...pool]);
    t.is(cluster?.primary.sqlMode, PROFILE_DEFAULTS[profile].sqlMode);
  });
}

test('the profile written in the file applies when NODE_ENV names no profile', async (t) => {
  const config = await loadObject(
    t,
    { profile: 'production', clusters: { default: minimalCluster } },
    { env: { NODE_ENV: 'test' } },
  );
  t.is(config.profile, 'production');
  t.is(config.clusters.default?.pool.max, 20);
});

test('NODE_ENV overrides the profile written in the file', async (t) => {
  const config = await loadObject(t, { profile: 'production' }, { env: { NODE_ENV: 'development' } });
  t.is(config.profile, 'development');
});

test('explicit values win over the profile, key by key', async (t) => {
  const config = await load({
    env: {
      NODE_ENV: 'production',
      ...clusters({
        ...minimalCluster,
        pool: { min: 2, idleTimeoutMs: 0 },
        replicas: [{ host: 'r', user: 'u', sqlMode: '' }],
      }),
    },
  });
  const cluster = config.clusters.default;
  t.deepEqual([cluster?.pool.min, cluster?.pool.max, cluster?.pool.idleTimeoutMs], [2, 20, 0]);
  t.is(cluster?.primary.sqlMode, PROFILE_DEFAULTS.production.sqlMode);
  t.is(cluster?.replicas[0]?.sqlMode, '');
});

test('a profile min above an explicit max is lowered to it', async (t) => {
  const config = await load({
    env: { NODE_ENV: 'production', ...clusters({ ...minimalCluster, pool: { max: 3 } }) },
  });
  t.deepEqual([config.clusters.default?.pool.min, config.clusters.default?.pool.max], [3, 3]);
});

test('a profile max below an explicit min is raised to it', async (t) => {
  const config = await load({ env: clusters({ ...minimalCluster, pool: { min: 8 } }) });
  t.deepEqual([config.clusters.default?.pool.min, config.clusters.default?.pool.max], [8, 8]);
});

test('an explicit min above an explicit max is an error', async (t) => {
  const error = await configError(
    t,
    load({ env: clusters({ ...minimalCluster, pool: { min: 8, max: 4 } }) }),
  );
  t.regex(issueAt(t, error, 'clusters.default.pool.min').message, /must not exceed pool\.max/);
});

test('backend names default to host:port, with brackets around IPv6 addresses', async (t) => {
  const config = await load({
    env: clusters({
      primary: { host: '::1', port: 3307, user: 'u' },
      replicas: [
        { host: 'r1', user: 'u' },
        { host: 'r2', user: 'u', name: 'replica-two' },
      ],
    }),
  });
  const cluster = config.clusters.default;
  t.deepEqual(
    [cluster?.primary.name, ...(cluster?.replicas.map((r) => r.name) ?? [])],
    ['[::1]:3307', 'r1:3306', 'replica-two'],
  );
});

test('the loaded configuration is deep-frozen', async (t) => {
  const config = await load({ env: clusters({ ...minimalCluster, replicas: [{ host: 'r', user: 'u' }] }) });
  const cluster = config.clusters.default;
  for (const value of [
    config,
    config.server,
    config.clusters,
    cluster,
    cluster?.primary,
    cluster?.primary.tls,
  ]) {
    t.true(Object.isFrozen(value));
  }
  t.true(Object.isFrozen(cluster?.replicas));
  t.true(Object.isFrozen(cluster?.primary.password));
  t.throws(
    () => {
      (config.server as { port: number }).port = 1;
    },
    { instanceOf: TypeError },
  );
});
