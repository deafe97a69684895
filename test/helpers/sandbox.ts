/**
 * The local MariaDB sandbox (`scripts/sandbox.sh`) as integration tests see it: where its nodes
 * listen, how to log in, how to start, stop and kill nodes for failure tests, and `waitFor` to
 * await a state with a deadline instead of sleeping.
 *
 * Node numbers: 0 is the primary, 1 and 2 are the replicas.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createConnection, type QueryResult, type RowDataPacket } from 'mysql2/promise';

/** A sandbox node: 0 is the primary, 1 and 2 are the replicas. */
export type SandboxNode = 0 | 1 | 2;

/** Where the sandbox listens and how to log in to it. */
export interface SandboxInfo {
  /** Address all nodes listen on. */
  readonly host: string;
  /** Primary port. Env `SANDBOX_PRIMARY_PORT`, else `SANDBOX_BASE_PORT`. @default 23306 */
  readonly primaryPort: number;
  /** Replica ports, node 1 then node 2. Env `SANDBOX_REPLICA_PORTS` ("a,b"), else base + 1 and + 2. */
  readonly replicaPorts: readonly number[];
  /** Account the gateway logs in with: SELECT/DML/DDL, temporary tables, PROCESS, replication monitoring. */
  readonly gatewayUser: string;
  /**
   * File holding the gateway password (no trailing newline). Env `SANDBOX_PASSWORD_FILE`, else
   * `gateway.password` in `SANDBOX_DIR`. @default `<repo>/.sandbox/gateway.password`
   */
  readonly passwordFile: string;
  /** Administrative account, empty password, on 127.0.0.1 and localhost. */
  readonly rootUser: string;
  /** Reads the gateway password from `passwordFile`; the file exists once the sandbox has started. */
  gatewayPassword(): string;
  /** Port of one node. */
  port(node: SandboxNode): number;
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long, in ms. @default 10000 */
  readonly timeoutMs?: number;
  /** Pause between checks, in ms. @default 50 */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout error. @default 'condition' */
  readonly message?: string;
}

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const script = join(repoRoot, 'scripts', 'sandbox.sh');

/** The sandbox of this test run, from the environment (see `scripts/sandbox.sh env`) or the defaults. */
export const sandbox: SandboxInfo = readSandboxInfo(process.env);

/** Starts the sandbox, creating it on first use; returns once all replicas have caught up. Idempotent. */
export async function ensureSandbox(): Promise<void> {
  await runScript(['start']);
}

/** Shuts one node down cleanly and waits until its process is gone. Idempotent. */
export async function stopNode(node: SandboxNode): Promise<void> {
  await runScript(['stop-node', String(node)]);
}

/** Starts one node and waits until it answers (a replica: replicating and caught up). Idempotent. */
export async function startNode(node: SandboxNode): Promise<void> {
  await runScript(['start-node', String(node)]);
}

/** SIGKILLs one node, as in a crash, and waits until its process is gone. */
export async function killNode(node: SandboxNode): Promise<void> {
  await runScript(['kill-node', String(node)]);
}

/**
 * Polls `condition` until it returns true, at most every `intervalMs`, and rejects once
 * `timeoutMs` has passed. A condition that throws counts as false; the last error becomes the
 * `cause` of the timeout error. A check that is still pending at the deadline is abandoned.
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 50, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const outcome = await beforeDeadline(Promise.resolve().then(condition), deadline);
      if (outcome === true) {
        return;
      }
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${message}`, {
        cause: lastError,
      });
    }
    await delay(Math.min(intervalMs, remainingMs));
  }
}

/**
 * Runs one statement as root on the node at `port` over a connection of its own, and returns
 * the result: rows by default, pass `ResultSetHeader` as `T` for writes.
 */
export async function rootQuery<T extends QueryResult = RowDataPacket[]>(
  port: number,
  sql: string,
  params: readonly unknown[] = [],
): Promise<T> {
  const connection = await createConnection({
    host: sandbox.host,
    port,
    user: sandbox.rootUser,
    password: '',
    connectTimeout: 5_000,
  });
  try {
    const [result] = await connection.query<T>(sql, [...params]);
    return result;
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

function readSandboxInfo(env: NodeJS.ProcessEnv): SandboxInfo {
  const basePort = parsePort(env.SANDBOX_BASE_PORT ?? '23306', 'SANDBOX_BASE_PORT');
  const primaryPort =
    env.SANDBOX_PRIMARY_PORT === undefined
      ? basePort
      : parsePort(env.SANDBOX_PRIMARY_PORT, 'SANDBOX_PRIMARY_PORT');
  const replicaPorts =
    env.SANDBOX_REPLICA_PORTS === undefined
      ? [basePort + 1, basePort + 2]
      : env.SANDBOX_REPLICA_PORTS.split(',').map((port) => parsePort(port.trim(), 'SANDBOX_REPLICA_PORTS'));
  if (replicaPorts.length !== 2) {
    throw new Error(`SANDBOX_REPLICA_PORTS must list two ports, got '${env.SANDBOX_REPLICA_PORTS}'`);
  }
  const dir = resolve(env.SANDBOX_DIR ?? join(repoRoot, '.sandbox'));
  const passwordFile = env.SANDBOX_PASSWORD_FILE ?? join(dir, 'gateway.password');
  const ports = [primaryPort, ...replicaPorts];
  return Object.freeze({
    host: '127.0.0.1',
    primaryPort,
    replicaPorts: Object.freeze(replicaPorts),
    gatewayUser: 'gateway',
    passwordFile,
    rootUser: 'root',
    gatewayPassword: () => readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, ''),
    port: (node: SandboxNode) => ports[node]!,
  });
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port, got '${value}'`);
  }
  return port;
}

/** The nearest ancestor holding `scripts/sandbox.sh`: works from `test/helpers` and `dist/test/helpers`. */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'sandbox.sh'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`scripts/sandbox.sh not found above ${from}`);
    }
  }
}

/** Runs `scripts/sandbox.sh` with the test's environment; rejects with its stderr on failure. */
function runScript(args: readonly string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // The script detaches the servers' stdio, so 'close' does not wait for the servers.
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolvePromise();
        return;
      }
      const status = signal === null ? `exit code ${code}` : `signal ${signal}`;
      const output = Buffer.concat(stderr).toString('utf8').trim();
      reject(new Error(`scripts/sandbox.sh ${args.join(' ')} failed (${status}):\n${output}`));
    });
  });
}

/** Settles like `promise`, or rejects once `deadline` (epoch ms) passes first. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('check still pending at the deadline')), deadline - Date.now());
  });
  // An abandoned check may still fail later; that must not become an unhandled rejection.
  promise.catch(() => {});
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Statements of the gateway user still running on the primary whose text contains `marker`. */
export async function runningStatements(marker: string): Promise<number> {
  const rows = await rootQuery(
    sandbox.primaryPort,
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE CONCAT('%', ?, '%') AND COMMAND <> 'Sleep'",
    [sandbox.gatewayUser, marker],
  );
  return Number((rows as { n: number }[])[0]?.n);
}
