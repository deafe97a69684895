/**
 * A small, allocation-light MySQL/MariaDB lexer: not a parser, just enough to walk statement
 * text token by token for classification ({@link ./classify.ts}), telemetry sanitization and
 * placeholder interpolation.
 *
 * It follows the server's lexer where that matters for safety:
 * - whitespace is ASCII only (space, \t, \n, \v, \f, \r); any other character from U+0080 up,
 *   including U+00A0 and other Unicode spaces, is an identifier character, as in the server;
 * - `-- ` needs whitespace or a control character (or the end) after the two dashes;
 * - executable comments `/*! ... *\/`, `/*!50000 ... *\/` and MariaDB's `/*M! ... *\/` are code:
 *   their content is lexed as tokens, only the markers are skipped;
 * - `'...'` and `"..."` strings take backslash escapes (unless `noBackslashEscapes`, the
 *   NO_BACKSLASH_ESCAPES sql_mode) and doubled quotes; `` `...` `` identifiers take doubled
 *   backticks;
 * - X'..', B'..', N'..' and `_charset'..'` literals are single tokens.
 *
 * An unterminated string, identifier or comment ends the walk with an `error` token instead of
 * throwing.
 */

/** Kind of a token. */
export type TokenKind =
  /** Keyword or unquoted identifier; {@link Lexer.value} holds it uppercased. */
  | 'word'
  /** `` `name` ``; {@link Lexer.identifier} returns the unquoted name. */
  | 'quoted_identifier'
  /** '...', "...", N'...', _utf8mb4'...' */
  | 'string'
  /** 12, 1.5e3, .5, 0x1F, X'1F', 0b101, b'101' */
  | 'number'
  /** `?` */
  | 'placeholder'
  /** `@user_var`, `@'quoted'`, `@@system_var`, `@@session.var`; value uppercased. */
  | 'variable'
  /** Any other single character, or `:=`; value is the text. */
  | 'punct'
  /** `;` */
  | 'semicolon'
  /** A comment (only with `comments: true`). Executable comment markers are never reported. */
  | 'comment'
  /** Unterminated string, identifier or comment; {@link Lexer.error} says which. The walk ends. */
  | 'error'
  /** End of input. */
  | 'eof';

/** Options of the {@link Lexer}. */
export interface LexerOptions {
  /**
   * Backslash is an ordinary character inside strings: the NO_BACKSLASH_ESCAPES sql_mode.
   * Must match the session's sql_mode, or a string such as `'\'` is cut at the wrong place.
   * @default false
   */
  readonly noBackslashEscapes?: boolean;
  /**
   * `"..."` is a quoted identifier, not a string: the ANSI_QUOTES sql_mode. Must match the
   * session's sql_mode, or text the server reads as code could pass for a string.
   * @default false
   */
  readonly ansiQuotes?: boolean;
  /** Report comments as `comment` tokens instead of skipping them. @default false */
  readonly comments?: boolean;
}

/** A token as yielded by {@link tokenize}. */
export interface Token {
  readonly kind: TokenKind;
  /** Uppercased text for words and variables, the text for punctuation, '' otherwise. */
  readonly value: string;
  /** The token's source text. */
  readonly text: string;
  /** Offset of the first UTF-16 code unit. */
  readonly start: number;
  /** Offset after the last UTF-16 code unit. */
  readonly end: number;
}

const WORD = 1;
const SPACE = 2;
const DIGIT = 4;
const HEX = 8;

/** Character classes of the ASCII range; everything from 0x80 up is a word character. */
const CLASS = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = WORD | DIGIT | HEX;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = WORD;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = WORD;
for (const c of [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66])
  CLASS[c] = WORD | HEX;
CLASS[0x5f] = WORD; // _
CLASS[0x24] = WORD; // $
for (const c of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) CLASS[c] = SPACE;

function isWord(c: number): boolean {
  return c >= 0x80 || (CLASS[c]! & WORD) !== 0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return c < 0x80 && (CLASS[c]! & HEX) !== 0;
}

const QUOTE = 0x27; // '
const DQUOTE = 0x22; // "
const BACKTICK = 0x60; // `
const BACKSLASH = 0x5c;

/**
 * Walks SQL text one token at a time, without allocating per character. Read the token's
 * fields after each {@link Lexer.next} call.
 *
 * @example
 * const lex = new Lexer('SELECT 1');
 * while (lex.next() !== 'eof') console.log(lex.kind, lex.value);
 */
export class Lexer {
  /** Kind of the current token. */
  kind: TokenKind = 'eof';
  /** Start offset of the current token. */
  start = 0;
  /** End offset of the current token. */
  end = 0;
  /** What was unterminated, for an `error` token. */
  error = '';
  /** The current token lies inside an executable comment. */
  inExecutableComment = false;

  /**
   * Case-insensitive hash of the current word, for {@link KeywordTable} lookups that need no
   * string allocation.
   */
  wordHash = 0;

  readonly sql: string;
  private pos = 0;
  private cachedValue: string | undefined = '';
  private readonly backslashEscapes: boolean;
  private readonly ansiQuotes: boolean;
  private readonly emitComments: boolean;

  constructor(sql: string, options: LexerOptions = {}) {
    this.sql = sql;
    this.backslashEscapes = options.noBackslashEscapes !== true;
    this.ansiQuotes = options.ansiQuotes === true;
    this.emitComments = options.comments === true;
  }

  /**
   * Uppercased text for words and variables, the text for punctuation, '' otherwise. Computed
   * on first use for words, so a caller that only looks words up in a {@link KeywordTable}
   * never allocates for them.
   */
  get value(): string {
    if (this.cachedValue === undefined) this.cachedValue = this.sql.slice(this.start, this.end).toUpperCase();
    return this.cachedValue;
  }

  /** Source text of the current token. */
  text(): string {
    return this.sql.slice(this.start, this.end);
  }

  /** The current word or quoted identifier as a name: unquoted, original case. */
  identifier(): string {
    if (this.kind !== 'quoted_identifier') return this.text();
    const quote = this.sql.charAt(this.start);
    const inner = this.sql.slice(this.start + 1, this.end - 1);
    const doubled = quote + quote;
    return inner.includes(doubled) ? inner.replaceAll(doubled, quote) : inner;
  }

  /** Advances to the next token and returns its kind. After `eof` or `error`, returns `eof`. */
  next(): TokenKind {
    const sql = this.sql;
    const len = sql.length;
    const previous = this.kind;
    let i = this.pos;
    this.cachedValue = '';

    // Whitespace, comments and executable comment markers.
    while (i < len) {
      const c = sql.charCodeAt(i);
      if (c < 0x80 && (CLASS[c]! & SPACE) !== 0) {
        i++;
        continue;
      }
      const c1 = i + 1 < len ? sql.charCodeAt(i + 1) : -1;
      if (c === 0x23 || (c === 0x2d && c1 === 0x2d && (i + 2 >= len || sql.charCodeAt(i + 2) <= 0x20))) {
        // `#` or `-- ` up to the end of the line
        let j = i + 1;
        while (j < len && sql.charCodeAt(j) !== 0x0a) j++;
        if (this.emitComments) return this.emit('comment', i, j);
        i = j;
        continue;
      }
      if (c === 0x2f && c1 === 0x2a) {
        const c2 = i + 2 < len ? sql.charCodeAt(i + 2) : -1;
        const mariadb = (c2 === 0x4d || c2 === 0x6d) && i + 3 < len && sql.charCodeAt(i + 3) === 0x21;
        if (c2 === 0x21 || mariadb) {
          // Executable comment: skip the marker and version, lex the content as code.
          let j = i + (mariadb ? 4 : 3);
          let digits = 0;
          while (j + digits < len && isDigit(sql.charCodeAt(j + digits))) digits++;
          if (digits >= 5) j += Math.min(digits, 6);
          this.inExecutableComment = true;
          i = j;
          continue;
        }
        const close = sql.indexOf('*/', i + 2);
        if (close < 0) return this.fail('unterminated comment', i);
        if (this.emitComments) return this.emit('comment', i, close + 2);
        i = close + 2;
        continue;
      }
      if (c === 0x2a && c1 === 0x2f && this.inExecutableComment) {
        this.inExecutableComment = false;
        i += 2;
        continue;
      }
      break;
    }
    if (i >= len) {
      if (this.inExecutableComment) {
        this.inExecutableComment = false;
        return this.fail('unterminated executable comment', i);
      }
      this.pos = len;
      this.start = len;
      this.end = len;
      this.kind = 'eof';
      return 'eof';
    }

    const c = sql.charCodeAt(i);
    const c1 = i + 1 < len ? sql.charCodeAt(i + 1) : -1;

    if (isWord(c)) {
      if (isDigit(c)) return this.number(i, c, c1);
      // X'..', B'..', N'..' literals
      if (c1 === QUOTE && (c === 0x78 || c === 0x58 || c === 0x62 || c === 0x42)) return this.hexOrBit(i);
      if (c1 === QUOTE && (c === 0x6e || c === 0x4e)) return this.quoted(i, i + 1, QUOTE, 'string');
      let j = i + 1;
      let hash = Math.imul(FNV_OFFSET ^ fold(c), FNV_PRIME);
      for (; j < len; j++) {
        const d = sql.charCodeAt(j);
        if (!isWord(d)) break;
        hash = Math.imul(hash ^ fold(d), FNV_PRIME);
      }
      // _charset introducer glued to a string: _utf8mb4'text'
      if (c === 0x5f && j < len && sql.charCodeAt(j) === QUOTE) return this.quoted(i, j, QUOTE, 'string');
      this.wordHash = hash;
      this.cachedValue = undefined;
      return this.emit('word', i, j);
    }
    switch (c) {
      case QUOTE:
        return this.quoted(i, i, c, 'string');
      case DQUOTE:
        return this.quoted(i, i, c, this.ansiQuotes ? 'quoted_identifier' : 'string');
      case BACKTICK:
        return this.quoted(i, i, BACKTICK, 'quoted_identifier');
      case 0x3f: // ?
        return this.emit('placeholder', i, i + 1);
      case 0x3b: // ;
        return this.emit('semicolon', i, i + 1);
      case 0x40: // @
        return this.variable(i, c1);
      case 0x2e: // .
        // .5 is a number, but t.5 (after a name) is a qualified identifier.
        if (isDigit(c1) && previous !== 'word' && previous !== 'quoted_identifier')
          return this.number(i, c, c1);
        break;
      case 0x3a: // :=
        if (c1 === 0x3d) {
          this.emit('punct', i, i + 2);
          this.cachedValue = ':=';
          return 'punct';
        }
        break;
    }
    this.emit('punct', i, i + 1);
    this.cachedValue = sql.charAt(i);
    return 'punct';
  }

  private emit(kind: TokenKind, start: number, end: number): TokenKind {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.pos = end;
    return kind;
  }

  private fail(message: string, start: number): TokenKind {
    this.error = message;
    this.cachedValue = '';
    return this.emit('error', start, this.sql.length);
  }

  /** A quoted string or identifier whose opening quote is at `open`; the token starts at `start`. */
  private quoted(start: number, open: number, quote: number, kind: TokenKind): TokenKind {
    const sql = this.sql;
    const len = sql.length;
    // Identifiers (backticks, ANSI double quotes) take no backslash escapes.
    const backslash = kind !== 'quoted_identifier' && this.backslashEscapes;
    let j = open + 1;
    while (j < len) {
      const c = sql.charCodeAt(j);
      if (c === quote) {
        if (j + 1 < len && sql.charCodeAt(j + 1) === quote) {
          j += 2;
          continue;
        }
        return this.emit(kind, start, j + 1);
      }
      j += backslash && c === BACKSLASH ? 2 : 1;
    }
    return this.fail(
      kind === 'quoted_identifier' ? 'unterminated quoted identifier' : 'unterminated string',
      start,
    );
  }

  /** X'0F' or B'101': no escapes inside. */
  private hexOrBit(start: number): TokenKind {
    const close = this.sql.indexOf("'", start + 2);
    if (close < 0) return this.fail('unterminated string', start);
    return this.emit('number', start, close + 1);
  }

  private number(i: number, c: number, c1: number): TokenKind {
    const sql = this.sql;
    const len = sql.length;
    let j: number;
    if (c === 0x30 && (c1 === 0x78 || c1 === 0x62)) {
      // 0x1F / 0b101; followed by a word character it is an identifier such as 0xyz
      j = i + 2;
      const hex = c1 === 0x78;
      while (
        j < len &&
        (hex ? isHex(sql.charCodeAt(j)) : sql.charCodeAt(j) === 0x30 || sql.charCodeAt(j) === 0x31)
      )
        j++;
      if (j > i + 2 && !(j < len && isWord(sql.charCodeAt(j)))) return this.emit('number', i, j);
      return this.wordFrom(i, j);
    }
    j = i;
    while (j < len && isDigit(sql.charCodeAt(j))) j++;
    let fraction = false;
    if (j < len && sql.charCodeAt(j) === 0x2e) {
      fraction = true;
      j++;
      while (j < len && isDigit(sql.charCodeAt(j))) j++;
    }
    if (j < len && (sql.charCodeAt(j) | 0x20) === 0x65) {
      let k = j + 1;
      if (k < len && (sql.charCodeAt(k) === 0x2b || sql.charCodeAt(k) === 0x2d)) k++;
      if (k < len && isDigit(sql.charCodeAt(k))) {
        while (k < len && isDigit(sql.charCodeAt(k))) k++;
        j = k;
        fraction = true;
      }
    }
    // Identifiers may start with digits (1t, 2nd_col); a number never runs into a letter.
    if (!fraction && j < len && isWord(sql.charCodeAt(j))) return this.wordFrom(i, j);
    return this.emit('number', i, j);
  }

  private wordFrom(i: number, j: number): TokenKind {
    const sql = this.sql;
    while (j < sql.length && isWord(sql.charCodeAt(j))) j++;
    this.wordHash = hashWord(sql, i, j);
    this.cachedValue = undefined;
    return this.emit('word', i, j);
  }

  private variable(i: number, c1: number): TokenKind {
    const sql = this.sql;
    const len = sql.length;
    if (c1 === QUOTE || c1 === DQUOTE || c1 === BACKTICK) {
      const kind = this.quoted(i, i + 1, c1, 'variable');
      if (kind === 'variable') this.cachedValue = undefined;
      return kind;
    }
    let j = i + 1;
    if (c1 === 0x40) j++; // @@system_var
    const nameStart = j;
    while (j < len) {
      const c = sql.charCodeAt(j);
      if (!isWord(c) && c !== 0x2e) break;
      j++;
    }
    if (j === nameStart) {
      this.emit('punct', i, i + 1);
      this.cachedValue = '@';
      return 'punct';
    }
    this.cachedValue = undefined;
    return this.emit('variable', i, j);
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** ASCII lowercase to uppercase; everything else unchanged. */
function fold(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

/** The case-insensitive hash {@link Lexer.wordHash} of `text.slice(start, end)`. */
export function hashWord(text: string, start = 0, end = text.length): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ fold(text.charCodeAt(i)), FNV_PRIME);
  return hash;
}

/**
 * A case-insensitive word -> T table looked up with the lexer's current word, without
 * allocating a string for it (open addressing over {@link Lexer.wordHash}).
 */
export class KeywordTable<T> {
  private readonly keys: (string | undefined)[];
  private readonly hashes: Int32Array;
  private readonly values: (T | undefined)[];
  private readonly mask: number;

  /** `entries` keys must be uppercase ASCII words. */
  constructor(entries: Iterable<readonly [string, T]>) {
    const list = [...entries];
    let size = 16;
    while (size < list.length * 3) size *= 2;
    this.mask = size - 1;
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.hashes = new Int32Array(size);
    this.values = new Array<T | undefined>(size).fill(undefined);
    for (const [key, value] of list) {
      const hash = hashWord(key);
      let slot = hash & this.mask;
      while (this.keys[slot] !== undefined && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.hashes[slot] = hash;
      this.values[slot] = value;
    }
  }

  /** The entry for the lexer's current token if it is a word in the table. */
  get(lex: Lexer): T | undefined {
    if (lex.kind !== 'word') return undefined;
    const hash = lex.wordHash;
    const { start, end, sql } = lex;
    const length = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === length && sameWord(sql, start, key))
        return this.values[slot];
    }
  }

  /** The entry for an uppercase word. */
  getWord(word: string): T | undefined {
    const hash = hashWord(word);
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (key === word) return this.values[slot];
    }
  }
}

function sameWord(sql: string, start: number, key: string): boolean {
  for (let k = 0; k < key.length; k++) {
    if (fold(sql.charCodeAt(start + k)) !== key.charCodeAt(k)) return false;
  }
  return true;
}

/** All tokens of `sql`, ending with the `error` token if there is one (never `eof`). */
export function* tokenize(sql: string, options: LexerOptions = {}): Generator<Token> {
  const lex = new Lexer(sql, options);
  for (;;) {
    const kind = lex.next();
    if (kind === 'eof') return;
    yield { kind, value: lex.value, text: lex.text(), start: lex.start, end: lex.end };
    if (kind === 'error') return;
  }
}
