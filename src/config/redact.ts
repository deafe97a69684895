import type { GatewayConfig } from './schema.js';
import { REDACTED, Secret } from './secret.js';

/** `T` as plain data, with every {@link Secret} replaced by `'[REDACTED]'`. */
export type Redacted<T> = T extends Secret
  ? typeof REDACTED
  : T extends readonly (infer U)[]
    ? Redacted<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Redacted<T[K]> }
      : T;

/**
 * A plain, mutable copy of `config` for `--print-config` and startup logs: every secret reads
 * `'[REDACTED]'` (empty ones too, so the output does not tell whether a password is set), while
 * `passwordFile` and `passwordEnv` are shown, they name where a secret is, not the secret.
 */
export function redactedConfig(config: GatewayConfig): Redacted<GatewayConfig> {
  return redact(config) as Redacted<GatewayConfig>;
}

function redact(value: unknown): unknown {
  if (value instanceof Secret) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}
