/**
 * Runs the convict part of loading: the file's values, then the environment, validated strictly
 * against `gatewaySchema`. Problems are collected as {@link ConfigIssue}s rather than convict's
 * one multi-line error, and never carry configured values.
 *
 * Mapping-valued keys (`format: Object`: `clusters`, `telemetry.resourceAttributes`) stay out of
 * convict: its validation walks into them by dotted path and breaks on keys holding a dot
 * (`deployment.environment`), and its JSON parsing of their environment variable throws errors
 * quoting the input, passwords included. This module applies their precedence itself (environment
 * JSON, then file, then default) and leaves checking their contents to the caller.
 */

import convict from 'convict';
import { isPlainObject, stringMap } from './checks.js';
import type { ConfigIssue } from './config-error.js';
import { registerFormats } from './convict-formats.js';
import { profileFromNodeEnv } from './profile.js';
import { gatewaySchema, type TopLevelSettings } from './schema.js';

/** Environment variables, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

type SchemaNode = { readonly [key: string]: unknown };

interface MappingKey {
  readonly path: readonly string[];
  readonly env: string;
}

/** The mapping-valued keys of the schema. */
const MAPPING_KEYS: readonly MappingKey[] = [...findMappingKeys(gatewaySchema, [])];

/**
 * Reads everything convict describes. Problems are appended to `issues`; the result is only
 * meaningful when none were. Mapping-valued keys hold whatever was given (unchecked).
 */
export function readTopLevel(
  file: Record<string, unknown>,
  env: Env,
  issues: ConfigIssue[],
): TopLevelSettings {
  registerFormats();
  const before = issues.length;
  const mappings = new Map<MappingKey, unknown>();
  const values = prepareFileValues(gatewaySchema, file, [], mappings, issues);
  const config = convict<TopLevelSettings>(gatewaySchema, {
    env: prepareEnv(env, mappings, issues),
    args: [],
  });
  config.load(values);
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    issues.push(...parseConvictErrors(error instanceof Error ? error.message : String(error)));
  }
  const settings: Record<string, unknown> = config.getProperties();
  for (const [key, value] of mappings) setPath(settings, key.path, value);
  // Every key but the mappings was checked by convict against the schema typed after TopLevelSettings.
  const result = settings as unknown as TopLevelSettings;
  const attributes = stringMap(result.telemetry.resourceAttributes);
  if (attributes !== undefined) issues.push({ key: 'telemetry.resourceAttributes', message: attributes });
  if (issues.length === before) checkRules(result, issues);
  return result;
}

function* findMappingKeys(node: SchemaNode, path: readonly string[]): Generator<MappingKey> {
  for (const [key, child] of Object.entries(node)) {
    if (!isPlainObject(child)) continue;
    if (!('default' in child)) yield* findMappingKeys(child, [...path, key]);
    else if (child.format === Object && typeof child.env === 'string')
      yield { path: [...path, key], env: child.env };
  }
}

/**
 * Reports unknown keys with the path the user wrote (convict would report every leaf under an
 * unknown section), and sections or values of the wrong shape (which make convict report the
 * keys "missing"). Takes mapping-valued keys aside. YAML nulls (`port:` with no value) count as
 * unset.
 */
function prepareFileValues(
  schema: SchemaNode,
  values: Record<string, unknown>,
  path: readonly string[],
  mappings: Map<MappingKey, unknown>,
  issues: ConfigIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const keyPath = [...path, key];
    const node = Object.hasOwn(schema, key) ? schema[key] : undefined;
    const mapping = MAPPING_KEYS.find((m) => m.path.join('.') === keyPath.join('.'));
    if (!isPlainObject(node)) {
      issues.push({ key: keyPath.join('.'), message: 'unknown key' });
    } else if (value === null || value === undefined) {
      // unset: default or environment
    } else if (mapping !== undefined) {
      mappings.set(mapping, value);
    } else if ('default' in node) {
      if (isPlainObject(value))
        issues.push({ key: keyPath.join('.'), message: 'must be a single value, not a mapping' });
      else out[key] = value;
    } else if (!isPlainObject(value)) {
      issues.push({ key: keyPath.join('.'), message: 'must be a mapping' });
    } else {
      out[key] = prepareFileValues(node, value, keyPath, mappings, issues);
    }
  }
  return out;
}

/**
 * The environment convict sees: `NODE_ENV` only when it names a profile, and none of the mapping
 * variables, whose JSON is parsed here (overriding the file's value).
 */
function prepareEnv(
  env: Env,
  mappings: Map<MappingKey, unknown>,
  issues: ConfigIssue[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  if (profileFromNodeEnv(env.NODE_ENV) === undefined) delete out.NODE_ENV;
  for (const mapping of MAPPING_KEYS) {
    const text = out[mapping.env];
    delete out[mapping.env];
    if (text === undefined) continue;
    try {
      mappings.set(mapping, JSON.parse(text));
    } catch {
      // JSON.parse's message quotes the input: name the variable only.
      issues.push({ key: mapping.path.join('.'), message: `${mapping.env} must hold valid JSON` });
    }
  }
  return out;
}

/** Turns convict's validation message (one problem a line) into issues, dropping echoed values. */
function parseConvictErrors(message: string): ConfigIssue[] {
  return message.split('\n').map((line) => {
    const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line);
    if (undeclared?.[1] !== undefined) return { key: undeclared[1], message: 'unknown key' };
    const missing = /^configuration param '(.+)' missing from config/.exec(line);
    if (missing?.[1] !== undefined) return { key: missing[1], message: 'is missing' };
    const colon = line.indexOf(': ');
    if (colon < 0) return { key: '', message: line };
    const rest = line.slice(colon + 2);
    const echoed = rest.indexOf(': value was ');
    return { key: line.slice(0, colon), message: echoed < 0 ? rest : rest.slice(0, echoed) };
  });
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) return;
    node = next;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

/** Rules spanning several keys; only once each key passed its own check. */
function checkRules(s: TopLevelSettings, issues: ConfigIssue[]): void {
  if (s.limits.defaultRowsPerBatch > s.limits.maxRowsPerBatch) {
    issues.push({ key: 'limits.defaultRowsPerBatch', message: 'must not exceed limits.maxRowsPerBatch' });
  }
  if (s.limits.maxBatchBytes > s.server.maxSendMessageBytes) {
    issues.push({ key: 'limits.maxBatchBytes', message: 'must not exceed server.maxSendMessageBytes' });
  }
  if (s.transactions.idleTimeoutMs > s.transactions.maxIdleTimeoutMs) {
    issues.push({
      key: 'transactions.idleTimeoutMs',
      message: 'must not exceed transactions.maxIdleTimeoutMs',
    });
  }
  if (s.admin.port > 0 && s.admin.port === s.server.port && s.admin.host === s.server.host) {
    issues.push({ key: 'admin.port', message: 'must differ from server.port' });
  }
}
