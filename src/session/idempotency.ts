/**
 * Idempotency keys, the pure part: what a valid key is, the fingerprint that tells a retry of a
 * request from another request reusing its key, and the statements a key cannot cover. The
 * store (idempotency-store.ts) and the keyed Execute (idempotent-execute.ts) build on these.
 */
import { createHash } from 'node:crypto';
import { errors } from '../errors.js';
import type { StatementInfo } from '../sql/classify.js';
import type { SqlParam } from './commands.js';

/** Longest idempotency key, in bytes (ASCII). */
export const MAX_IDEMPOTENCY_KEY_BYTES = 128;

/** Printable ASCII, space excluded: what a UUID, a ULID or a caller's own id are made of. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Throws INVALID_ARGUMENT `BAD_IDEMPOTENCY_KEY` unless `key` is 1 to
 * {@link MAX_IDEMPOTENCY_KEY_BYTES} printable ASCII characters (no spaces). The message never
 * echoes the key.
 */
export function checkIdempotencyKey(key: string): void {
  if (key.length > MAX_IDEMPOTENCY_KEY_BYTES) {
    throw errors.invalidArgument(
      'BAD_IDEMPOTENCY_KEY',
      `idempotency key is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_BYTES} are allowed`,
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw errors.invalidArgument(
      'BAD_IDEMPOTENCY_KEY',
      'idempotency key must be non-empty printable ASCII without spaces (a UUID, for example)',
    );
  }
}

/** The value kinds in a fixed order, so a param's fingerprint does not depend on key order. */
const VALUE_FIELDS = [
  'null_value',
  'int64_value',
  'uint64_value',
  'double_value',
  'string_value',
  'bytes_value',
] as const;

/** One param as `kind:value`, the way its wire message means it (a Value with no field is NULL). */
function paramText(p: SqlParam): string {
  const v = p as Record<string, unknown>;
  // proto-loader names the set field in `kind`; in-process callers may leave it out.
  const kind = v.kind;
  const fields =
    typeof kind === 'string' && (VALUE_FIELDS as readonly string[]).includes(kind) ? [kind] : VALUE_FIELDS;
  for (const field of fields) {
    const value = v[field];
    if (value === undefined || value === null) continue;
    if (field === 'null_value') return 'null';
    if (Buffer.isBuffer(value) || value instanceof Uint8Array)
      return `bytes:${Buffer.from(value).toString('base64')}`;
    return `${field}:${String(value)}`;
  }
  return 'null';
}

/**
 * A request's fingerprint: SHA-256 (hex) over what makes it the same request: its `kind`
 * ('execute', 'batch' ...), its statements with their params, and its options (as plain JSON
 * values). Each part is length-prefixed, so no two different requests share a text.
 */
export function requestFingerprint(
  kind: string,
  statements: readonly { readonly sql: string; readonly params: readonly SqlParam[] }[],
  options: unknown = null,
): string {
  const h = createHash('sha256');
  const part = (s: string) => {
    h.update(`${Buffer.byteLength(s)}:`);
    h.update(s);
  };
  part(kind);
  part(String(statements.length));
  for (const s of statements) {
    part(s.sql);
    part(String(s.params.length));
    for (const p of s.params) part(paramText(p));
  }
  part(JSON.stringify(options ?? null));
  return h.digest('hex');
}

/**
 * Throws INVALID_ARGUMENT `IDEMPOTENCY_KEY_IMPLICIT_COMMIT` for a statement that commits
 * implicitly (DDL, GRANT, ...): it cannot share a transaction with its key row, so the key could
 * not promise that the record exists if and only if the statement took effect.
 */
export function checkKeyable(info: StatementInfo): void {
  if (info.implicitCommit || info.transactionControl) {
    throw errors.invalidArgument(
      'IDEMPOTENCY_KEY_IMPLICIT_COMMIT',
      `${info.operation || 'this statement'} commits implicitly, so it cannot be recorded with an idempotency key in one transaction: send it without a key`,
    );
  }
}
