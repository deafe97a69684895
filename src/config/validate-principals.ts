/**
 * Strict validation of `auth.principals` (a map of objects convict cannot describe), with the
 * walker of validate-clusters.ts, then the rules spanning principals: each has a credential, no
 * token digest or certificate identity names two principals, and every cluster named exists.
 */

import { isPlainObject } from './checks.js';
import type { ConfigIssue } from './config-error.js';
import { PRINCIPAL_NAME, type PrincipalSettings, principalSchema } from './principal-schema.js';
import type { Profile } from './profile.js';
import { validateObject } from './validate-clusters.js';

/**
 * Validates the `auth.principals` map against the configured cluster names. Problems are appended
 * to `issues`; principals with problems are left out of the result.
 */
export function validatePrincipals(
  raw: unknown,
  clusterNames: readonly string[],
  profile: Profile,
  issues: ConfigIssue[],
): Record<string, PrincipalSettings> {
  const principals: Record<string, PrincipalSettings> = {};
  if (!isPlainObject(raw)) {
    issues.push({ key: 'auth.principals', message: 'must be a mapping of principal names to principals' });
    return principals;
  }
  const owners = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    const path = `auth.principals.${name}`;
    if (!PRINCIPAL_NAME.test(name)) {
      issues.push({
        key: path,
        message: 'principal names must be 1 to 64 letters, digits, _ or -, starting with a letter or digit',
      });
      continue;
    }
    const before = issues.length;
    // The walk checks every key against principalSchema, which is typed after PrincipalSettings.
    const p = validateObject(principalSchema, value, path, {
      profile,
      issues,
    }) as unknown as PrincipalSettings;
    if (issues.length !== before) continue;
    if (p.tokenSha256.length === 0 && p.certIdentities.length === 0) {
      issues.push({ key: path, message: 'needs at least one credential: tokenSha256 or certIdentities' });
    }
    for (const [list, key] of [
      [p.tokenSha256, 'tokenSha256'],
      [p.certIdentities, 'certIdentities'],
    ] as const) {
      list.forEach((credential, i) => {
        // Issues name the position, never the digest or identity (digests are not for printing).
        const other = owners.get(`${key}:${credential}`);
        if (other !== undefined && other !== name) {
          issues.push({ key: `${path}.${key}[${i}]`, message: `also identifies principal ${other}` });
        }
        owners.set(`${key}:${credential}`, name);
      });
    }
    p.clusters.forEach((cluster, i) => {
      if (cluster !== '*' && !clusterNames.includes(cluster)) {
        issues.push({ key: `${path}.clusters[${i}]`, message: `no cluster is named ${cluster}` });
      }
    });
    if (issues.length === before) principals[name] = p;
  }
  return principals;
}
