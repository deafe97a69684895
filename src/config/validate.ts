/**
 * The one validator of the configuration tree. It walks the declarations of `keys.ts` over the
 * file's values: the environment overrides the file key by key, unset keys (YAML nulls included)
 * take their defaults (the profile's where they depend on it), and every problem, an unknown key,
 * a missing required key or a value its format refuses, becomes one issue at its full path
 * (`clusters.default.replicas[1].port`) with the format's own reason.
 *
 * Hand-rolled rather than convict: convict cannot describe lists of objects or mappings of named
 * objects, reports all problems as one string (which had to be parsed back with regular
 * expressions), and its formats live in a process-wide registry.
 */

import type { ConfigIssue } from './config-error.js';
import { isPlainObject, parseJson } from './formats.js';
import {
  ENTRY_NAME,
  holdsObjects,
  isKey,
  type Key,
  type KeyContext,
  type ListKey,
  type MapKey,
  type Schema,
  type ValueKey,
} from './keys.js';
import { ByProfile, type Profile } from './profile.js';

/** Environment variables, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What the walk reads besides the values, and where problems go. */
export interface ValidateContext {
  readonly env: Env;
  /** Picks the defaults that depend on the profile. */
  readonly profile: Profile;
  /** Directory relative file paths resolve against (for {@link MapKey.finish} rules). */
  readonly baseDir: string;
  readonly issues: ConfigIssue[];
}

/**
 * Validates `value` against `schema`, returning it with defaults filled in. Problems are appended
 * to `ctx.issues`; the result is only meaningful when there were none. Map entries with problems
 * are left out. `path` is the schema's own key path ('' at the top).
 */
export function validate(
  schema: Schema,
  value: unknown,
  path: string,
  ctx: ValidateContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // An empty YAML section (`pool:` with every key commented out) reads as null: all defaults.
  const input = value ?? {};
  if (!isPlainObject(input)) {
    ctx.issues.push({ key: path, message: 'must be a mapping' });
    // Defaults, so what reads the result stays well-typed; nothing more to report under `path`.
    return validate(schema, {}, path, { ...ctx, issues: [] });
  }
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(schema, name)) ctx.issues.push({ key: join(path, name), message: 'unknown key' });
  }
  for (const [name, node] of Object.entries(schema)) {
    const given = Object.hasOwn(input, name) ? input[name] : undefined;
    out[name] = isKey(node)
      ? validateKey(node, given, join(path, name), ctx)
      : validate(node, given, join(path, name), ctx);
  }
  return out;
}

/**
 * The value of one key: from its environment variable if set, else `given`; its default when
 * neither is set. `undefined` (reported) for a missing required key.
 */
export function validateKey(key: Key, given: unknown, path: string, ctx: ValidateContext): unknown {
  let value = given;
  if ('env' in key && key.env !== undefined) {
    const fromEnv = readEnv(key, key.env, path, ctx);
    // Reported; the default keeps the result well-typed.
    if (fromEnv === UNREADABLE) return 'default' in key ? defaultOf(key.default, ctx.profile) : undefined;
    if (fromEnv !== undefined) value = fromEnv;
  }
  if (value === undefined || value === null) {
    if ('required' in key) ctx.issues.push({ key: path, message: 'is required' });
    else if ('default' in key) return defaultOf(key.default, ctx.profile);
    return undefined;
  }
  if ('object' in key) return validate(key.object, value, path, ctx);
  if ('items' in key) return validateList(key, value, path, ctx);
  if ('entries' in key) return validateMap(key, value, path, ctx);
  const problem = key.format.check(value);
  if (problem !== undefined) ctx.issues.push({ key: path, message: problem });
  return value;
}

const UNREADABLE = Symbol('unreadable');

/** The variable's value; `undefined` when unset or ignored; `UNREADABLE` (reported) when malformed. */
function readEnv(key: ValueKey | MapKey, name: string, path: string, ctx: ValidateContext): unknown {
  const text = ctx.env[name];
  if (text === undefined) return undefined;
  const coerce = 'format' in key ? key.format.coerce : parseJson;
  try {
    return coerce === undefined ? text : coerce(text);
  } catch (error) {
    // Coercions say what the text must be, never quoting it (see Format.coerce).
    ctx.issues.push({
      key: path,
      message: `${name} ${error instanceof Error ? error.message : 'is invalid'}`,
    });
    return UNREADABLE;
  }
}

function validateList(key: ListKey, value: unknown, path: string, ctx: ValidateContext): unknown[] {
  if (!Array.isArray(value)) {
    ctx.issues.push({ key: path, message: 'must be a list' });
    return [];
  }
  const { items } = key;
  return value.map((item: unknown, i) => {
    const itemPath = `${path}[${i}]`;
    if (holdsObjects(items)) return validate(items, item, itemPath, ctx);
    const problem = items.check(item);
    if (problem !== undefined) ctx.issues.push({ key: itemPath, message: problem });
    return item;
  });
}

function validateMap(
  key: MapKey,
  value: unknown,
  path: string,
  ctx: ValidateContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(value)) {
    ctx.issues.push({ key: path, message: `must be a mapping of ${key.noun} names to ${key.noun}s` });
    return out;
  }
  const keyCtx: KeyContext = {
    baseDir: ctx.baseDir,
    issue: (at, message) => ctx.issues.push({ key: at, message }),
  };
  for (const [name, given] of Object.entries(value)) {
    const entryPath = join(path, name);
    if (!ENTRY_NAME.test(name)) {
      ctx.issues.push({
        key: entryPath,
        message: `${key.noun} names must be 1 to 64 letters, digits, _ or -, starting with a letter or digit`,
      });
      continue;
    }
    const before = ctx.issues.length;
    const entry = validate(key.entries, given, entryPath, ctx);
    // Rules spanning keys only make sense once every key has the right type.
    if (ctx.issues.length !== before) continue;
    const finished = key.finish === undefined ? entry : key.finish(entry, given, entryPath, keyCtx);
    if (ctx.issues.length === before) out[name] = finished;
  }
  return out;
}

function defaultOf(value: unknown, profile: Profile): unknown {
  if (value instanceof ByProfile) return value.resolve(profile);
  if (Array.isArray(value)) return [...value];
  return isPlainObject(value) ? { ...value } : value;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
