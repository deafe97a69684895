/**
 * Literal-free SQL text for telemetry (OpenTelemetry `db.query.text`): every string, number,
 * hex and bit literal becomes `?`, placeholders stay `?`, comments (which may carry anything)
 * become a space. Executable comments are code and stay, with their literals replaced.
 */
import { Lexer, type LexerOptions } from './lexer.js';

/**
 * Replaces the literals of `sql` with `?`. Text after an unterminated string or comment is
 * replaced by a single `?`, so no literal value ever survives.
 */
export function sanitizeSql(
  sql: string,
  options: Pick<LexerOptions, 'noBackslashEscapes' | 'ansiQuotes'> = {},
): string {
  const lex = new Lexer(sql, { ...options, comments: true });
  let out = '';
  let last = 0;
  for (;;) {
    const kind = lex.next();
    if (kind === 'eof') break;
    // The gap holds whitespace and executable comment markers.
    if (lex.start > last) out += sql.slice(last, lex.start);
    last = lex.end;
    switch (kind) {
      case 'string':
      case 'number':
      case 'placeholder':
      case 'error':
        out += '?';
        break;
      case 'comment':
        out += ' ';
        break;
      default:
        out += sql.slice(lex.start, lex.end);
    }
  }
  if (last < sql.length) out += sql.slice(last);
  return out;
}
