/**
 * Strict validation of `clusters`, which convict cannot describe (a map of objects holding lists
 * of objects). Walks the sub-schemas of `cluster-schema.ts`: reports unknown keys and bad values
 * with their full path (`clusters.default.replicas[1].port`), fills defaults (the profile's where
 * they depend on it), then checks rules spanning several keys and resolves relative paths.
 */

import { resolve } from 'node:path';
import { isPlainObject } from './checks.js';
import {
  type BackendSettings,
  type ClusterSettings,
  clusterSchema,
  isEntry,
  type ListEntry,
  type PoolSettings,
  type SubSchema,
  type ValueEntry,
} from './cluster-schema.js';
import type { ConfigIssue } from './config-error.js';
import { ByProfile, type Profile } from './profile.js';

/** Cluster names: used in requests, logs and metric labels. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** What the walk needs: the profile (for profile defaults) and where problems go. */
export interface Context {
  readonly profile: Profile;
  readonly issues: ConfigIssue[];
}

/**
 * Validates the `clusters` map. Problems are appended to `issues`; clusters with problems are left
 * out of the result. Relative file paths resolve against `baseDir`.
 */
export function validateClusters(
  raw: unknown,
  profile: Profile,
  baseDir: string,
  issues: ConfigIssue[],
): Record<string, ClusterSettings> {
  const clusters: Record<string, ClusterSettings> = {};
  if (!isPlainObject(raw)) {
    issues.push({ key: 'clusters', message: 'must be a mapping of cluster names to clusters' });
    return clusters;
  }
  for (const [name, value] of Object.entries(raw)) {
    const path = `clusters.${name}`;
    if (!CLUSTER_NAME.test(name)) {
      issues.push({
        key: path,
        message: 'cluster names must be 1 to 64 letters, digits, _ or -, starting with a letter or digit',
      });
      continue;
    }
    const before = issues.length;
    const settings = validateObject(clusterSchema, value, path, { profile, issues });
    // Cross-key rules only make sense once every key has the right type.
    if (issues.length !== before) continue;
    // The walk above checked every key against clusterSchema, which is typed after ClusterSettings.
    const cluster = finishCluster(settings as unknown as ClusterSettings, value, path, baseDir, issues);
    if (issues.length === before) clusters[name] = cluster;
  }
  return clusters;
}

/**
 * Checks `value` against `schema`: unknown keys, bad values and missing required keys become
 * issues at their full path; defaults fill what is not given.
 */
export function validateObject(
  schema: SubSchema,
  value: unknown,
  path: string,
  ctx: Context,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // An empty YAML section (`pool:` with every key commented out) reads as null: all defaults.
  const input = value ?? {};
  if (!isPlainObject(input)) {
    ctx.issues.push({ key: path, message: 'must be a mapping' });
    return out;
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(schema, key)) ctx.issues.push({ key: `${path}.${key}`, message: 'unknown key' });
  }
  for (const [key, node] of Object.entries(schema)) {
    const keyPath = `${path}.${key}`;
    const given = Object.hasOwn(input, key) ? input[key] : undefined;
    if (!isEntry(node)) {
      out[key] = validateObject(node, given, keyPath, ctx);
    } else if (given === undefined || given === null) {
      if ('required' in node) ctx.issues.push({ key: keyPath, message: 'is required' });
      else out[key] = defaultOf(node, ctx.profile);
    } else if ('object' in node) {
      out[key] = validateObject(node.object, given, keyPath, ctx);
    } else if ('items' in node) {
      out[key] = validateList(node, given, keyPath, ctx);
    } else {
      const problem = node.format(given);
      if (problem !== undefined) ctx.issues.push({ key: keyPath, message: problem });
      out[key] = given;
    }
  }
  return out;
}

function validateList(entry: ListEntry, value: unknown, path: string, ctx: Context): unknown[] {
  if (!Array.isArray(value)) {
    ctx.issues.push({ key: path, message: 'must be a list' });
    return [];
  }
  const items = entry.items;
  return value.map((item: unknown, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof items !== 'function') return validateObject(items, item, itemPath, ctx);
    const problem = items(item);
    if (problem !== undefined) ctx.issues.push({ key: itemPath, message: problem });
    return item;
  });
}

function defaultOf(entry: ValueEntry | ListEntry, profile: Profile): unknown {
  const value = entry.default;
  if (value instanceof ByProfile) return value.resolve(profile);
  return Array.isArray(value) ? [...value] : value;
}

function finishCluster(
  cluster: ClusterSettings,
  raw: unknown,
  path: string,
  baseDir: string,
  issues: ConfigIssue[],
): ClusterSettings {
  const rawPool = isPlainObject(raw) && isPlainObject(raw.pool) ? raw.pool : {};
  const pool = reconcilePool(cluster.pool, 'min' in rawPool, 'max' in rawPool, `${path}.pool`, issues);
  const { reconnect } = cluster;
  if (reconnect.initialDelayMs > reconnect.maxDelayMs) {
    issues.push({ key: `${path}.reconnect.initialDelayMs`, message: 'must not exceed reconnect.maxDelayMs' });
  }
  const primary = finishBackend(cluster.primary, `${path}.primary`, baseDir, issues);
  const replicas = cluster.replicas.map((r, i) =>
    finishBackend(r, `${path}.replicas[${i}]`, baseDir, issues),
  );
  const seen = new Map<string, string>();
  for (const [backend, backendPath] of [
    [primary, `${path}.primary`] as const,
    ...replicas.map((r, i) => [r, `${path}.replicas[${i}]`] as const),
  ]) {
    const other = seen.get(backend.name);
    if (other !== undefined) {
      issues.push({
        key: `${backendPath}.name`,
        message: `"${backend.name}" is already the name of ${other}; give each backend its own name`,
      });
    }
    seen.set(backend.name, backendPath);
  }
  return { ...cluster, pool, primary, replicas };
}

/**
 * Explicit values win over the profile: a profile `min` above an explicit `max` is lowered to it,
 * a profile `max` below an explicit `min` is raised to it. Only two explicit values can conflict.
 */
function reconcilePool(
  pool: PoolSettings,
  explicitMin: boolean,
  explicitMax: boolean,
  path: string,
  issues: ConfigIssue[],
): PoolSettings {
  if (pool.min <= pool.max) return pool;
  if (explicitMin && explicitMax) {
    issues.push({ key: `${path}.min`, message: `must not exceed pool.max (${pool.max})` });
    return pool;
  }
  return explicitMax ? { ...pool, min: pool.max } : { ...pool, max: pool.min };
}

function finishBackend(
  backend: BackendSettings,
  path: string,
  baseDir: string,
  issues: ConfigIssue[],
): BackendSettings {
  const sources = (['password', 'passwordFile', 'passwordEnv'] as const).filter((k) => backend[k] !== '');
  if (sources.length > 1) {
    issues.push({
      key: path,
      message: `set at most one of password, passwordFile and passwordEnv (found ${sources.join(' and ')})`,
    });
  }
  const { tls } = backend;
  if ((tls.cert === '') !== (tls.key === '')) {
    issues.push({
      key: `${path}.tls.${tls.cert === '' ? 'cert' : 'key'}`,
      message: 'tls.cert and tls.key must be set together',
    });
  }
  const file = (p: string): string => (p === '' ? '' : resolve(baseDir, p));
  const host = backend.host.includes(':') ? `[${backend.host}]` : backend.host;
  return {
    ...backend,
    passwordFile: file(backend.passwordFile),
    tls: { ...tls, ca: file(tls.ca), cert: file(tls.cert), key: file(tls.key) },
    name: backend.name === '' ? `${host}:${backend.port}` : backend.name,
  };
}
