/** Reading the project's markdown for the docs tests: files, fenced blocks, links, heading anchors. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/unit/docs/). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.sandbox', 'coverage']);

/** Every markdown file of the repository, as paths relative to its root with `/` separators. */
export function markdownFiles(dir = repoRoot): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...markdownFiles(join(dir, entry.name)));
    } else if (entry.name.endsWith('.md')) {
      found.push(relative(repoRoot, join(dir, entry.name)).split('\\').join('/'));
    }
  }
  return found.sort();
}

/** A markdown file's text, by path relative to the repository root. */
export function readDoc(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/** One fenced code block: its info string (`yaml`, `ts` …) and its body. */
export interface FencedBlock {
  readonly lang: string;
  readonly body: string;
}

/** Splits markdown into the text outside fenced code blocks and the blocks themselves. */
export function splitFences(text: string): { prose: string; blocks: FencedBlock[] } {
  const prose: string[] = [];
  const blocks: FencedBlock[] = [];
  let open: { fence: string; lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const m = line.match(/^(`{3,}|~{3,})\s*([\w-]*)/);
    if (open) {
      if (m && m[1]?.[0] === open.fence[0] && (m[1]?.length ?? 0) >= open.fence.length && !m[2]) {
        blocks.push({ lang: open.lang, body: open.lines.join('\n') });
        open = undefined;
      } else {
        open.lines.push(line);
      }
    } else if (m) {
      open = { fence: m[1] ?? '```', lang: m[2] ?? '', lines: [] };
    } else {
      prose.push(line);
    }
  }
  return { prose: prose.join('\n'), blocks };
}

/** Targets of the links and images outside code (fenced blocks and inline code spans). */
export function linkTargets(text: string): string[] {
  const prose = splitFences(text).prose.replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

/**
 * The anchors GitHub gives the headings of a markdown text: the heading's text lowercased, inline
 * code marks and punctuation other than `-` and `_` dropped, spaces turned into `-`; a repeated
 * anchor gets `-1`, `-2` … appended.
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of splitFences(text).prose.split('\n')) {
    const m = line.match(/^#{1,6}\s+(.+?)\s*#*\s*$/);
    if (!m?.[1]) continue;
    const base = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
