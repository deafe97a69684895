/**
 * TLS from the gateway to MySQL (the original design's ssl_enabled, ssl_verify, ssl_ca), against
 * a private MariaDB that refuses anything but TLS (`require_secure_transport`), with a CA and
 * certificates the test makes with openssl: verified TLS works, plaintext and an untrusted
 * server certificate are refused, `verify: false` connects to it anyway, and a client certificate
 * logs in an account that REQUIRE SUBJECT.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { startTlsMariaDb, type TlsMariaDb } from '../helpers/tls-mariadb.js';
import { type AnyMessage, errorDetails, query } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let ca: TestCa;
let other: TestCa;
let db: TlsMariaDb;
let gw: TestGateway;
const PASSWORD = 'tls-test-Pw-1';

test.before(async () => {
  ca = makeCa('mysql test CA');
  other = makeCa('untrusted CA');
  db = await startTlsMariaDb(ca, ca.issue('mysql', { cn: 'mysql', usage: 'server' }));
  const client = ca.issue('gateway-client', { cn: 'gateway-client', usage: 'client' });
  await db.root(`CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}' REQUIRE SSL`);
  await db.root(
    `CREATE USER 'certapp'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}' REQUIRE SUBJECT '/CN=gateway-client'`,
  );
  const backend = (tls: Record<string, unknown>, user = 'app') => ({
    primary: { host: '127.0.0.1', port: db.port, user, password: PASSWORD, tls, connectTimeoutMs: 3000 },
    pool: { min: 0, max: 2, acquireTimeoutMs: 3000 },
    reconnect: { attempts: 0 },
    healthCheck: { intervalMs: 60_000 },
  });
  gw = await startGateway({
    clusters: {
      verified: backend({ enabled: true, ca: ca.cert }),
      plaintext: backend({ enabled: false }),
      untrusted: backend({ enabled: true, ca: other.cert }),
      unverified: backend({ enabled: true, verify: false }),
      x509: backend({ enabled: true, ca: ca.cert, cert: client.cert, key: client.key }, 'certapp'),
      x509missing: backend({ enabled: true, ca: ca.cert }, 'certapp'),
    },
  });
});

test.after.always(async () => {
  await gw?.stop();
  await db?.stop();
  ca?.remove();
  other?.remove();
});

async function sessionTls(cluster: string): Promise<{ version: string; user: string }> {
  const out = await query(gw.client, {
    cluster,
    sql: "SELECT VARIABLE_VALUE, CURRENT_USER() FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_VERSION'",
  });
  const row = out.rows[0] as AnyMessage[];
  return { version: row[0].string_value, user: row[1].string_value };
}

async function failure(cluster: string): Promise<{ code: number; reason: string; details: string }> {
  try {
    await sessionTls(cluster);
  } catch (err) {
    const d = errorDetails(err);
    return { code: (err as { code: number }).code, reason: d.reason, details: d.details };
  }
  return { code: Code.OK, reason: '', details: '' };
}

test.serial('verified TLS with the configured CA: the session is encrypted', async (t) => {
  const s = await sessionTls('verified');
  t.regex(s.version, /^TLSv1\.[23]$/);
  t.is(s.user, 'app@127.0.0.1');
});

test.serial('plaintext to a server that requires TLS is refused, with the server saying why', async (t) => {
  const f = await failure('plaintext');
  t.like(f, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }, f.details);
  t.regex(f.details, /secure transport|SSL|Access denied/i);
});

test.serial('a server certificate from an untrusted CA is refused when verifying', async (t) => {
  const f = await failure('untrusted');
  t.is(f.code, Code.UNAVAILABLE, f.details);
  t.is(f.reason, 'BACKEND_UNAVAILABLE');
  t.log(f.details);
  t.regex(f.details, /certificate/i, 'the error says the certificate was the problem');
});

test.serial('verify: false encrypts without checking the certificate', async (t) => {
  t.regex((await sessionTls('unverified')).version, /^TLSv1\.[23]$/);
});

test.serial(
  'a client certificate logs in an account that REQUIRE SUBJECT; without it, access is denied',
  async (t) => {
    t.is((await sessionTls('x509')).user, 'certapp@127.0.0.1');
    const f = await failure('x509missing');
    t.like(f, { code: Code.PERMISSION_DENIED, reason: 'ACCESS_DENIED' }, f.details);
    t.false(f.details.includes(PASSWORD), 'the error never quotes the password');
  },
);

test.serial('the password never reaches the logs', (t) => {
  const all = gw.logs.join('');
  t.true(all.includes('"reason":"BACKEND_UNAVAILABLE"'), 'the failed connections were logged');
  t.false(all.includes(PASSWORD));
});
