/**
 * The configuration reference, rendered from the key declarations so the documentation cannot
 * drift from them: the top-level keys (with their environment variables), then the keys of each
 * cluster, of each backend and of each principal. Every part is a schema of `keys.ts`.
 */

import { backendSchema, clusterSchema } from './cluster-schema.js';
import { isKey, type Key, type Schema } from './keys.js';
import { principalSchema } from './principal-schema.js';
import { ByProfile, PROFILES } from './profile.js';
import { gatewaySchema } from './schema.js';

const CLUSTER = 'clusters.<name>';
const BACKEND = `${CLUSTER}.<backend>`;

/** The parts of the reference: each schema with the path its keys are shown under. */
const PARTS: readonly (readonly [Schema, string])[] = [
  [gatewaySchema, ''],
  [clusterSchema, CLUSTER],
  [backendSchema, BACKEND],
  [principalSchema, 'auth.principals.<name>'],
];

/**
 * The reference as one markdown table (Key, Env, Default, Description), ending with a newline.
 * Cluster keys read `clusters.<name>.…`; backend keys, valid for `primary` and for each entry of
 * `replicas`, read `clusters.<name>.<backend>.…`.
 */
export function renderConfigReference(): string {
  const lines = [
    '| Key | Env | Default | Description |',
    '| --- | --- | --- | --- |',
    ...PARTS.flatMap(([schema, prefix]) => [...rows(schema, prefix)]),
  ];
  return `${lines.join('\n')}\n`;
}

function* rows(schema: Schema, prefix: string): Generator<string> {
  for (const [name, node] of Object.entries(schema)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isKey(node)) yield row(path, node);
    else yield* rows(node, path);
  }
}

function row(path: string, key: Key): string {
  let doc = key.doc;
  if ('object' in key) doc += ` Keys: \`${BACKEND}.*\`.`;
  if ('items' in key && typeof key.items.check !== 'function')
    doc += ` Each takes the \`${BACKEND}.*\` keys.`;
  const env = 'env' in key && key.env !== undefined ? `\`${key.env}\`` : '';
  const def = 'default' in key ? renderDefault(key.default) : '*required*';
  return `| \`${path}\` | ${env} | ${def} | ${doc.replaceAll('|', '\\|')} |`;
}

function renderDefault(value: unknown): string {
  if (value instanceof ByProfile) {
    return PROFILES.map((p) => `${renderDefault(value.resolve(p))} (${p})`).join(', ');
  }
  return `\`${JSON.stringify(value)}\``;
}
