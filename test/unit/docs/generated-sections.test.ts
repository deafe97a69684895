/**
 * The docs' generated sections match the code they describe (`npm run docs` rewrites them), and
 * each lives in exactly the file scripts/update-docs.mjs writes: a stale copy anywhere fails.
 */
import test from 'ava';
import { renderConfigReference } from '../../../src/config/index.js';
import { renderErrorTable } from '../../../src/errors.js';
import { markdownFiles, readDoc } from './markdown.js';

/** The same list as scripts/update-docs.mjs. */
const SECTIONS = [
  { file: 'docs/errors.md', name: 'error-table', render: renderErrorTable },
  { file: 'docs/configuration.md', name: 'config-reference', render: renderConfigReference },
];

function section(text: string, name: string): string | undefined {
  return text.match(new RegExp(`<!-- BEGIN ${name} -->\\n([\\s\\S]*?)<!-- END ${name} -->`))?.[1];
}

for (const { file, name, render } of SECTIONS) {
  test(`the ${name} section of ${file} is the generated one`, (t) => {
    const body = section(readDoc(file), name);
    t.not(body, undefined, `${file} has no <!-- BEGIN ${name} --> … <!-- END ${name} --> section`);
    t.is(body, render(), `run \`npm run docs\` to refresh ${file}`);
  });
}

test('every generated section marker is in the file the generator writes, once', (t) => {
  const expected = SECTIONS.map(({ file, name }) => `${file}: ${name}`).sort();
  const found: string[] = [];
  for (const file of markdownFiles()) {
    const text = readDoc(file);
    for (const m of text.matchAll(/<!-- BEGIN ([\w-]+) -->/g)) {
      found.push(`${file}: ${m[1]}`);
      t.true(text.includes(`<!-- END ${m[1]} -->`), `${file}: BEGIN ${m[1]} without END`);
    }
  }
  t.deepEqual(found.sort(), expected);
});
