// Rewrites README.md's generated sections from the built code: `npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from '../dist/src/config/index.js';
import { renderErrorTable } from '../dist/src/errors.js';

const path = new URL('../README.md', import.meta.url);
let text = readFileSync(path, 'utf8');
for (const [name, body] of [
  ['error-table', renderErrorTable()],
  ['config-reference', renderConfigReference()],
]) {
  const re = new RegExp(`(<!-- BEGIN ${name} -->\\n)[\\s\\S]*?(<!-- END ${name} -->)`);
  if (!re.test(text)) throw new Error(`README.md has no ${name} section`);
  text = text.replace(re, (_, a, b) => `${a}${body}${b}`);
}
writeFileSync(path, text);
