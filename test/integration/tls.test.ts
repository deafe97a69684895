/**
 * Transport security of the gRPC listener, with certificates made by openssl for the test: TLS
 * (plaintext clients cannot talk to it), and mutual TLS where the client certificate is the
 * caller's identity (CN or subjectAltName mapped to a principal), checked through real clients,
 * the package's TypeScript client included.
 */
import { credentials } from '@grpc/grpc-js';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { hashToken, newToken } from '../../src/auth/tokens.js';
import { GatewayClient } from '../../src/client/index.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import {
  type AnyMessage,
  connectClient,
  errorDetails,
  execute,
  type GatewayStub,
  query,
} from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';

let ca: TestCa;
let rogue: TestCa;

test.before(() => {
  ca = makeCa('gateway test CA');
  rogue = makeCa('some other CA');
});

test.after.always(() => {
  ca?.remove();
  rogue?.remove();
});

const select = { sql: 'SELECT 1 AS one', read_preference: 'READ_PREFERENCE_PRIMARY' };

async function outcome(p: Promise<unknown>): Promise<{ code: number; reason: string }> {
  try {
    await p;
    return { code: Code.OK, reason: '' };
  } catch (err) {
    return { code: (err as { code: number }).code, reason: errorDetails(err).reason };
  }
}

test.serial(
  'TLS: a client trusting the CA gets in with its token; a plaintext client cannot talk',
  async (t) => {
    const server = ca.issue('server', { cn: 'gateway', usage: 'server' });
    const token = newToken();
    const gw = await startGateway({
      server: { tls: { cert: server.cert, key: server.key } },
      auth: { enabled: true, principals: { app: { tokenSha256: [hashToken(token)] } } },
    });
    const stubs: GatewayStub[] = [];
    t.teardown(async () => {
      for (const s of stubs) s.close();
      await gw.stop();
    });
    const secure = connectClient(gw.port, { credentials: credentials.createSsl(ca.certPem), token });
    stubs.push(secure);
    t.is((await query(secure, select)).rows.length, 1);

    const plaintext = connectClient(gw.port, { token });
    stubs.push(plaintext);
    t.is(
      (await outcome(query(plaintext, select, { deadlineMs: 3000 }))).code,
      14,
      'plaintext is refused (UNAVAILABLE)',
    );

    const untrusting = connectClient(gw.port, { credentials: credentials.createSsl(rogue.certPem), token });
    stubs.push(untrusting);
    t.is(
      (await outcome(query(untrusting, select, { deadlineMs: 3000 }))).code,
      14,
      'a client not trusting the CA fails',
    );

    // The package's client: TLS credentials and its token option.
    const client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, {
      credentials: credentials.createSsl(ca.certPem),
      token,
    });
    t.teardown(() => client.close());
    const rows = await client.query('SELECT 2 AS two', [], { readPreference: 'PRIMARY' }).all();
    t.deepEqual(rows, [[2]]);
  },
);

test.serial(
  'mutual TLS: the client certificate names the principal; others cannot connect or are refused',
  async (t) => {
    const server = ca.issue('server-mtls', { cn: 'gateway', usage: 'server' });
    const reporting = ca.issue('reporting', { cn: 'reporting', usage: 'client' });
    const spiffe = ca.issue('billing', {
      cn: 'billing-pod-7',
      sans: ['URI:spiffe://corp/ns/billing'],
      usage: 'client',
    });
    const stranger = ca.issue('stranger', { cn: 'stranger', usage: 'client' });
    const forged = rogue.issue('forged', { cn: 'reporting', usage: 'client' });
    const gw = await startGateway({
      server: { tls: { cert: server.cert, key: server.key, clientCa: ca.cert } },
      auth: {
        enabled: true,
        principals: {
          reporting: { certIdentities: ['CN=reporting'], readOnly: true },
          billing: { certIdentities: ['URI:spiffe://corp/ns/billing'] },
        },
      },
    });
    const stubs: GatewayStub[] = [];
    t.teardown(async () => {
      for (const s of stubs) s.close();
      await gw.stop();
    });
    const withCert = (cert?: { keyPem: Buffer; certPem: Buffer }): GatewayStub => {
      const s = connectClient(gw.port, {
        credentials: credentials.createSsl(ca.certPem, cert?.keyPem ?? null, cert?.certPem ?? null),
      });
      stubs.push(s);
      return s;
    };

    const rep = withCert(reporting);
    t.is((await query(rep, select)).rows.length, 1, 'CN=reporting is the reporting principal');
    const write = await outcome(execute(rep, { sql: 'DO 1' }));
    t.deepEqual(
      write,
      { code: Code.PERMISSION_DENIED, reason: 'READ_ONLY_PRINCIPAL' },
      'and reporting is read-only',
    );

    const bill = withCert(spiffe);
    const done: AnyMessage = await execute(bill, { sql: 'DO 1' });
    t.is(done.affected_rows, '0', 'a SPIFFE URI SAN names the billing principal (read-write)');

    t.deepEqual(await outcome(query(withCert(stranger), select)), {
      code: Code.UNAUTHENTICATED,
      reason: 'UNKNOWN_CLIENT_CERTIFICATE',
    });
    t.is(
      (await outcome(query(withCert(), select, { deadlineMs: 3000 }))).code,
      14,
      'no certificate: no connection',
    );
    t.is(
      (await outcome(query(withCert(forged), select, { deadlineMs: 3000 }))).code,
      14,
      'a certificate from another CA with the same CN: no connection',
    );
  },
);
