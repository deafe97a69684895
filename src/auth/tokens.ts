/**
 * Bearer tokens: how they are made, hashed and read from gRPC metadata. Tokens are 256 random bits,
 * so a single SHA-256 (no salt, no stretching) is enough to store them: there is nothing to guess.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Prefix of tokens made by {@link newToken}, so leaked ones are easy to grep for. */
export const TOKEN_PREFIX = 'mgw_';

/** A fresh random token. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 digest (lowercase hex) of `token`, as `auth.principals.<name>.tokenSha256` holds it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What the `authorization` metadata held. */
export type BearerHeader =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'token'; readonly token: string };

/** Reads `authorization: Bearer <token>` (scheme case-insensitive); several values are malformed. */
export function bearerOf(values: readonly unknown[]): BearerHeader {
  if (values.length === 0) return { kind: 'none' };
  const value = values[0];
  if (values.length > 1 || typeof value !== 'string') return { kind: 'malformed' };
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(value);
  return match?.[1] ? { kind: 'token', token: match[1] } : { kind: 'malformed' };
}
