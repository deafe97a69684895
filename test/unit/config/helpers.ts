import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import {
  ConfigError,
  type ConfigIssue,
  type LoadConfigOptions,
  loadConfig,
} from '../../../src/config/index.js';

/** A fresh temporary directory, removed after the test. */
export async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (path relative to `dir` -> content) and returns `dir`. */
export async function writeFiles(dir: string, files: Readonly<Record<string, string>>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** Loads with nothing from the real process: no argv, an empty environment, a cwd that does not exist. */
export function load(options: LoadConfigOptions = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ argv: [], env: {}, cwd: '/nonexistent-cwd', ...options });
}

/** Loads `config` written as JSON to a temporary `config.json` (plus `files` next to it). */
export async function loadObject(
  t: ExecutionContext,
  config: unknown,
  options: LoadConfigOptions & { files?: Record<string, string> } = {},
): ReturnType<typeof loadConfig> {
  const dir = await writeFiles(await tempDir(t), { 'config.json': JSON.stringify(config), ...options.files });
  return load({ ...options, argv: ['--config', join(dir, 'config.json')] });
}

/** The smallest valid cluster. */
export const minimalCluster = { primary: { host: 'db.internal', user: 'gateway' } } as const;

/** Asserts the promise rejects with a ConfigError and returns it. */
export async function configError(t: ExecutionContext, promise: Promise<unknown>): Promise<ConfigError> {
  const error = await t.throwsAsync(promise, { instanceOf: ConfigError });
  if (error === undefined) throw new Error('no ConfigError');
  return error;
}

/** The issue reported for `key`, failing the test when there is none. */
export function issueAt(t: ExecutionContext, error: ConfigError, key: string): ConfigIssue {
  const issue = error.issues.find((i) => i.key === key);
  t.truthy(issue, `no issue at ${key}; got ${JSON.stringify(error.issues)}`);
  return issue ?? { key, message: '' };
}

/** A declared key, seen from a test: the fields of `keys.ts` declarations, all optional. */
export interface DeclaredKey {
  readonly doc?: unknown;
  readonly env?: string;
  readonly default?: unknown;
  readonly required?: true;
  readonly format?: { readonly check: (v: unknown) => string | undefined; readonly coerce?: unknown };
  readonly object?: object;
  readonly items?: object;
  readonly entries?: object;
}

/** Every key of a schema with its path under `prefix`: nodes with a `doc` are keys, others sections. */
export function* declaredKeys(schema: object, prefix = ''): Generator<[string, DeclaredKey]> {
  for (const [name, node] of Object.entries(schema) as [string, DeclaredKey][]) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (typeof node.doc === 'string') yield [path, node];
    else yield* declaredKeys(node, path);
  }
}
