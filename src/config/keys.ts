/**
 * How a configuration key is declared: one style for the whole tree, top level, clusters,
 * backends and principals. Every key has a `doc`, what it accepts (`format`, or the schema of the
 * objects it holds), its `default` (or `required`), and `env`, the environment variable that
 * overrides the file, where it has one. `validate.ts` walks these declarations, `reference.ts`
 * renders them into the configuration reference.
 *
 * The shape is convict's (`doc`, `format`, `default`, `env`), extended with what convict cannot
 * describe: required keys, lists of objects (`replicas`) and mappings of named objects
 * (`clusters`, `auth.principals`).
 */

import type { Format } from './formats.js';
import type { ByProfile } from './profile.js';

/** A key holding one value. */
export interface ValueKey<T = unknown> {
  readonly doc: string;
  readonly format: Format;
  /** The default; a {@link ByProfile} when it depends on the profile. Absent when `required`. */
  readonly default?: T | ByProfile<T>;
  /** Set: the key must be given. */
  readonly required?: true;
  /** Environment variable that overrides the file, read with `format.coerce`. */
  readonly env?: string;
}

/** A key holding an object of another schema, e.g. a cluster's `primary` backend. */
export interface ObjectKey {
  readonly doc: string;
  readonly required: true;
  readonly object: Schema;
}

/** A key holding a list: of values (`items` a format) or of objects (`items` a schema). */
export interface ListKey {
  readonly doc: string;
  readonly default: readonly unknown[];
  readonly items: Format | Schema;
}

/**
 * A key holding a mapping of names to objects of one schema (`clusters`, `auth.principals`).
 * Names are 1 to 64 letters, digits, `_` or `-`, starting with a letter or digit: they appear in
 * requests, logs and metric labels. In the environment, the whole mapping as JSON.
 */
export interface MapKey<T = unknown> {
  readonly doc: string;
  readonly default: Readonly<Record<string, never>>;
  readonly env?: string;
  /** What an entry is called in messages (`cluster`, `principal`). */
  readonly noun: string;
  /** The keys of each entry. */
  readonly entries: Schema;
  /**
   * Rules spanning several keys of one entry, run once each of its keys passed its own check;
   * returns the entry as loaded. `given` is the entry as written.
   */
  finish?(entry: T, given: unknown, path: string, ctx: KeyContext): T;
}

/** What a {@link MapKey.finish} rule may use. */
export interface KeyContext {
  /** Directory relative file paths resolve against. */
  readonly baseDir: string;
  /** Reports a problem at `key` (a full path). */
  issue(key: string, message: string): void;
}

/** Any key. */
export type Key = ValueKey | ObjectKey | ListKey | MapKey;

/** A schema: keys, and sections holding more keys. */
export interface Schema {
  readonly [name: string]: Key | Schema;
}

/** Entry names of every {@link MapKey}. */
export const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * A schema whose keys are exactly those of `T`: lists become {@link ListKey}s, mappings of names
 * to objects {@link MapKey}s, the keys named in `Objects` {@link ObjectKey}s, other objects
 * sections, the rest {@link ValueKey}s.
 */
export type SchemaFor<T, Objects extends keyof T = never> = {
  readonly [K in keyof T]-?: K extends Objects ? ObjectKey : KeyFor<T[K]>;
};

type KeyFor<V> = [V] extends [readonly unknown[]]
  ? ListKey
  : [V] extends [object]
    ? string extends keyof V
      ? [V[string & keyof V]] extends [object]
        ? MapKey<V[string & keyof V]>
        : ValueKey<V>
      : SchemaFor<V>
    : ValueKey<V>;

/** `true` for keys, `false` for sections. */
export function isKey(node: Key | Schema): node is Key {
  return typeof node.doc === 'string';
}

/** `true` when a list's items are objects of a schema rather than values of a format. */
export function holdsObjects(items: Format | Schema): items is Schema {
  return typeof items.check !== 'function';
}
