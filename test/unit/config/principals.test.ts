import test from 'ava';
import { redactedConfig } from '../../../src/config/index.js';
import { hashToken } from '../../../src/auth/tokens.js';
import { configError, issueAt, loadObject, minimalCluster } from './helpers.js';

const DIGEST = hashToken('mgw_example-token');

test('a principal gets the documented defaults, and its digests load as secrets', async (t) => {
  const config = await loadObject(t, {
    clusters: { default: minimalCluster },
    auth: { principals: { app: { tokenSha256: [DIGEST] } } },
  });
  const app = config.auth.principals.app;
  if (app === undefined) return t.fail('no principal app');
  t.deepEqual(
    { ...app, tokenSha256: app.tokenSha256.map((s) => s.reveal()) },
    {
      tokenSha256: [DIGEST],
      certIdentities: [],
      clusters: ['*'],
      readOnly: false,
      admin: false,
      maxConcurrentCalls: 0,
      maxConcurrentTransactions: 0,
      requestsPerSecond: 0,
      burst: 0,
    },
  );
  t.true(config.auth.enabled, 'authentication is on unless turned off');
  const printed = JSON.stringify(redactedConfig(config));
  t.false(printed.includes(DIGEST), '--print-config does not show token digests');
});

const BAD: [string, unknown, string, RegExp][] = [
  [
    'a plaintext token',
    { tokenSha256: ['mgw_secret-token'] },
    'auth.principals.app.tokenSha256[0]',
    /SHA-256 digest/,
  ],
  [
    'an uppercase digest',
    { tokenSha256: [DIGEST.toUpperCase()] },
    'auth.principals.app.tokenSha256[0]',
    /lowercase hex/,
  ],
  ['no credential', { readOnly: true }, 'auth.principals.app', /at least one credential/],
  [
    'an unknown cluster',
    { tokenSha256: [DIGEST], clusters: ['nope'] },
    'auth.principals.app.clusters[0]',
    /no cluster is named nope/,
  ],
  [
    'a bad certificate identity',
    { certIdentities: ['reporting'] },
    'auth.principals.app.certIdentities[0]',
    /CN=/,
  ],
  [
    'a negative rate',
    { tokenSha256: [DIGEST], requestsPerSecond: -1 },
    'auth.principals.app.requestsPerSecond',
    /between 0/,
  ],
];

for (const [what, principal, key, message] of BAD) {
  test(`a principal with ${what} is refused at ${key}`, async (t) => {
    const error = await configError(
      t,
      loadObject(t, { clusters: { default: minimalCluster }, auth: { principals: { app: principal } } }),
    );
    t.regex(issueAt(t, error, key).message, message);
    t.false(error.message.includes('mgw_secret-token'), 'the error never quotes a token');
  });
}

test('one digest naming two principals is refused, without printing it', async (t) => {
  const error = await configError(
    t,
    loadObject(t, {
      clusters: { default: minimalCluster },
      auth: { principals: { a: { tokenSha256: [DIGEST] }, b: { tokenSha256: [DIGEST] } } },
    }),
  );
  t.regex(issueAt(t, error, 'auth.principals.b.tokenSha256[0]').message, /also identifies principal a/);
  t.false(error.message.includes(DIGEST));
});

test('principals from GATEWAY_AUTH_PRINCIPALS as JSON', async (t) => {
  const config = await loadObject(
    t,
    { clusters: { default: minimalCluster } },
    { env: { GATEWAY_AUTH_PRINCIPALS: JSON.stringify({ ops: { tokenSha256: [DIGEST], admin: true } }) } },
  );
  t.true(config.auth.principals.ops?.admin);
});

test('mutual TLS needs server TLS, and cert and key come together', async (t) => {
  const error = await configError(
    t,
    loadObject(
      t,
      { server: { tls: { key: 'k.pem', clientCa: 'ca.pem' } } },
      { files: { 'k.pem': 'x', 'ca.pem': 'x' } },
    ),
  );
  t.regex(issueAt(t, error, 'server.tls.cert').message, /set together/);
  t.regex(issueAt(t, error, 'server.tls.clientCa').message, /needs server.tls.cert/);
});
