/**
 * Formats: what a configuration key accepts. A format checks a value and, for keys an environment
 * variable can set, reads the variable's text. Every key of the tree, top level, cluster, backend
 * and principal, names one of these in its declaration (see `keys.ts`).
 *
 * A check returns `undefined` for a good value, else the reason, which names what was expected and
 * never echoes the value (it may be a secret); the walker prefixes it with the key's full path.
 */

/** Returns why `value` is not acceptable, or `undefined` when it is. */
export type Check = (value: unknown) => string | undefined;

/** A key's format: its check, and how an environment variable's text becomes a value. */
export interface Format {
  /** Why a value is not acceptable, or `undefined` when it is. */
  readonly check: Check;
  /**
   * Reads an environment variable's text into a value to check; `undefined` ignores the variable.
   * Throws an `Error` whose message says what the text must be, never quoting it. Absent: the
   * text itself.
   */
  readonly coerce?: (text: string) => unknown;
}

/** Largest delay Node timers honour (2^31 - 1 ms, about 24.8 days); larger ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Largest size gRPC accepts for message limits (int32). */
export const MAX_INT32 = 2_147_483_647;

/** Integer in `[min, max]`; from the environment, only well-formed integers (`80abc` is refused). */
export function integer(min: number, max: number): Format {
  return {
    check: (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
        ? undefined
        : `must be an integer between ${min} and ${max}`,
    coerce: (text) => (/^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : text),
  };
}

/** Finite number in `[min, max]`. */
export function decimal(min: number, max: number): Format {
  return {
    check: (v) =>
      typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
        ? undefined
        : `must be a number between ${min} and ${max}`,
    coerce: (text) => (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : text),
  };
}

/** `true` or `false`; from the environment also `1`/`0`, `yes`/`no`, `on`/`off`, any case. */
export const boolean: Format = {
  check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  coerce: (text) => {
    const s = text.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
    if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
    return text;
  },
};

/** Any string, possibly empty. */
export const anyString: Format = { check: (v) => (typeof v === 'string' ? undefined : mustBeString(v)) };

/** A non-empty string without whitespace (host names, user names). */
export const token: Format = {
  check: (v) => {
    if (typeof v !== 'string') return mustBeString(v);
    if (v === '') return 'must not be empty';
    return /\s/.test(v) ? 'must not contain whitespace' : undefined;
  },
};

/** A non-empty string. */
export const nonEmptyString: Format = {
  check: (v) => {
    if (typeof v !== 'string') return mustBeString(v);
    return v.trim() === '' ? 'must not be empty' : undefined;
  },
};

/** A string matching `pattern` (or empty, when `allowEmpty`); the reason reads `must be ${what}`. */
export function matching(pattern: RegExp, what: string, allowEmpty = false): Format {
  return {
    check: (v) => {
      if (typeof v !== 'string') return mustBeString(v);
      if (v === '' && allowEmpty) return undefined;
      return pattern.test(v) ? undefined : `must be ${what}`;
    },
  };
}

/** One of `values` (exact, case-sensitive). */
export function oneOf(values: readonly string[]): Format {
  return {
    check: (v) =>
      typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`,
  };
}

/** A mapping whose values are all strings; JSON in the environment. */
export const stringMap: Format = {
  check: (v) => {
    if (!isPlainObject(v)) return 'must be a mapping of names to strings';
    const bad = Object.keys(v).find((k) => typeof v[k] !== 'string');
    return bad === undefined ? undefined : `${JSON.stringify(bad)} must map to a string`;
  },
  coerce: parseJson,
};

/** `''` (disabled) or an http(s) URL without credentials. */
export const endpointUrl: Format = {
  check: (v) => {
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
  },
};

/**
 * A MySQL `sql_mode` value: comma-separated mode names, or `''`. `NO_BACKSLASH_ESCAPES` is refused:
 * the gateway escapes parameter values for the text protocol with backslashes, and under that mode
 * the server would read each backslash as a literal character.
 */
export const sqlMode: Format = {
  check: (v) => {
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
  },
};

/** Parses an environment variable holding JSON; the error never quotes the text (it may hold passwords). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('must hold valid JSON');
  }
}

/** `true` for `{...}` objects (not arrays, not null, not class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function mustBeString(v: unknown): string {
  if (isPlainObject(v)) return 'must be a single value, not a mapping';
  // YAML reads `password: 123456` as a number; say how to fix it without echoing the value.
  return typeof v === 'number' || typeof v === 'boolean'
    ? 'must be a string (quote it in YAML)'
    : 'must be a string';
}
