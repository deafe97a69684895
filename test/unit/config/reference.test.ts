import test from 'ava';
import {
  backendSchema,
  clusterSchema,
  gatewaySchema,
  renderConfigReference,
} from '../../../src/config/index.js';

interface Node {
  readonly [key: string]: unknown;
}

function* leaves(node: Node, prefix: string): Generator<[string, Node]> {
  for (const [key, child] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const childNode = child as Node;
    if ('default' in childNode || typeof childNode.doc === 'string') yield [path, childNode];
    else yield* leaves(childNode, path);
  }
}

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

test('every convict key has a row with its variable, default and doc', (t) => {
  for (const [path, entry] of leaves(gatewaySchema as unknown as Node, '')) {
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

test('every cluster and backend key has a row with its doc', (t) => {
  const entries = [
    ...leaves(clusterSchema as unknown as Node, 'clusters.<name>'),
    ...leaves(backendSchema as unknown as Node, 'clusters.<name>.<backend>'),
  ];
  t.true(entries.length > 40);
  for (const [path, entry] of entries) {
    const row = rows.get(path);
    t.truthy(row, `no row for ${path}`);
    t.true(row?.includes(String(entry.doc)), `${path} doc`);
  }
});

test('profile-dependent defaults show both profiles; required keys say so', (t) => {
  t.is(rows.get('clusters.<name>.pool.min')?.split(' | ')[2], '`5` (production), `1` (development)');
  t.true(rows.get('clusters.<name>.<backend>.sqlMode')?.includes('(production)'));
  t.true(rows.get('clusters.<name>.<backend>.host')?.includes('*required*'));
  t.true(rows.get('clusters.<name>.primary')?.includes('*required*'));
});
