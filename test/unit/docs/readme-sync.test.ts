/** README.md's generated sections match the code they describe (`npm run docs` rewrites them). */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { renderConfigReference } from '../../../src/config/index.js';
import { renderErrorTable } from '../../../src/errors.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function section(name: string): string {
  const m = readme.match(new RegExp(`<!-- BEGIN ${name} -->\\n([\\s\\S]*?)<!-- END ${name} -->`));
  return m?.[1] ?? '';
}

test('the error table in README.md is the one in src/errors.ts', (t) => {
  t.is(section('error-table'), renderErrorTable(), 'run `npm run docs` to refresh README.md');
});

test('the configuration reference in README.md is the one generated from the schema', (t) => {
  t.is(section('config-reference'), renderConfigReference(), 'run `npm run docs` to refresh README.md');
});
