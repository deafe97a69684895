/**
 * The configuration reference, rendered from the schemas so README cannot drift from them: the
 * convict schema (top-level keys, with their environment variables), then the cluster, backend and
 * principal sub-schemas.
 */

import { backendSchema, clusterSchema, type Entry, isEntry, type SubSchema } from './cluster-schema.js';
import { principalSchema } from './principal-schema.js';
import { ByProfile, PROFILES } from './profile.js';
import { gatewaySchema } from './schema.js';

interface Row {
  readonly key: string;
  readonly env: string;
  readonly default: string;
  readonly doc: string;
}

const CLUSTER = 'clusters.<name>';
const BACKEND = `${CLUSTER}.<backend>`;

/**
 * The reference as one markdown table (Key, Env, Default, Description), ending with a newline.
 * Cluster keys read `clusters.<name>.…`; backend keys, valid for `primary` and for each entry of
 * `replicas`, read `clusters.<name>.<backend>.…`.
 */
export function renderConfigReference(): string {
  const rows = [
    ...convictRows(gatewaySchema, ''),
    ...subSchemaRows(clusterSchema, CLUSTER),
    ...subSchemaRows(backendSchema, BACKEND),
    ...subSchemaRows(principalSchema, 'auth.principals.<name>'),
  ];
  const lines = [
    '| Key | Env | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.key}\` | ${r.env} | ${r.default} | ${escapeCell(r.doc)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

function* convictRows(node: object, prefix: string): Generator<Row> {
  for (const [key, child] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof child !== 'object' || child === null) continue;
    if ('default' in child) {
      const { doc, env } = child as { doc?: unknown; env?: unknown };
      yield {
        key: path,
        env: typeof env === 'string' ? `\`${env}\`` : '',
        default: renderDefault(child.default),
        doc: typeof doc === 'string' ? doc : '',
      };
    } else {
      yield* convictRows(child, path);
    }
  }
}

function* subSchemaRows(schema: SubSchema, prefix: string): Generator<Row> {
  for (const [key, node] of Object.entries(schema)) {
    const path = `${prefix}.${key}`;
    if (isEntry(node)) yield entryRow(path, node);
    else yield* subSchemaRows(node, path);
  }
}

function entryRow(key: string, entry: Entry): Row {
  let doc = entry.doc;
  if ('object' in entry) doc += ` Keys: \`${BACKEND}.*\`.`;
  if ('items' in entry && typeof entry.items !== 'function') doc += ` Each takes the \`${BACKEND}.*\` keys.`;
  return { key, env: '', default: 'default' in entry ? renderDefault(entry.default) : '*required*', doc };
}

function renderDefault(value: unknown): string {
  if (value instanceof ByProfile) {
    return PROFILES.map((p) => `${renderDefault(value.resolve(p))} (${p})`).join(', ');
  }
  return `\`${JSON.stringify(value)}\``;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
