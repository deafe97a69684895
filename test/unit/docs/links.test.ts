/** Every relative link in the project's markdown points to a file that exists, and to a heading in it. */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import test from 'ava';
import { headingAnchors, linkTargets, markdownFiles, readDoc, repoRoot } from './markdown.js';

/** What is wrong with the relative links of one file, as readable lines; empty when nothing is. */
function brokenLinks(file: string, text = readDoc(file)): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
    const [pathPart = '', anchor] = target.split('#', 2);
    const path =
      pathPart === '' ? file : posix.normalize(posix.join(posix.dirname(file), decodeURI(pathPart)));
    if (path.startsWith('../') || !existsSync(join(repoRoot, path))) {
      problems.push(`${file}: ${target} (no file ${path})`);
    } else if (
      anchor &&
      path.endsWith('.md') &&
      !headingAnchors(path === file ? text : readDoc(path)).has(anchor)
    ) {
      problems.push(`${file}: ${target} (no heading #${anchor} in ${path})`);
    }
  }
  return problems;
}

test('heading anchors are computed as GitHub does', (t) => {
  const anchors = headingAnchors(
    '# mysql-grpc-gateway\n## Routing, staleness and consistency\n```sh\n# not a heading\n```\n' +
      '## `db.query.text` & friends\n## Errors\n### Errors\n',
  );
  t.deepEqual(
    [...anchors],
    ['mysql-grpc-gateway', 'routing-staleness-and-consistency', 'dbquerytext--friends', 'errors', 'errors-1'],
  );
});

test('links in code are not links', (t) => {
  t.deepEqual(linkTargets('[a](a.md) `[b](b.md)`\n```\n[c](c.md)\n```\n![d](d.svg)'), ['a.md', 'd.svg']);
});

test('the docs tests see README.md, docs/ and bench/README.md', (t) => {
  const files = markdownFiles();
  for (const file of ['README.md', 'docs/configuration.md', 'docs/telemetry.md', 'bench/README.md']) {
    t.true(files.includes(file), file);
  }
});

test('every relative link in the markdown files points to an existing file and heading', (t) => {
  t.deepEqual(
    markdownFiles().flatMap((file) => brokenLinks(file)),
    [],
  );
});

test('a missing file, a missing heading and a link out of the repository are reported', (t) => {
  const text =
    '# Title\n[ok](#title) [ok](docs/errors.md#gateway-errors) [ok](proto/mysqlgateway/v1/gateway.proto)\n' +
    '[bad](docs/no-such-file.md) [bad](#no-such-heading) [bad](docs/errors.md#no-such-heading) [bad](../x.md)\n';
  t.deepEqual(brokenLinks('README.md', text), [
    'README.md: docs/no-such-file.md (no file docs/no-such-file.md)',
    'README.md: #no-such-heading (no heading #no-such-heading in README.md)',
    'README.md: docs/errors.md#no-such-heading (no heading #no-such-heading in docs/errors.md)',
    'README.md: ../x.md (no file ../x.md)',
  ]);
});

test('every doc in docs/ is linked from README.md', (t) => {
  const linked = new Set(linkTargets(readDoc('README.md')).map((target) => target.split('#')[0]));
  const docs = markdownFiles().filter((file) => file.startsWith('docs/'));
  t.true(docs.length > 0);
  t.deepEqual(
    docs.filter((file) => !linked.has(file)),
    [],
  );
});
