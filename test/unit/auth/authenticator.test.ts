import type { PeerCertificate } from 'node:tls';
import test from 'ava';
import { Authenticator, certificateIdentities } from '../../../src/auth/authenticator.js';
import { hashToken } from '../../../src/auth/tokens.js';
import { Secret } from '../../../src/config/index.js';
import type { GatewayError } from '../../../src/errors.js';
import { principalSettings } from './helpers.js';

const principal = principalSettings;

const auth = new Authenticator({
  enabled: true,
  principals: {
    app: principal({ tokenSha256: [new Secret(hashToken('tok-app'))] }),
    reporting: principal({ certIdentities: ['CN=reporting'] }),
    billing: principal({ certIdentities: ['URI:spiffe://corp/billing'] }),
  },
});

const md = (...values: string[]) => ({ get: (key: string) => (key === 'authorization' ? values : []) });
const cert = (cn: string, san?: string) =>
  ({ subject: { CN: cn }, subjectaltname: san }) as unknown as PeerCertificate;

function who(metadata: ReturnType<typeof md>, peerCertificate?: PeerCertificate): string {
  try {
    return auth.authenticate({ metadata, peerCertificate: () => peerCertificate }).name;
  } catch (err) {
    return `${(err as GatewayError).code}:${(err as GatewayError).reason}`;
  }
}

test('a token maps to its principal; a wrong one is BAD_TOKEN, none MISSING_CREDENTIALS', (t) => {
  t.is(who(md('Bearer tok-app')), 'app');
  t.is(who(md('Bearer tok-wrong')), '16:BAD_TOKEN');
  t.is(who(md()), '16:MISSING_CREDENTIALS');
  t.is(who(md('tok-app')), '16:BAD_AUTHORIZATION');
});

test('a certificate maps by CN or by subjectAltName entry', (t) => {
  t.is(who(md(), cert('reporting')), 'reporting');
  t.is(who(md(), cert('pod-7', 'DNS:pod-7.local, URI:spiffe://corp/billing')), 'billing');
  t.is(who(md(), cert('stranger', 'DNS:stranger.local')), '16:UNKNOWN_CLIENT_CERTIFICATE');
});

test('a token, when sent, decides: a wrong token with a good certificate is refused', (t) => {
  t.is(who(md('Bearer nope'), cert('reporting')), '16:BAD_TOKEN');
  t.is(who(md('Bearer tok-app'), cert('reporting')), 'app');
});

test('certificateIdentities lists CN= and each SAN entry', (t) => {
  t.deepEqual(certificateIdentities(cert('a', 'DNS:x, IP Address:127.0.0.1, URI:spiffe://y')), [
    'CN=a',
    'DNS:x',
    'IP Address:127.0.0.1',
    'URI:spiffe://y',
  ]);
});

test('a remembered token still maps to its own principal; wrong tokens stay wrong; certificates are read only without a token', (t) => {
  const own = new Authenticator({
    enabled: true,
    principals: {
      a: principal({ tokenSha256: [new Secret(hashToken('tok-a'))] }),
      b: principal({ tokenSha256: [new Secret(hashToken('tok-b'))], certIdentities: ['CN=b'] }),
    },
  });
  let certReads = 0;
  const call = (token?: string) => {
    try {
      return own.authenticate({
        metadata: md(...(token === undefined ? [] : [`Bearer ${token}`])),
        peerCertificate: () => {
          certReads++;
          return cert('b');
        },
      }).name;
    } catch (err) {
      return (err as GatewayError).reason;
    }
  };
  // Far more distinct tokens than the memory holds, interleaved with the real ones.
  for (let i = 0; i < 3000; i++) {
    t.is(call(i % 2 === 0 ? 'tok-a' : 'tok-b'), i % 2 === 0 ? 'a' : 'b');
    t.is(call(`tok-a${i}`), 'BAD_TOKEN');
  }
  t.is(certReads, 0, 'a call with a token never looks at its certificate');
  t.is(call(), 'b');
  t.is(certReads, 1);
});
