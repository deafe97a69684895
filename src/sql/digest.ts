/**
 * Query digests: the shape of a statement without its values, so that statements differing only
 * in literals count as one (ProxySQL's `digest_text`, MySQL's `performance_schema` digests).
 *
 * Built on the {@link Lexer}: every string, number and placeholder becomes `?`; a list of values
 * (`IN (?, ?, 3)`, `VALUES (1, 'a'), (2, 'b')`) becomes `(...)` whatever its length; a sign in
 * front of a number goes (`id = -5` is `id = ?`); comments go; whitespace is put back in one
 * canonical way (one space between tokens, none inside `t.c`, `f(`, `(x`, `x)`, `x,`), so
 * `id=1` and `id = 2` share a digest. Names and keywords keep their spelling. Executable
 * comments are code: their tokens are kept, their markers dropped.
 */
import { Lexer, type LexerOptions, type TokenKind } from './lexer.js';

/** Longest digest text, in UTF-16 units; longer ones are cut and end with `...`. */
export const DIGEST_MAX_LENGTH = 1024;

type Kind = 'word' | 'value' | 'punct' | 'other';

interface Tok {
  kind: Kind;
  text: string;
  /** Whitespace or a comment came before it in the source. */
  gap: boolean;
}

/** Words after which a parenthesized list of values is folded to `(...)`. */
const LIST_WORDS: ReadonlySet<string> = new Set(['IN', 'VALUES', 'VALUE']);

function kindOf(kind: TokenKind): Kind {
  switch (kind) {
    case 'string':
    case 'number':
    case 'placeholder':
      return 'value';
    case 'word':
      return 'word';
    case 'punct':
    case 'semicolon':
      return 'punct';
    default:
      return 'other';
  }
}

/** Reads `sql` into tokens with values already `?` and signs of numbers dropped. */
function tokensOf(sql: string, options: Pick<LexerOptions, 'noBackslashEscapes' | 'ansiQuotes'>): Tok[] {
  const lex = new Lexer(sql, { ...options, comments: true });
  const toks: Tok[] = [];
  let last = 0;
  let gap = false;
  for (;;) {
    const kind = lex.next();
    if (kind === 'eof') break;
    if (lex.start > last) gap = true;
    last = lex.end;
    if (kind === 'comment') {
      gap = true;
      continue;
    }
    if (kind === 'error') {
      // An unterminated literal or comment: nothing after it may show.
      toks.push({ kind: 'value', text: '?', gap });
      break;
    }
    const k = kindOf(kind);
    if (k === 'value') {
      // A unary sign: `-` or `+` right after an operator, `(`, `,` or the start.
      const prev = toks[toks.length - 1];
      const before = toks[toks.length - 2];
      if (
        prev !== undefined &&
        prev.kind === 'punct' &&
        (prev.text === '-' || prev.text === '+') &&
        (before === undefined || (before.kind === 'punct' && before.text !== ')') || isOperatorWord(before))
      ) {
        toks.pop();
        gap = gap || prev.gap;
      }
      toks.push({ kind: 'value', text: '?', gap });
    } else {
      toks.push({ kind: k, text: lex.text(), gap });
    }
    gap = false;
  }
  while (toks.length > 0 && toks[toks.length - 1]!.text === ';') toks.pop();
  return toks;
}

const OPERATOR_WORDS: ReadonlySet<string> = new Set([
  'SELECT',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'ON',
  'SET',
  'WHEN',
  'THEN',
  'ELSE',
  'BETWEEN',
  'LIMIT',
  'OFFSET',
  'HAVING',
  'RETURN',
  'IS',
  'LIKE',
  'XOR',
  'DIV',
  'MOD',
  'INTERVAL',
]);

function isOperatorWord(t: Tok): boolean {
  return t.kind === 'word' && OPERATOR_WORDS.has(t.text.toUpperCase());
}

/**
 * If a list of values starts at `toks[i]` (`(` then values and commas, then `)`), returns the
 * index after its `)`; otherwise -1.
 */
function valueListEnd(toks: readonly Tok[], i: number): number {
  if (toks[i]?.text !== '(') return -1;
  let j = i + 1;
  let values = 0;
  for (; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.kind === 'value' || (t.kind === 'word' && /^(NULL|TRUE|FALSE|DEFAULT)$/i.test(t.text))) values++;
    else if (t.text === ')') return values > 0 ? j + 1 : -1;
    else if (t.text !== ',') return -1;
  }
  return -1;
}

/** Tokens with value lists folded to one `(...)` token. */
function foldLists(toks: readonly Tok[]): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    out.push(t);
    i++;
    if (t.kind === 'word' && LIST_WORDS.has(t.text.toUpperCase())) {
      const end = valueListEnd(toks, i);
      if (end < 0) continue;
      out.push({ kind: 'other', text: '(...)', gap: true });
      i = end;
      // More rows of a multi-row VALUES fold into the same `(...)`.
      for (;;) {
        const next = toks[i]?.text === ',' ? valueListEnd(toks, i + 1) : -1;
        if (next < 0) break;
        i = next;
      }
    }
  }
  return out;
}

/** Whether one space goes between `a` and `b` in the digest. */
function spaceBetween(a: Tok, b: Tok): boolean {
  if (b.text === ',' || b.text === ')' || b.text === ';' || b.text === '.') return false;
  if (a.text === '(' || a.text === '.' || a.text === '@') return false;
  if (b.text === '(') return a.kind !== 'word' || b.gap;
  if (a.kind === 'punct' && b.kind === 'punct' && a.text !== ',' && a.text !== ')') return b.gap;
  return true;
}

/**
 * The digest text of `sql`: literal-free, with value lists folded and whitespace canonical.
 * Pure and deterministic; at most {@link DIGEST_MAX_LENGTH} characters.
 *
 * @example
 * digestText("select * from t where id in (1, 2, 3) and name='x'")
 * // 'select * from t where id in (...) and name = ?'
 */
export function digestText(
  sql: string,
  options: Pick<LexerOptions, 'noBackslashEscapes' | 'ansiQuotes'> = {},
): string {
  const toks = foldLists(tokensOf(sql, options));
  let out = '';
  let prev: Tok | undefined;
  for (const t of toks) {
    if (prev !== undefined && spaceBetween(prev, t)) out += ' ';
    out += t.text;
    prev = t;
    if (out.length > DIGEST_MAX_LENGTH) return `${out.slice(0, DIGEST_MAX_LENGTH - 3)}...`;
  }
  return out;
}
