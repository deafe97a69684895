/** README.md stays a newcomer's five-minute read: short, with the two commands, and examples that parse. */
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { markdownFiles, readDoc, splitFences } from './markdown.js';

test('README.md stays under 25,000 bytes (reference material goes to docs/)', (t) => {
  const bytes = Buffer.byteLength(readDoc('README.md'));
  t.true(bytes < 25_000, `README.md is ${bytes} bytes`);
});

test('README.md shows the two commands, make run and make test, in its quickstart', (t) => {
  const quickstart = readDoc('README.md').split('\n## ')[1] ?? '';
  t.regex(quickstart, /^Quickstart/);
  t.regex(quickstart, /^make run\b/m);
  t.regex(quickstart, /^make test\b/m);
});

test('every YAML and JSON example in the markdown files parses', (t) => {
  let checked = 0;
  for (const file of markdownFiles()) {
    for (const { lang, body } of splitFences(readDoc(file)).blocks) {
      if (lang === 'yaml' || lang === 'yml') {
        const errors = parseAllDocuments(body).flatMap((doc) => ('errors' in doc ? doc.errors : []));
        t.deepEqual(
          errors.map((e) => e.message),
          [],
          `${file}: ${body.slice(0, 60)}`,
        );
        checked++;
      } else if (lang === 'json') {
        t.notThrows(() => JSON.parse(body), `${file}: ${body.slice(0, 60)}`);
        checked++;
      }
    }
  }
  t.true(checked > 0, 'no YAML or JSON example found');
});
