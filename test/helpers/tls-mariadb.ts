/**
 * A private MariaDB server that only accepts TLS (`require_secure_transport`), started from the
 * installed mariadbd for backend-TLS tests, with certificates from a {@link TestCa}. It runs on a
 * port of its own and is removed by `stop()`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { CertFiles, TestCa } from './certs.js';
import { waitFor } from './sandbox.js';

/** A running TLS-only MariaDB. */
export interface TlsMariaDb {
  readonly port: number;
  /** Runs SQL as root (over TLS, trusting the test CA). */
  root(sql: string): Promise<unknown>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Initializes and starts the server with `server` as its certificate, signed by `ca`. */
export async function startTlsMariaDb(ca: TestCa, server: CertFiles): Promise<TlsMariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tls-mariadb-'));
  const data = join(dir, 'data');
  mkdirSync(join(dir, 'tmp'));
  execFileSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${data}`,
      `--tmpdir=${join(dir, 'tmp')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    'mariadbd',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${data}`,
      `--tmpdir=${join(dir, 'tmp')}`,
      `--socket=${join(dir, 'mariadbd.sock')}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      `--ssl-ca=${ca.cert}`,
      `--ssl-cert=${server.cert}`,
      `--ssl-key=${server.key}`,
      '--require-secure-transport=ON',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const connect = () =>
    mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      ssl: { ca: ca.certPem, rejectUnauthorized: true },
    });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
      try {
        await (await connect()).end();
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, message: `the TLS MariaDB on port ${port} to accept connections` },
  );
  return {
    port,
    root: async (sql) => {
      const c = await connect();
      try {
        return (await c.query(sql))[0];
      } finally {
        await c.end();
      }
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
