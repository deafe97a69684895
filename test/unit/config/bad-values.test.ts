import test from 'ava';
import { configError, issueAt, loadObject, minimalCluster } from './helpers.js';

const cluster = (extra: object) => ({ clusters: { default: { ...minimalCluster, ...extra } } });
const primary = (extra: object) => cluster({ primary: { ...minimalCluster.primary, ...extra } });

/** [config, key, message] */
const cases: readonly (readonly [unknown, string, RegExp])[] = [
  [{ server: { port: 70000 } }, 'server.port', /^must be an integer between 0 and 65535$/],
  [{ server: { port: 'http' } }, 'server.port', /integer/],
  [{ server: { port: 1.5 } }, 'server.port', /integer/],
  [{ server: { shutdownGraceMs: 2 ** 31 } }, 'server.shutdownGraceMs', /between 0 and 2147483647/],
  [{ server: { host: { name: 'x' } } }, 'server.host', /single value/],
  [{ server: 8080 }, 'server', /must be a mapping/],
  [{ admin: { port: -2 } }, 'admin.port', /between -1 and 65535/],
  [{ admin: { port: 50051 } }, 'admin.port', /must differ from server.port/],
  [{ log: { level: 'verbose' } }, 'log.level', /must be one of/],
  [{ profile: 'staging' }, 'profile', /must be one of/],
  [{ telemetry: { samplingRatio: 1.5 } }, 'telemetry.samplingRatio', /between 0 and 1/],
  [{ telemetry: { otlpEndpoint: 'ftp://collector' } }, 'telemetry.otlpEndpoint', /http/],
  [{ telemetry: { otlpEndpoint: 'https://u:p@collector' } }, 'telemetry.otlpEndpoint', /credentials/],
  [{ telemetry: { otlpProtocol: 'http/json' } }, 'telemetry.otlpProtocol', /must be one of/],
  [
    { telemetry: { resourceAttributes: { team: 7 } } },
    'telemetry.resourceAttributes',
    /"team" must map to a string/,
  ],
  [{ telemetry: { resourceAttributes: ['a'] } }, 'telemetry.resourceAttributes', /mapping/],
  [{ telemetry: { enabled: 'yes please' } }, 'telemetry.enabled', /true or false/],
  [{ limits: { defaultRowsPerBatch: 20_000 } }, 'limits.defaultRowsPerBatch', /limits\.maxRowsPerBatch/],
  [{ limits: { maxBatchBytes: 32 * 1024 * 1024 } }, 'limits.maxBatchBytes', /server\.maxSendMessageBytes/],
  [{ limits: { maxParams: 70_000 } }, 'limits.maxParams', /between 0 and 65535/],
  [{ transactions: { idleTimeoutMs: 400_000 } }, 'transactions.idleTimeoutMs', /maxIdleTimeoutMs/],
  [{ clusters: [] }, 'clusters', /./],
  [{ clusters: { 'bad name': minimalCluster } }, 'clusters.bad name', /cluster names/],
  [{ clusters: { default: null } }, 'clusters.default.primary', /^is required$/],
  [{ clusters: { default: 'db:3306' } }, 'clusters.default', /must be a mapping/],
  [cluster({ primary: undefined }), 'clusters.default.primary', /^is required$/],
  [primary({ host: undefined }), 'clusters.default.primary.host', /^is required$/],
  [primary({ host: '' }), 'clusters.default.primary.host', /must not be empty/],
  [primary({ user: 'a b' }), 'clusters.default.primary.user', /whitespace/],
  [primary({ port: '3306' }), 'clusters.default.primary.port', /^must be an integer between 1 and 65535$/],
  [primary({ password: 123456 }), 'clusters.default.primary.password', /quote it in YAML/],
  [
    primary({ passwordEnv: 'DB-PASSWORD' }),
    'clusters.default.primary.passwordEnv',
    /environment variable name/,
  ],
  [primary({ connectTimeoutMs: 0 }), 'clusters.default.primary.connectTimeoutMs', /between 1 and/],
  [primary({ keepAlive: 'true' }), 'clusters.default.primary.keepAlive', /true or false/],
  [
    primary({ charset: 'utf8mb4; DROP TABLE x' }),
    'clusters.default.primary.charset',
    /letters, digits and _/,
  ],
  [primary({ tls: { cert: 'c.pem' } }), 'clusters.default.primary.tls.key', /set together/],
  [primary({ tls: 'on' }), 'clusters.default.primary.tls', /must be a mapping/],
  [primary({ weight: -1 }), 'clusters.default.primary.weight', /between 0 and 1000/],
  [
    cluster({
      replicas: [
        { host: 'r', user: 'u' },
        { host: 'r', user: 'u', port: 0 },
      ],
    }),
    'clusters.default.replicas[1].port',
    /^must be an integer between 1 and 65535$/,
  ],
  [cluster({ replicas: { host: 'r', user: 'u' } }), 'clusters.default.replicas', /must be a list/],
  [cluster({ replicas: ['r:3306'] }), 'clusters.default.replicas[0]', /must be a mapping/],
  [
    cluster({ replicas: [{ host: 'db.internal', user: 'u' }] }),
    'clusters.default.replicas[0].name',
    /already the name of clusters\.default\.primary/,
  ],
  [
    cluster({ defaultReadPreference: 'NEAREST' }),
    'clusters.default.defaultReadPreference',
    /PRIMARY, PRIMARY_PREFERRED/,
  ],
  [cluster({ maxReplicaLagMs: -1 }), 'clusters.default.maxReplicaLagMs', /between 0 and/],
  [cluster({ pool: { max: 0 } }), 'clusters.default.pool.max', /between 1 and/],
  [cluster({ pool: { acquireTimeoutMs: 'soon' } }), 'clusters.default.pool.acquireTimeoutMs', /integer/],
  [
    cluster({ healthCheck: { queries: ['SELECT 1', ''] } }),
    'clusters.default.healthCheck.queries[1]',
    /not be empty/,
  ],
  [
    cluster({ healthCheck: { queries: 'SELECT 1' } }),
    'clusters.default.healthCheck.queries',
    /must be a list/,
  ],
  [
    cluster({ healthCheck: { failuresToDown: 0 } }),
    'clusters.default.healthCheck.failuresToDown',
    /between 1 and/,
  ],
  [
    cluster({ reconnect: { initialDelayMs: 5000 } }),
    'clusters.default.reconnect.initialDelayMs',
    /maxDelayMs/,
  ],
  [cluster({ hedging: { minDelayMs: 600 } }), 'clusters.default.hedging.minDelayMs', /hedging.maxDelayMs/],
  [
    cluster({ hedging: { budgetPercent: 150 } }),
    'clusters.default.hedging.budgetPercent',
    /between 0 and 100/,
  ],
  [cluster({ hedging: { maxDelayMs: 0 } }), 'clusters.default.hedging.maxDelayMs', /between 1 and/],
  [cluster({ hedging: { enabled: 'maybe' } }), 'clusters.default.hedging.enabled', /true or false/],
];

for (const [config, key, message] of cases) {
  test(`${key} is named for ${JSON.stringify(config)}`, async (t) => {
    const error = await configError(t, loadObject(t, config));
    t.regex(issueAt(t, error, key).message, message);
    t.true(error.message.includes(`${key}: `));
  });
}

test('problems at the top level and in clusters are reported together', async (t) => {
  const error = await configError(
    t,
    loadObject(t, { server: { port: -1 }, clusters: { a: { primary: { host: 'h', user: 'u', port: 0 } } } }),
  );
  t.deepEqual(
    error.issues.map((i) => i.key),
    ['server.port', 'clusters.a.primary.port'],
  );
  t.regex(
    error.message,
    /^invalid configuration \(2 problems\):\n {2}server\.port: .*\n {2}clusters\.a\.primary\.port: /,
  );
});
