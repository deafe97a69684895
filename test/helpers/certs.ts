/**
 * A throwaway PKI for TLS tests, made with the openssl command: a CA, and leaf certificates for
 * servers (SAN IP:127.0.0.1 and DNS:localhost) and clients (CN and SANs of the test's choosing).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files and as PEM. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
}

/** A certificate authority that issues leaf certificates into its directory. */
export interface TestCa extends CertFiles {
  readonly dir: string;
  /** Issues a leaf certificate: `cn` as subject CN, `sans` as subjectAltName (e.g. `URI:spiffe://x`). */
  issue(name: string, opts: { cn: string; sans?: readonly string[]; usage: 'server' | 'client' }): CertFiles;
  /** Removes the directory. */
  remove(): void;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function files(cert: string, key: string): CertFiles {
  return { cert, key, certPem: readFileSync(cert), keyPem: readFileSync(key) };
}

/** Makes a CA named `name` in a fresh temporary directory. */
export function makeCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'gw-pki-'));
  const caCert = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    dir,
    ...files(caCert, caKey),
    issue(leaf, opts) {
      const key = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const cert = join(dir, `${leaf}.pem`);
      const ext = join(dir, `${leaf}.ext`);
      const sans = opts.sans ?? (opts.usage === 'server' ? ['IP:127.0.0.1', 'DNS:localhost'] : []);
      writeFileSync(
        ext,
        [
          'basicConstraints=CA:FALSE',
          `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
          ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
        ].join('\n'),
      );
      openssl([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        `/CN=${opts.cn}`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        cert,
        '-days',
        '2',
        '-extfile',
        ext,
      ]);
      return files(cert, key);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
