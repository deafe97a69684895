#!/usr/bin/env node
/**
 * Composition root and command line: load config -> build -> serve -> on SIGTERM/SIGINT close in
 * reverse order. The only module that touches process signals and exit codes.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { hashToken, newToken } from './auth/tokens.js';
import { backendSettings, Gateway } from './gateway.js';
import { ConfigError, type GatewayConfig, loadConfig, redactedConfig } from './config/index.js';
import { Connector } from './backend/connector.js';
import type { DbConnection } from './backend/connection.js';
import { createKeyTableSql, keyTableGrant, keyTableName } from './session/idempotency-store.js';
import { GatewayError } from './errors.js';
import { createLogger, type Logger } from './telemetry/logger.js';

const HELP = `Usage: mysql-grpc-gateway [options]

A gRPC gateway in front of MySQL and MariaDB.

Options:
  --config FILE     configuration file (YAML or JSON); also GATEWAY_CONFIG
  --print-config    print the effective configuration (secrets redacted) and exit
  --check-config    validate the configuration, connect to every backend, report, exit
  --new-token       print a new random bearer token and its SHA-256 digest (for
                    auth.principals.<name>.tokenSha256), and exit
  --hash-token      read a token from standard input, print its SHA-256 digest, and exit
  --version         print the version and exit
  --help            print this help and exit

Environment variables override the file (see the configuration reference in README.md).`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Connects once to every backend and reports; true when all answered. */
/**
 * Creates the cluster's idempotency key table when missing (as the gateway does at start), or
 * says why it cannot: a warning, since the gateway serves without it (keyed calls then fail).
 */
async function checkKeyTable(
  conn: DbConnection,
  cluster: string,
  schema: string,
  tableName: string,
): Promise<void> {
  const table = keyTableName(schema, tableName);
  try {
    await conn.exec(createKeyTableSql(table));
  } catch (err) {
    try {
      await conn.exec(`SELECT 1 FROM ${table} LIMIT 0`);
    } catch {
      const e = GatewayError.from(err);
      process.stdout.write(
        `WARN  ${cluster} idempotency key table ${table} cannot be created (MySQL error ${e.mysqlErrno ?? e.reason}): ` +
          `the account needs ${keyTableGrant(schema)}; keyed Execute and Batch calls will fail\n`,
      );
      return;
    }
  }
  process.stdout.write(`ok    ${cluster} idempotency key table ${table}\n`);
}

async function checkBackends(config: GatewayConfig): Promise<boolean> {
  let ok = true;
  for (const [name, cluster] of Object.entries(config.clusters)) {
    for (const [role, b] of [
      ['primary', cluster.primary] as const,
      ...cluster.replicas.map((r) => ['replica', r] as const),
    ]) {
      const settings = backendSettings(b, cluster);
      const connector = new Connector({ ...settings, reconnect: { ...settings.reconnect, attempts: 1 } });
      try {
        const conn = await connector.openOnce();
        try {
          process.stdout.write(`ok    ${name} ${role} ${settings.name}\n`);
          if (role === 'primary')
            await checkKeyTable(
              conn,
              name,
              cluster.idempotency.schema || b.database,
              cluster.idempotency.table,
            );
        } finally {
          await conn.close();
        }
      } catch (err) {
        ok = false;
        const e = GatewayError.from(err);
        process.stdout.write(`FAIL  ${name} ${role} ${settings.name}: ${e.reason} ${e.message}\n`);
      }
    }
  }
  return ok;
}

/**
 * Sends OpenTelemetry's own warnings and errors (a collector that cannot be reached, an export
 * that failed) to the log. Process-global, hence here in the composition root.
 */
function routeOpenTelemetryDiagnostics(logger: Logger): void {
  const log = (message: string, ...args: unknown[]) =>
    logger.warn(
      {
        component: 'opentelemetry',
        errors: args.filter((a): a is Error => a instanceof Error).map((a) => a.message),
      },
      message,
    );
  diag.setLogger(
    { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      'print-config': { type: 'boolean' },
      'check-config': { type: 'boolean' },
      'new-token': { type: 'boolean' },
      'hash-token': { type: 'boolean' },
      version: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (values['new-token']) {
    const token = newToken();
    process.stdout.write(`token:       ${token}\ntokenSha256: ${hashToken(token)}\n`);
    return 0;
  }
  if (values['hash-token']) {
    // From stdin, never argv: arguments show in `ps` and shell history.
    const token = readFileSync(0, 'utf8').trim();
    if (token === '') {
      process.stderr.write('--hash-token: no token on standard input\n');
      return 2;
    }
    process.stdout.write(`${hashToken(token)}\n`);
    return 0;
  }
  let config: GatewayConfig;
  try {
    config = await loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`invalid configuration:\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (values['print-config']) {
    process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    return 0;
  }
  if (values['check-config']) return (await checkBackends(config)) ? 0 : 1;

  const logger = createLogger({ level: config.log.level });
  routeOpenTelemetryDiagnostics(logger);
  const gateway = await Gateway.create(config, logger, { telemetry: { serviceVersion: version() } });
  logger.info(
    {
      address: `${config.server.host}:${gateway.port}`,
      ...(gateway.adminPort === undefined ? {} : { admin: `${config.admin.host}:${gateway.adminPort}` }),
      clusters: Object.keys(config.clusters),
      profile: config.profile,
    },
    'mysql-grpc-gateway serving',
  );
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      gateway.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ stack: (err as Error).stack }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the loop open after close() would be a leak; do not hang on it.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
