/**
 * Client-side parameter interpolation for the text protocol (`connection.query`), used only for
 * statements the server cannot prepare.
 *
 * mysql2's own `query(sql, values)` formatting (sql-escaper) replaces every `?` in the text,
 * including those inside string literals, identifiers and comments, and cannot format the typed
 * parameters of {@link toDriverParams}. This walks the text with the {@link Lexer}, so only real
 * placeholders are replaced, and renders each `Value` as a literal of the same MySQL type.
 */
import { errors } from '../errors.js';
import { Lexer } from './lexer.js';
import { bytesParam, doubleParam, integerParam, stringParam, valueKind } from './values.js';
import type { WireValueInput } from './wire.js';

/** Options of {@link interpolateSql}. */
export interface InterpolateOptions {
  /**
   * The session runs with NO_BACKSLASH_ESCAPES: quotes are doubled and backslashes left alone.
   * Must match the session, or a crafted string could end its literal early.
   * @default false
   */
  readonly noBackslashEscapes?: boolean;
  /** The session runs with ANSI_QUOTES (`"x"` is an identifier). @default false */
  readonly ansiQuotes?: boolean;
}

/**
 * Replaces the `?` placeholders of `sql` with SQL literals of `values`, in order. The connection
 * charset must be utf8mb4 (strings are written as plain UTF-16 -> UTF-8 text). Throws
 * INVALID_ARGUMENT when the count differs, a value is malformed, or the text does not lex.
 *
 * Literals: NULL; int64/uint64 as decimal integers; doubles in exponent form (`1.5e0`, `-0e0`)
 * so they stay DOUBLE rather than DECIMAL; strings quoted and escaped; bytes as `X'..'`.
 */
export function interpolateSql(
  sql: string,
  values: readonly WireValueInput[] | undefined,
  options: InterpolateOptions = {},
): string {
  const count = values === undefined ? 0 : values.length;
  const backslash = options.noBackslashEscapes !== true;
  const lex = new Lexer(sql, { noBackslashEscapes: !backslash, ansiQuotes: options.ansiQuotes === true });
  let out = '';
  let last = 0;
  let index = 0;
  for (;;) {
    const kind = lex.next();
    if (kind === 'eof') break;
    if (kind === 'error') throw errors.invalidArgument('SQL_LEXICAL_ERROR', `SQL text has an ${lex.error}`);
    if (kind !== 'placeholder') continue;
    if (index >= count) throw parameterCount(count);
    out += sql.slice(last, lex.start) + literal(values![index]!, index, backslash);
    last = lex.end;
    index++;
  }
  if (index !== count) throw parameterCount(count);
  return last === 0 ? sql : out + sql.slice(last);
}

function parameterCount(count: number) {
  return errors.invalidArgument(
    'PARAM_COUNT_MISMATCH',
    `statement placeholders do not match the ${count} params`,
  );
}

/** One `Value` as a SQL literal. */
export function literal(value: WireValueInput, index: number, backslashEscapes = true): string {
  switch (valueKind(value, index)) {
    case 'null_value':
      return 'NULL';
    case 'int64_value':
      return integerParam(value.int64_value, false, index).toString();
    case 'uint64_value':
      return integerParam(value.uint64_value, true, index).toString();
    case 'double_value': {
      const n = doubleParam(value.double_value, index);
      // An exponent makes it a DOUBLE literal; 1.5 alone would be DECIMAL.
      const text = Object.is(n, -0) ? '-0' : String(n);
      return text.includes('e') ? text : `${text}e0`;
    }
    case 'string_value':
      return quote(stringParam(value.string_value, index), backslashEscapes);
    case 'bytes_value':
      return `X'${bytesParam(value.bytes_value, index).toString('hex')}'`;
  }
}

/** Backslash escapes MySQL reads back as the same character (NUL, LF, CR, Ctrl-Z, quotes, backslash). */
const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '\\0'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x1a, '\\Z'],
  [0x27, "\\'"],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
]);

function quote(text: string, backslashEscapes: boolean): string {
  if (!backslashEscapes) return `'${text.replaceAll("'", "''")}'`;
  let out = "'";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const replacement = ESCAPES.get(text.charCodeAt(i));
    if (replacement === undefined) continue;
    out += text.slice(last, i) + replacement;
    last = i + 1;
  }
  return `${out}${text.slice(last)}'`;
}
