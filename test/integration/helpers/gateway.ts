/**
 * Starts a real gateway on 127.0.0.1:0 against the sandbox, through the real config loader,
 * with every log line captured. `stop()` checks that nothing leaked (no leased connection, no
 * open transaction) before closing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/index.js';
import { Gateway, type GatewayOptions } from '../../../src/gateway.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { ensureSandbox, sandbox, waitFor } from '../../helpers/sandbox.js';
import { connectClient, type GatewayStub } from './client.js';

/** A running gateway for a test file. */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly client: GatewayStub;
  readonly port: number;
  /** Every log line written so far. */
  readonly logs: string[];
  /** Fresh client (its own HTTP/2 connection). */
  newClient(): GatewayStub;
  /** Waits until no connection is leased and no transaction is open (fails after 10 s). */
  assertNoLeaks(): Promise<void>;
  stop(): Promise<void>;
}

/** Deep-merges plain objects (arrays and scalars replace). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The sandbox cluster as config; `replicas: false` leaves the replicas out. */
export function sandboxClusterConfig(opts: { replicas?: boolean } = {}): Record<string, unknown> {
  const backend = (port: number) => ({
    host: sandbox.host,
    port,
    user: sandbox.gatewayUser,
    passwordFile: sandbox.passwordFile,
    database: 'gwtest',
  });
  return {
    primary: backend(sandbox.primaryPort),
    replicas: opts.replicas === false ? [] : sandbox.replicaPorts.map(backend),
    pool: { min: 1, max: 8, acquireTimeoutMs: 2000, maxWaiting: 100 },
  };
}

/**
 * Starts a gateway; `overrides` are merged into the generated config file, `options` go to
 * `Gateway.create` (e.g. in-memory telemetry exporters).
 */
export async function startGateway(
  overrides: Record<string, unknown> = {},
  options: GatewayOptions = {},
): Promise<TestGateway> {
  await ensureSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const file = join(dir, 'gateway.json');
  const base = {
    server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 2000 },
    admin: { port: -1 },
    log: { level: 'debug' },
    telemetry: { enabled: false },
    // Tests of authentication turn it on; the rest exercise everything else without credentials.
    auth: { enabled: false },
    clusters: { default: sandboxClusterConfig({ replicas: false }) },
  };
  writeFileSync(file, JSON.stringify(merge(base, overrides)));
  const config = await loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: config.log.level, destination });
  const gateway = await Gateway.create(config, logger, options);
  const clients: GatewayStub[] = [];
  const newClient = () => {
    const c = connectClient(gateway.port);
    clients.push(c);
    return c;
  };
  const client = newClient();
  const assertNoLeaks = async () => {
    await waitFor(
      () =>
        gateway.sessions.counts().active === 0 &&
        gateway.clusters
          .all()
          .every((c) => c.backends.every((b) => b.pool.stats().used === 0 && b.pool.stats().waiting === 0)),
      {
        timeoutMs: 10_000,
        message: `no leases or sessions left (${JSON.stringify(
          gateway.clusters.all().flatMap((c) => c.backends.map((b) => b.pool.stats())),
        )}, sessions ${JSON.stringify(gateway.sessions.counts())})`,
      },
    );
  };
  return {
    gateway,
    client,
    port: gateway.port,
    logs,
    newClient,
    assertNoLeaks,
    stop: async () => {
      for (const c of clients) c.close();
      await gateway.close();
    },
  };
}
