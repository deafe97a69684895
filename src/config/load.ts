/**
 * `loadConfig`: file (`--config FILE` or `GATEWAY_CONFIG`, YAML or JSON), then the environment,
 * then profile defaults for anything unset, validated in one walk over the declarations of
 * `schema.ts` (see `validate.ts`), then rules spanning keys, then secrets. The result is
 * deep-frozen and its passwords are {@link Secret}s.
 *
 * Only this module reads `process.env` (and `process.argv`, `process.cwd()`), and only as defaults.
 */

import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { BackendConfig, BackendSettings, ClusterConfig, ClusterSettings } from './cluster-schema.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { isPlainObject } from './formats.js';
import { checkPrincipals } from './principal-rules.js';
import { PROFILES, type Profile } from './profile.js';
import { type GatewayConfig, type GatewaySettings, gatewaySchema, type ServerTlsConfig } from './schema.js';
import { Secret } from './secret.js';
import { type Env, validate, validateKey } from './validate.js';

/** The loaded configuration: deep-frozen, passwords as {@link Secret}s, file paths absolute. */
export type LoadedConfig = GatewayConfig;

/** Inputs of {@link loadConfig}; each defaults to the current process's. */
export interface LoadConfigOptions {
  /** Command-line arguments after the script name; only `--config FILE` / `--config=FILE` is read. @default process.argv.slice(2) */
  readonly argv?: readonly string[];
  /** Environment variables. @default process.env */
  readonly env?: Env;
  /** Directory a relative `--config`/`GATEWAY_CONFIG` path resolves against. @default process.cwd() */
  readonly cwd?: string;
}

/** Where the configuration file came from. */
interface ConfigSource {
  readonly path: string;
  /** `--config` or `GATEWAY_CONFIG`: the key problems with the file itself are reported under. */
  readonly origin: string;
}

/**
 * Loads, validates and freezes the configuration.
 *
 * @throws ConfigError listing every problem, each with its key path; nothing secret in it.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const source = findConfigFile(options.argv ?? process.argv.slice(2), env, cwd);
  const file = source === undefined ? {} : await readConfigFile(source);

  // Paths in GATEWAY_CLUSTERS are the environment's: they resolve against the working directory.
  const baseDir = source === undefined || env.GATEWAY_CLUSTERS !== undefined ? cwd : dirname(source.path);
  // The profile picks defaults all over the tree, so it is read first; the walk reports its problems.
  const profile = readProfile(file, env, baseDir);
  const issues: ConfigIssue[] = [];
  // The walk checks every key against gatewaySchema, which is typed after GatewaySettings.
  const settings = validate(gatewaySchema, file, '', {
    env,
    profile,
    baseDir,
    issues,
  }) as unknown as GatewaySettings;
  // Rules spanning keys only make sense once those keys have the right type; clusters and
  // principals with problems were left out of the walk's result.
  if (issues.every((i) => isUnder(i.key, 'clusters') || isUnder(i.key, 'auth.principals'))) {
    checkTopLevelRules(settings, issues);
  }
  checkPrincipals(settings.auth.principals, Object.keys(settings.clusters), (key, message) =>
    issues.push({ key, message }),
  );
  // The server's TLS files are only looked at once the server keys are well-typed.
  if (issues.some((i) => isUnder(i.key, 'server'))) throw new ConfigError(issues);
  const server = { ...settings.server, tls: await resolveServerTls(settings.server.tls, baseDir, issues) };
  if (issues.length > 0) throw new ConfigError(issues);

  const loaded: Record<string, ClusterConfig> = {};
  for (const [name, cluster] of Object.entries(settings.clusters)) {
    loaded[name] = await resolveCluster(cluster, `clusters.${name}`, env, issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const auth = {
    ...settings.auth,
    principals: Object.fromEntries(
      Object.entries(settings.auth.principals).map(([name, p]) => [
        name,
        { ...p, tokenSha256: p.tokenSha256.map((digest) => new Secret(digest)) },
      ]),
    ),
  };
  return deepFreeze({ ...settings, server, auth, clusters: loaded });
}

function readProfile(file: Record<string, unknown>, env: Env, baseDir: string): Profile {
  const value = validateKey(gatewaySchema.profile, file.profile, 'profile', {
    env,
    profile: 'development',
    baseDir,
    issues: [],
  });
  return PROFILES.find((p) => p === value) ?? 'development';
}

function isUnder(key: string, path: string): boolean {
  return key === path || key.startsWith(`${path}.`);
}

/** Rules spanning several top-level keys. */
function checkTopLevelRules(s: GatewaySettings, issues: ConfigIssue[]): void {
  if (s.limits.defaultRowsPerBatch > s.limits.maxRowsPerBatch) {
    issues.push({ key: 'limits.defaultRowsPerBatch', message: 'must not exceed limits.maxRowsPerBatch' });
  }
  if (s.limits.maxBatchBytes > s.server.maxSendMessageBytes) {
    issues.push({ key: 'limits.maxBatchBytes', message: 'must not exceed server.maxSendMessageBytes' });
  }
  if (s.limits.maxBatchResponseBytes > s.server.maxSendMessageBytes) {
    issues.push({
      key: 'limits.maxBatchResponseBytes',
      message: 'must not exceed server.maxSendMessageBytes',
    });
  }
  if (s.transactions.idleTimeoutMs > s.transactions.maxIdleTimeoutMs) {
    issues.push({
      key: 'transactions.idleTimeoutMs',
      message: 'must not exceed transactions.maxIdleTimeoutMs',
    });
  }
  if (s.admin.port > 0 && s.admin.port === s.server.port && s.admin.host === s.server.host) {
    issues.push({ key: 'admin.port', message: 'must differ from server.port' });
  }
}

function findConfigFile(argv: readonly string[], env: Env, cwd: string): ConfigSource | undefined {
  let fromArgs: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (arg === '--config') {
      fromArgs = argv[++i];
      if (fromArgs === undefined || fromArgs === '' || fromArgs.startsWith('-')) {
        throw ConfigError.at('--config', 'needs a file name: --config FILE');
      }
    } else if (arg?.startsWith('--config=')) {
      fromArgs = arg.slice('--config='.length);
      if (fromArgs === '') throw ConfigError.at('--config', 'needs a file name: --config=FILE');
    }
  }
  if (fromArgs !== undefined) return { path: resolve(cwd, fromArgs), origin: '--config' };
  const fromEnv = env.GATEWAY_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '')
    return { path: resolve(cwd, fromEnv), origin: 'GATEWAY_CONFIG' };
  return undefined;
}

async function readConfigFile(source: ConfigSource): Promise<Record<string, unknown>> {
  const { path, origin } = source;
  const ext = extname(path).toLowerCase();
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') {
    throw ConfigError.at(origin, `${path}: unsupported file type, use .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw ConfigError.at(origin, `cannot read ${path} (${errorCode(error)})`);
  }
  const kind = ext === '.json' ? 'JSON' : 'YAML';
  // JSON is parsed as YAML with the JSON schema, which keeps JSON's scalar rules. YAML gets `<<`
  // merge keys, handy to share backend settings between clusters.
  const doc = parseDocument(text, ext === '.json' ? { schema: 'json' } : { merge: true });
  const parseError = doc.errors[0];
  if (parseError !== undefined) {
    // The parser's message quotes the offending line, which may be a password: keep position and code.
    const at = parseError.linePos?.[0];
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
    throw ConfigError.at(origin, `${path}: invalid ${kind}${where} (${parseError.code})`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw ConfigError.at(origin, `${path}: invalid ${kind} (too many aliases)`);
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw ConfigError.at(origin, `${path}: must hold a mapping at the top level`);
  return value;
}

/**
 * Makes the server's TLS files absolute (relative to the config file) and checks they can be read
 * and come as a pair; mutual TLS needs server TLS.
 */
async function resolveServerTls(
  tls: ServerTlsConfig,
  baseDir: string,
  issues: ConfigIssue[],
): Promise<ServerTlsConfig> {
  const out = {
    cert: tls.cert === '' ? '' : resolve(baseDir, tls.cert),
    key: tls.key === '' ? '' : resolve(baseDir, tls.key),
    clientCa: tls.clientCa === '' ? '' : resolve(baseDir, tls.clientCa),
  };
  if ((out.cert === '') !== (out.key === '')) {
    issues.push({
      key: `server.tls.${out.cert === '' ? 'cert' : 'key'}`,
      message: 'server.tls.cert and server.tls.key must be set together',
    });
  }
  if (out.clientCa !== '' && out.cert === '') {
    issues.push({
      key: 'server.tls.clientCa',
      message: 'mutual TLS needs server.tls.cert and server.tls.key',
    });
  }
  await checkReadable(out, ['cert', 'key', 'clientCa'], 'server.tls', issues);
  return out;
}

/** Reports each non-empty file path of `files` (at `files[key]`) that cannot be read, under `path.key`. */
async function checkReadable<K extends string>(
  files: Readonly<Record<K, string>>,
  keys: readonly K[],
  path: string,
  issues: ConfigIssue[],
): Promise<void> {
  for (const key of keys) {
    const file = files[key];
    if (file === '') continue;
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      issues.push({ key: `${path}.${key}`, message: `cannot read ${file} (${errorCode(error)})` });
    }
  }
}

async function resolveCluster(
  cluster: ClusterSettings,
  path: string,
  env: Env,
  issues: ConfigIssue[],
): Promise<ClusterConfig> {
  const primary = await resolveBackend(cluster.primary, `${path}.primary`, env, issues);
  const replicas: BackendConfig[] = [];
  for (const [i, replica] of cluster.replicas.entries()) {
    replicas.push(await resolveBackend(replica, `${path}.replicas[${i}]`, env, issues));
  }
  return { ...cluster, primary, replicas };
}

async function resolveBackend(
  backend: BackendSettings,
  path: string,
  env: Env,
  issues: ConfigIssue[],
): Promise<BackendConfig> {
  if (backend.tls.enabled) await checkReadable(backend.tls, ['ca', 'cert', 'key'], `${path}.tls`, issues);
  return { ...backend, password: await resolvePassword(backend, path, env, issues) };
}

async function resolvePassword(
  backend: BackendSettings,
  path: string,
  env: Env,
  issues: ConfigIssue[],
): Promise<Secret> {
  if (backend.passwordFile !== '') {
    try {
      const text = await readFile(backend.passwordFile, 'utf8');
      return new Secret(text.replace(/\r?\n$/, ''));
    } catch (error) {
      // The error code and path only: never the content.
      issues.push({
        key: `${path}.passwordFile`,
        message: `cannot read ${backend.passwordFile} (${errorCode(error)})`,
      });
      return new Secret('');
    }
  }
  if (backend.passwordEnv !== '') {
    const value = env[backend.passwordEnv];
    if (value === undefined) {
      issues.push({
        key: `${path}.passwordEnv`,
        message: `environment variable ${backend.passwordEnv} is not set`,
      });
      return new Secret('');
    }
    return new Secret(value);
  }
  return new Secret(backend.password);
}

function errorCode(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : 'unreadable';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
