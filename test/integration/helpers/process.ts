/** Runs the real `mysql-grpc-gateway` command (dist/src/main.js) as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandbox } from '../../helpers/sandbox.js';

/** The compiled entry point, next to this compiled helper. */
export const MAIN = fileURLToPath(new URL('../../../src/main.js', import.meta.url));

/** A gateway process and everything it printed. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Writes a config file for the sandbox and returns its path. */
export function writeSandboxConfig(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-proc-'));
  const file = join(dir, 'gateway.json');
  const backend = (port: number) => ({
    host: sandbox.host,
    port,
    user: sandbox.gatewayUser,
    passwordFile: sandbox.passwordFile,
    database: 'gwtest',
  });
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
      admin: { port: -1 },
      telemetry: { enabled: false },
      auth: { enabled: false },
      clusters: {
        default: { primary: backend(sandbox.primaryPort), replicas: sandbox.replicaPorts.map(backend) },
      },
      ...extra,
    }),
  );
  return file;
}

/** Runs the command to completion (for --print-config, --check-config, --version ...). */
export function runCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the gateway and resolves once it logged that it serves (with the bound port). */
export function startProcess(configFile: string): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_LOG_LEVEL: 'info' },
    });
    let out = '';
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const onData = (d: Buffer) => {
      out += String(d);
      const m = out.match(/"address":"127\.0\.0\.1:(\d+)"/);
      if (m) {
        child.stdout.removeListener('data', onData);
        child.stdout.on('data', (more) => (out += String(more)));
        resolve({ child, port: Number(m[1]), output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += String(d)));
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before serving:\n${out}`)));
  });
}
