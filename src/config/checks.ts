/**
 * Value checks shared by the convict schema (through the `gateway-*` formats) and the cluster
 * sub-schemas. A check returns `undefined` for a good value, else a message that names what was
 * expected and never echoes the value (it may be a secret).
 */

/** Returns a problem description, or `undefined` when `value` is acceptable. */
export type Check = (value: unknown) => string | undefined;

/** Largest delay Node timers honour (2^31 - 1 ms, about 24.8 days); larger ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Largest size gRPC accepts for message limits (int32). */
export const MAX_INT32 = 2_147_483_647;

/** Integer in `[min, max]`. */
export function integer(min: number, max: number): Check {
  return (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `must be an integer between ${min} and ${max}`;
}

/** Finite number in `[min, max]`. */
export function decimal(min: number, max: number): Check {
  return (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
      ? undefined
      : `must be a number between ${min} and ${max}`;
}

/** `true` or `false`. */
export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');

/** Any string, possibly empty. */
export const anyString: Check = (v) => (typeof v === 'string' ? undefined : mustBeString(v));

/** A non-empty string without whitespace (host names, user names). */
export const token: Check = (v) => {
  if (typeof v !== 'string') return mustBeString(v);
  if (v === '') return 'must not be empty';
  return /\s/.test(v) ? 'must not contain whitespace' : undefined;
};

/** A non-empty string. */
export const nonEmptyString: Check = (v) => {
  if (typeof v !== 'string') return mustBeString(v);
  return v.trim() === '' ? 'must not be empty' : undefined;
};

/** A string matching `pattern` (or empty, when `allowEmpty`). */
export function matching(pattern: RegExp, what: string, allowEmpty = false): Check {
  return (v) => {
    if (typeof v !== 'string') return mustBeString(v);
    if (v === '' && allowEmpty) return undefined;
    return pattern.test(v) ? undefined : `must be ${what}`;
  };
}

/** One of `values` (exact, case-sensitive). */
export function oneOf(values: readonly string[]): Check {
  return (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
}

/** A plain object (mapping) whose values are all strings. */
export const stringMap: Check = (v) => {
  if (!isPlainObject(v)) return 'must be a mapping of names to strings';
  const bad = Object.keys(v).find((k) => typeof v[k] !== 'string');
  return bad === undefined ? undefined : `${JSON.stringify(bad)} must map to a string`;
};

/** `''` (disabled) or an http(s) URL without credentials. */
export const endpointUrl: Check = (v) => {
  if (typeof v !== 'string') return mustBeString(v);
  if (v === '') return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'must be an http:// or https:// URL, or empty';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  return undefined;
};

/**
 * A MySQL `sql_mode` value: comma-separated mode names, or `''`. `NO_BACKSLASH_ESCAPES` is refused:
 * the gateway escapes parameter values for the text protocol with backslashes, and under that mode
 * the server would read each backslash as a literal character.
 */
export const sqlMode: Check = (v) => {
  if (typeof v !== 'string') return mustBeString(v);
  if (v === '') return undefined;
  if (!/^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$/.test(v)) {
    return 'must be a comma-separated list of SQL mode names without spaces, or empty';
  }
  if (v.split(',').some((mode) => mode.toUpperCase() === 'NO_BACKSLASH_ESCAPES')) {
    return (
      'must not contain NO_BACKSLASH_ESCAPES: the gateway escapes parameters for the text protocol ' +
      'with backslashes, which this mode turns into literal characters'
    );
  }
  return undefined;
};

/** `true` for `{...}` objects (not arrays, not null, not class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function mustBeString(v: unknown): string {
  // YAML reads `password: 123456` as a number; say how to fix it without echoing the value.
  return typeof v === 'number' || typeof v === 'boolean'
    ? 'must be a string (quote it in YAML)'
    : 'must be a string';
}
