import test from 'ava';
import { REDACTED, redactedConfig } from '../../../src/config/index.js';
import { loadObject } from './helpers.js';

test('redactedConfig shows every secret as [REDACTED], and where secrets come from', async (t) => {
  const config = await loadObject(
    t,
    {
      clusters: {
        default: {
          primary: { host: 'p', user: 'u', password: 'inline-S3cret' },
          replicas: [
            { host: 'r1', user: 'u', passwordFile: 'pw' },
            { host: 'r2', user: 'u', passwordEnv: 'DB_PW' },
            { host: 'r3', user: 'u' },
          ],
        },
      },
    },
    { env: { DB_PW: 'env-S3cret' }, files: { pw: 'file-S3cret' } },
  );
  const redacted = redactedConfig(config);
  const cluster = redacted.clusters.default;
  t.deepEqual(
    [cluster?.primary.password, ...(cluster?.replicas.map((r) => r.password) ?? [])],
    [REDACTED, REDACTED, REDACTED, REDACTED],
  );
  t.is(cluster?.replicas[0]?.passwordFile, config.clusters.default?.replicas[0]?.passwordFile);
  t.true(cluster?.replicas[0]?.passwordFile.endsWith('/pw'));
  t.is(cluster?.replicas[1]?.passwordEnv, 'DB_PW');
  t.false(JSON.stringify(redacted).includes('S3cret'));
});

test('redactedConfig is plain, mutable data equal to the configuration but for secrets', async (t) => {
  const config = await loadObject(t, { clusters: { c: { primary: { host: 'p', user: 'u' } } } });
  const redacted = redactedConfig(config);
  t.false(Object.isFrozen(redacted));
  t.false(Object.isFrozen(redacted.clusters.c?.primary));
  t.deepEqual(JSON.parse(JSON.stringify(redacted)), redacted);
  t.deepEqual(JSON.parse(JSON.stringify(config)), redacted);
  t.is(Object.getPrototypeOf(redacted.clusters.c?.primary.password), String.prototype);
});
