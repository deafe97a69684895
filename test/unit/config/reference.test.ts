import test from 'ava';
import {
  backendSchema,
  clusterSchema,
  gatewaySchema,
  principalSchema,
  renderConfigReference,
} from '../../../src/config/index.js';
import { declaredKeys } from './helpers.js';

const reference = renderConfigReference();
const rows = new Map(
  reference
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => [/^\| `([^`]+)`/.exec(line)?.[1] ?? '', line] as const),
);

test('the reference is a markdown table ending with a newline', (t) => {
  const lines = reference.split('\n');
  t.is(lines[0], '| Key | Env | Default | Description |');
  t.is(lines[1], '| --- | --- | --- | --- |');
  t.true(reference.endsWith('|\n'));
  for (const line of lines.slice(2, -1)) {
    // four cells: five unescaped pipes
    t.is(line.split(/(?<!\\)\|/).length, 6, line);
  }
});

test('every top-level key has a row with its variable, default and doc', (t) => {
  for (const [path, entry] of declaredKeys(gatewaySchema)) {
    const row = rows.get(path);
    if (row === undefined) {
      t.fail(`no row for ${path}`);
      continue;
    }
    t.true(row.includes(`\`${String(entry.env)}\``), `${path} env`);
    t.true(row.includes(`\`${JSON.stringify(entry.default)}\``), `${path} default`);
    t.true(row.includes(String(entry.doc).replaceAll('|', '\\|')), `${path} doc`);
  }
});

test('every cluster, backend and principal key has a row with its doc', (t) => {
  const entries = [
    ...declaredKeys(clusterSchema, 'clusters.<name>'),
    ...declaredKeys(backendSchema, 'clusters.<name>.<backend>'),
    ...declaredKeys(principalSchema, 'auth.principals.<name>'),
  ];
  t.true(entries.length > 50);
  for (const [path, entry] of entries) {
    const row = rows.get(path);
    t.truthy(row, `no row for ${path}`);
    t.true(row?.includes(String(entry.doc)), `${path} doc`);
  }
});

/** Every schema reachable from the top level: through mappings, objects and lists of objects. */
function* schemas(schema: object): Generator<object> {
  yield schema;
  for (const [, key] of declaredKeys(schema)) {
    for (const nested of [key.entries, key.object, key.items]) {
      if (nested !== undefined && !('check' in nested)) yield* schemas(nested);
    }
  }
}

test('the reference covers every schema reachable from the top level', (t) => {
  const covered = new Set<object>([gatewaySchema, clusterSchema, backendSchema, principalSchema]);
  const reachable = new Set(schemas(gatewaySchema));
  t.is(reachable.size, covered.size);
  for (const schema of reachable) t.true(covered.has(schema));
});

test('profile-dependent defaults show both profiles; required keys say so', (t) => {
  t.is(rows.get('clusters.<name>.pool.min')?.split(' | ')[2], '`5` (production), `1` (development)');
  t.true(rows.get('clusters.<name>.<backend>.sqlMode')?.includes('(production)'));
  t.true(rows.get('clusters.<name>.<backend>.host')?.includes('*required*'));
  t.true(rows.get('clusters.<name>.primary')?.includes('*required*'));
});
