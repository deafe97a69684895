/**
 * The status page document and its Content-Security-Policy: every inline script and style is
 * allowed by hash and nothing else is, and the page script never turns strings into markup.
 * (What the page shows: test/integration/status-page.test.ts, in a browser.)
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../../src/admin/status-page.js';

function directive(name: string): string[] {
  const found = STATUS_PAGE_CSP.split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name);
  return found?.slice(1) ?? [];
}

function inline(tag: string): string[] {
  return [...STATUS_PAGE_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map(
    (m) => m[1] ?? '',
  );
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

test('the CSP allows exactly the inline script and style, by hash', (t) => {
  const scripts = inline('script');
  const styles = inline('style');
  t.is(scripts.length, 1);
  t.is(styles.length, 1);
  t.deepEqual(directive('script-src'), scripts.map(hash));
  t.deepEqual(directive('style-src'), styles.map(hash));
  t.deepEqual(directive('default-src'), ["'none'"]);
  t.deepEqual(directive('connect-src'), ["'self'"]);
  t.deepEqual(directive('require-trusted-types-for'), ["'script'"]);
  t.notRegex(STATUS_PAGE_CSP, /unsafe|\*|https?:/);
});

test('the page loads nothing from elsewhere and builds no markup from strings', (t) => {
  t.notRegex(STATUS_PAGE_HTML, /\s(src|href)="(?!status\.json")/);
  t.notRegex(STATUS_PAGE_HTML, /\sstyle=|\son[a-z]+=/, 'no inline attributes the CSP would block');
  const script = inline('script')[0] ?? '';
  t.notRegex(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  t.regex(script, /textContent/);
});
