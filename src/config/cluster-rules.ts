/**
 * Rules spanning several keys of one cluster, run once each key passed its own check (the
 * `finish` rule of the `clusters` key): pool bounds against the profile, backoff bounds, one
 * password source per backend, TLS files in pairs, unique backend names. Also makes backend file
 * paths absolute and names backends `host:port` when not named.
 */

import { resolve } from 'node:path';
import type { BackendSettings, ClusterSettings, PoolSettings } from './cluster-schema.js';
import { isPlainObject } from './formats.js';
import type { KeyContext } from './keys.js';

/** Checks and completes one validated cluster; `given` is the cluster as written. */
export function finishCluster(
  cluster: ClusterSettings,
  given: unknown,
  path: string,
  ctx: KeyContext,
): ClusterSettings {
  const givenPool = isPlainObject(given) && isPlainObject(given.pool) ? given.pool : {};
  const pool = reconcilePool(cluster.pool, 'min' in givenPool, 'max' in givenPool, `${path}.pool`, ctx);
  const { reconnect, hedging } = cluster;
  if (reconnect.initialDelayMs > reconnect.maxDelayMs) {
    ctx.issue(`${path}.reconnect.initialDelayMs`, 'must not exceed reconnect.maxDelayMs');
  }
  if (hedging.minDelayMs > hedging.maxDelayMs) {
    ctx.issue(`${path}.hedging.minDelayMs`, 'must not exceed hedging.maxDelayMs');
  }
  const primary = finishBackend(cluster.primary, `${path}.primary`, ctx);
  const replicas = cluster.replicas.map((r, i) => finishBackend(r, `${path}.replicas[${i}]`, ctx));
  const seen = new Map<string, string>();
  for (const [backend, backendPath] of [
    [primary, `${path}.primary`] as const,
    ...replicas.map((r, i) => [r, `${path}.replicas[${i}]`] as const),
  ]) {
    const other = seen.get(backend.name);
    if (other !== undefined) {
      ctx.issue(
        `${backendPath}.name`,
        `"${backend.name}" is already the name of ${other}; give each backend its own name`,
      );
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
  ctx: KeyContext,
): PoolSettings {
  if (pool.min <= pool.max) return pool;
  if (explicitMin && explicitMax) {
    ctx.issue(`${path}.min`, `must not exceed pool.max (${pool.max})`);
    return pool;
  }
  return explicitMax ? { ...pool, min: pool.max } : { ...pool, max: pool.min };
}

function finishBackend(backend: BackendSettings, path: string, ctx: KeyContext): BackendSettings {
  const sources = (['password', 'passwordFile', 'passwordEnv'] as const).filter((k) => backend[k] !== '');
  if (sources.length > 1) {
    ctx.issue(
      path,
      `set at most one of password, passwordFile and passwordEnv (found ${sources.join(' and ')})`,
    );
  }
  const { tls } = backend;
  if ((tls.cert === '') !== (tls.key === '')) {
    ctx.issue(`${path}.tls.${tls.cert === '' ? 'cert' : 'key'}`, 'tls.cert and tls.key must be set together');
  }
  const file = (p: string): string => (p === '' ? '' : resolve(ctx.baseDir, p));
  const host = backend.host.includes(':') ? `[${backend.host}]` : backend.host;
  return {
    ...backend,
    passwordFile: file(backend.passwordFile),
    tls: { ...tls, ca: file(tls.ca), cert: file(tls.cert), key: file(tls.key) },
    name: backend.name === '' ? `${host}:${backend.port}` : backend.name,
  };
}
