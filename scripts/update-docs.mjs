// Rewrites the docs' generated sections from the built code: `npm run docs` (it builds first).
// Each section sits between `<!-- BEGIN name -->` and `<!-- END name -->` in exactly one file;
// test/unit/docs/generated-sections.test.ts fails when one is stale or in another file.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from '../dist/src/config/index.js';
import { renderErrorTable } from '../dist/src/errors.js';

/** Where each generated section lives, relative to the repository root, and what renders it. */
const SECTIONS = [
  { file: 'docs/errors.md', name: 'error-table', render: renderErrorTable },
  { file: 'docs/configuration.md', name: 'config-reference', render: renderConfigReference },
];

const root = new URL('../', import.meta.url);
for (const { file, name, render } of SECTIONS) {
  const path = new URL(file, root);
  const text = readFileSync(path, 'utf8');
  const re = new RegExp(`(<!-- BEGIN ${name} -->\\n)[\\s\\S]*?(<!-- END ${name} -->)`);
  if (!re.test(text)) throw new Error(`${file} has no ${name} section`);
  const updated = text.replace(re, (_, begin, end) => `${begin}${render()}${end}`);
  if (updated !== text) {
    writeFileSync(path, updated);
    console.log(`updated ${name} in ${file}`);
  }
}
