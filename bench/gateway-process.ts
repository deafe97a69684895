/**
 * Benchmark plumbing: the gateway as a child process (so its CPU time and peak RSS can be read
 * from /proc apart from the load generator's), a minimal gRPC client, and latency statistics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { hashToken, newToken } from '../src/auth/tokens.js';
import { stubOptions } from '../test/integration/helpers/client.js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from '../src/wire/proto.js';

// biome-ignore lint/suspicious/noExplicitAny: dynamic stubs
export type AnyMessage = any;

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A running gateway process. */
export interface GatewayProcess {
  readonly port: number;
  readonly pid: number;
  /** utime + stime of the process so far, in microseconds. */
  cpuMicros(): number;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** Log lines that report a failed call. */
  failedCalls(): number;
  stop(): Promise<void>;
}

/** Starts `node dist/src/main.js` on a config file; resolves when it serves. */
export function startGatewayProcess(
  configFile: string,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  return startServerProcess([MAIN, '--config', configFile], env);
}

/**
 * Starts bench/bare-server.js, the floor of the gateway's stack (grpc-js, proto-loader, a mysql2
 * pool), on the sandbox primary; resolves when it serves.
 */
export function startBareServer(opts: {
  port: number;
  user: string;
  passwordFile: string;
  poolMax: number;
}): Promise<GatewayProcess> {
  return startServerProcess([BARE, String(opts.port), opts.user, opts.passwordFile, String(opts.poolMax)]);
}

/**
 * Starts bench/bare-server.js as grpc-js alone: one pre-encoded answer per call, or (`echo3`) a
 * point select's three messages for Query; resolves when it serves.
 */
export function startEchoServer(mode: 'echo' | 'echo3' = 'echo'): Promise<GatewayProcess> {
  return startServerProcess([BARE, mode]);
}

/** Starts `node <args>`, a server that logs `"address":"127.0.0.1:<port>"` once it serves. */
function startServerProcess(args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let failed = 0;
    let resolved = false;
    child.stdout?.on('data', (d: Buffer) => {
      const text = String(d);
      failed += text.split('"msg":"call failed"').length - 1;
      if (resolved) return;
      out += text;
      const m = out.match(/"address":"127\.0\.0\.1:(\d+)"/);
      if (m && child.pid !== undefined) {
        resolved = true;
        const pid = child.pid;
        resolve({
          port: Number(m[1]),
          pid,
          cpuMicros: () => {
            const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
            return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
          },
          peakRssMb: () => {
            const m2 = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
            return Number(m2?.[1] ?? 0) / 1024;
          },
          failedCalls: () => failed,
          stop: () =>
            new Promise<void>((res) => {
              child.once('exit', () => res());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += String(d);
    });
    child.once('exit', (code) => {
      if (!resolved) reject(new Error(`server exited (${code}) before serving:\n${out}`));
    });
  });
}

/** Writes a gateway config for the sandbox primary. */
export function writeConfig(
  dir: string,
  opts: {
    port: number;
    user: string;
    passwordFile: string;
    /** Pool size (min 16 or less); 0 keeps the profile's own pool defaults. */
    poolMax: number;
    telemetry: boolean;
    /** @default 'production' */
    profile?: 'production' | 'development';
  },
): string {
  const profile = opts.profile ?? 'production';
  const file = join(dir, `gateway-${profile}-${opts.telemetry ? 'otel' : 'plain'}-${opts.poolMax}.json`);
  const pool =
    opts.poolMax > 0
      ? { min: Math.min(16, opts.poolMax), max: opts.poolMax, maxWaiting: 5000, acquireTimeoutMs: 5000 }
      : undefined;
  writeFileSync(
    file,
    JSON.stringify({
      profile,
      server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 2000 },
      admin: { port: -1 },
      log: { level: 'info' },
      telemetry: { enabled: opts.telemetry, samplingRatio: 1 },
      limits: { maxRowsPerBatch: 10000 },
      // Authentication on, as in production: its cost is part of what is measured.
      auth: benchAuth(),
      clusters: {
        default: {
          primary: {
            host: '127.0.0.1',
            port: opts.port,
            user: opts.user,
            passwordFile: opts.passwordFile,
            database: 'gwtest',
          },
          ...(pool ? { pool } : {}),
        },
      },
    }),
  );
  return file;
}

/** The bearer token every benchmark client sends (made per run; its digest goes in the config). */
export const BENCH_TOKEN = newToken();

/** The `auth` section of benchmark configs: one principal, the benchmark's token. */
export function benchAuth(): Record<string, unknown> {
  return { enabled: true, principals: { bench: { tokenSha256: [hashToken(BENCH_TOKEN)] } } };
}

/** The generated stub constructor's instance, sending {@link BENCH_TOKEN}. */
export function gatewayClient(port: number): AnyMessage {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as AnyMessage;
  return new pkg.mysqlgateway.v1.Gateway(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    ...stubOptions({ token: BENCH_TOKEN }),
  });
}

/** A gRPC request body as h2load sends it: one uncompressed length-prefixed message. */
export function grpcFrame(method: 'Query' | 'Execute', message: AnyMessage): Buffer {
  const defs = loadSync(PROTO_FILES, LOADER_OPTIONS) as AnyMessage;
  const serialize = defs['mysqlgateway.v1.Gateway'][method].requestSerialize as (m: AnyMessage) => Buffer;
  const body = serialize(message);
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
