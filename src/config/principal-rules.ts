/**
 * Rules spanning several keys of a principal (each has a credential: the `finish` rule of the
 * `auth.principals` key) and spanning principals and clusters: no token digest or certificate
 * identity names two principals, and every cluster a principal names exists.
 */

import type { KeyContext } from './keys.js';
import type { PrincipalSettings } from './principal-schema.js';

/** Checks one validated principal on its own. */
export function finishPrincipal(
  principal: PrincipalSettings,
  _given: unknown,
  path: string,
  ctx: KeyContext,
): PrincipalSettings {
  if (principal.tokenSha256.length === 0 && principal.certIdentities.length === 0) {
    ctx.issue(path, 'needs at least one credential: tokenSha256 or certIdentities');
  }
  return principal;
}

/** Checks the validated principals against each other and against the loaded cluster names. */
export function checkPrincipals(
  principals: Readonly<Record<string, PrincipalSettings>>,
  clusterNames: readonly string[],
  issue: KeyContext['issue'],
): void {
  const owners = new Map<string, string>();
  for (const [name, p] of Object.entries(principals)) {
    const path = `auth.principals.${name}`;
    for (const [list, key] of [
      [p.tokenSha256, 'tokenSha256'],
      [p.certIdentities, 'certIdentities'],
    ] as const) {
      list.forEach((credential, i) => {
        // Issues name the position, never the digest or identity (digests are not for printing).
        const other = owners.get(`${key}:${credential}`);
        if (other !== undefined && other !== name) {
          issue(`${path}.${key}[${i}]`, `also identifies principal ${other}`);
        }
        owners.set(`${key}:${credential}`, name);
      });
    }
    p.clusters.forEach((cluster, i) => {
      if (cluster !== '*' && !clusterNames.includes(cluster)) {
        issue(`${path}.clusters[${i}]`, `no cluster is named ${cluster}`);
      }
    });
  }
}
