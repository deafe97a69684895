import test from 'ava';
import {
  hashWord,
  KeywordTable,
  Lexer,
  type LexerOptions,
  type TokenKind,
  tokenize,
} from '../../../src/sql/lexer.js';

/** Tokens as [kind, text] pairs. */
function lex(sql: string, options?: LexerOptions): [TokenKind, string][] {
  return [...tokenize(sql, options)].map((t) => [t.kind, t.text]);
}

interface Case {
  readonly sql: string;
  readonly tokens: [TokenKind, string][];
  readonly options?: LexerOptions;
  readonly title?: string;
}

const CASES: Case[] = [
  {
    sql: 'SELECT a, b FROM t WHERE id = ?;',
    tokens: [
      ['word', 'SELECT'],
      ['word', 'a'],
      ['punct', ','],
      ['word', 'b'],
      ['word', 'FROM'],
      ['word', 't'],
      ['word', 'WHERE'],
      ['word', 'id'],
      ['punct', '='],
      ['placeholder', '?'],
      ['semicolon', ';'],
    ],
  },
  // whitespace: all six ASCII kinds separate tokens
  { sql: 'a\tb\nc\rd\ve\ff g', tokens: 'abcdefg'.split('').map((w) => ['word', w] as [TokenKind, string]) },
  // U+00A0 and other non-ASCII characters are identifier characters, as in the server
  { sql: 'SELECT\u00a01', tokens: [['word', 'SELECT\u00a01']] },
  {
    sql: 'SELECT é, 😀x FROM t',
    tokens: [
      ['word', 'SELECT'],
      ['word', 'é'],
      ['punct', ','],
      ['word', '😀x'],
      ['word', 'FROM'],
      ['word', 't'],
    ],
  },
  // strings: backslash escapes, doubled quotes, both quote kinds
  {
    sql: '\'it\'\'s\' \'a\\\'b\' "x\\"y" "q""q"',
    tokens: [
      ['string', "'it''s'"],
      ['string', "'a\\'b'"],
      ['string', '"x\\"y"'],
      ['string', '"q""q"'],
    ],
  },
  {
    sql: "'a\\\\' b",
    tokens: [
      ['string', "'a\\\\'"],
      ['word', 'b'],
    ],
  },
  {
    sql: "'' ''",
    tokens: [
      ['string', "''"],
      ['string', "''"],
    ],
  },
  // NO_BACKSLASH_ESCAPES: the backslash is an ordinary character
  {
    sql: "'a\\' b",
    options: { noBackslashEscapes: true },
    tokens: [
      ['string', "'a\\'"],
      ['word', 'b'],
    ],
  },
  // ANSI_QUOTES: double quotes delimit identifiers (no backslash escapes there)
  {
    sql: '"a\\" FROM t',
    options: { ansiQuotes: true },
    tokens: [
      ['quoted_identifier', '"a\\"'],
      ['word', 'FROM'],
      ['word', 't'],
    ],
  },
  // quoted identifiers with doubled backticks; keywords inside are not words
  {
    sql: '`se``lect` `FOR UPDATE`',
    tokens: [
      ['quoted_identifier', '`se``lect`'],
      ['quoted_identifier', '`FOR UPDATE`'],
    ],
  },
  // literal prefixes
  {
    sql: "X'0aFF' x'' B'101' b'0' N'näme' n'x'",
    tokens: [
      ['number', "X'0aFF'"],
      ['number', "x''"],
      ['number', "B'101'"],
      ['number', "b'0'"],
      ['string', "N'näme'"],
      ['string', "n'x'"],
    ],
  },
  {
    sql: "_utf8mb4'text' _binary 'x'",
    tokens: [
      ['string', "_utf8mb4'text'"],
      ['word', '_binary'],
      ['string', "'x'"],
    ],
  },
  // numbers
  {
    sql: '12 1.5 .5 1e10 1.5E-3 2e+7 0x1F 0b101 0',
    tokens: [
      ['number', '12'],
      ['number', '1.5'],
      ['number', '.5'],
      ['number', '1e10'],
      ['number', '1.5E-3'],
      ['number', '2e+7'],
      ['number', '0x1F'],
      ['number', '0b101'],
      ['number', '0'],
    ],
  },
  // identifiers may start with digits; 0x followed by a non-hex letter is an identifier
  {
    sql: '1abc 2e 0xyz 123_',
    tokens: [
      ['word', '1abc'],
      ['word', '2e'],
      ['word', '0xyz'],
      ['word', '123_'],
    ],
  },
  // qualified names: t.5 is not the number .5
  {
    sql: 't.5 db.t',
    tokens: [
      ['word', 't'],
      ['punct', '.'],
      ['number', '5'],
      ['word', 'db'],
      ['punct', '.'],
      ['word', 't'],
    ],
  },
  {
    sql: '1-2',
    tokens: [
      ['number', '1'],
      ['punct', '-'],
      ['number', '2'],
    ],
  },
  // comments
  {
    sql: 'a -- comment\nb',
    tokens: [
      ['word', 'a'],
      ['word', 'b'],
    ],
  },
  {
    sql: 'a --\tcomment\nb',
    tokens: [
      ['word', 'a'],
      ['word', 'b'],
    ],
  },
  { sql: 'a --', tokens: [['word', 'a']], title: 'dash dash at the end is a comment' },
  // `--` without whitespace is two minus signs
  {
    sql: '5--3',
    tokens: [
      ['number', '5'],
      ['punct', '-'],
      ['punct', '-'],
      ['number', '3'],
    ],
  },
  {
    sql: "a # comment ? '\nb",
    tokens: [
      ['word', 'a'],
      ['word', 'b'],
    ],
  },
  {
    sql: "a /* c ? ' */ b /**/ c",
    tokens: [
      ['word', 'a'],
      ['word', 'b'],
      ['word', 'c'],
    ],
  },
  // optimizer hints are comments to the lexer
  {
    sql: 'SELECT /*+ MAX_EXECUTION_TIME(1) */ 1',
    tokens: [
      ['word', 'SELECT'],
      ['number', '1'],
    ],
  },
  // executable comments are code
  {
    sql: 'SELECT /*! FOR UPDATE */',
    tokens: [
      ['word', 'SELECT'],
      ['word', 'FOR'],
      ['word', 'UPDATE'],
    ],
  },
  {
    sql: 'SELECT /*!50000 FOR UPDATE*/ x',
    tokens: [
      ['word', 'SELECT'],
      ['word', 'FOR'],
      ['word', 'UPDATE'],
      ['word', 'x'],
    ],
  },
  {
    sql: 'SELECT /*!100100 ? */',
    tokens: [
      ['word', 'SELECT'],
      ['placeholder', '?'],
    ],
  },
  {
    sql: 'SELECT /*M!100500 1 */',
    tokens: [
      ['word', 'SELECT'],
      ['number', '1'],
    ],
  },
  {
    sql: "/*!40101 SET x = '*/' */",
    tokens: [
      ['word', 'SET'],
      ['word', 'x'],
      ['punct', '='],
      ['string', "'*/'"],
    ],
  },
  {
    sql: '/*! a /* inner */ b */ c',
    tokens: [
      ['word', 'a'],
      ['word', 'b'],
      ['word', 'c'],
    ],
  },
  // outside an executable comment */ is just punctuation
  {
    sql: 'a */ b',
    tokens: [
      ['word', 'a'],
      ['punct', '*'],
      ['punct', '/'],
      ['word', 'b'],
    ],
  },
  // variables
  {
    sql: "@a @@autocommit @@session.tx_isolation @'q x' @`b` @ :=",
    tokens: [
      ['variable', '@a'],
      ['variable', '@@autocommit'],
      ['variable', '@@session.tx_isolation'],
      ['variable', "@'q x'"],
      ['variable', '@`b`'],
      ['punct', '@'],
      ['punct', ':='],
    ],
  },
  {
    sql: 'a:=1',
    tokens: [
      ['word', 'a'],
      ['punct', ':='],
      ['number', '1'],
    ],
  },
  // errors end the walk
  {
    sql: "SELECT 'abc",
    tokens: [
      ['word', 'SELECT'],
      ['error', "'abc"],
    ],
  },
  {
    sql: 'SELECT "abc\\"',
    tokens: [
      ['word', 'SELECT'],
      ['error', '"abc\\"'],
    ],
  },
  {
    sql: 'SELECT `abc',
    tokens: [
      ['word', 'SELECT'],
      ['error', '`abc'],
    ],
  },
  {
    sql: "SELECT X'ab",
    tokens: [
      ['word', 'SELECT'],
      ['error', "X'ab"],
    ],
  },
  {
    sql: 'SELECT 1 /* open',
    tokens: [
      ['word', 'SELECT'],
      ['number', '1'],
      ['error', '/* open'],
    ],
  },
  {
    sql: 'SELECT /*! 1',
    tokens: [
      ['word', 'SELECT'],
      ['number', '1'],
      ['error', ''],
    ],
  },
  { sql: '', tokens: [] },
  { sql: ' \n -- only a comment', tokens: [] },
];

for (const [i, c] of CASES.entries()) {
  test(`lexes ${c.title ?? JSON.stringify(c.sql)}${c.options ? ` ${JSON.stringify(c.options)}` : ''} #${i}`, (t) => {
    t.deepEqual(lex(c.sql, c.options), c.tokens);
  });
}

test('words carry their uppercased value, punctuation its text, literals none', (t) => {
  const tokens = [...tokenize("select Ünïcode, `MiXed`, 'str', @v, @@Session.AutoCommit ( 1")];
  t.deepEqual(
    tokens.map((x) => x.value),
    ['SELECT', 'ÜNÏCODE', ',', '', ',', '', ',', '@V', ',', '@@SESSION.AUTOCOMMIT', '(', ''],
  );
});

test('error tokens say what was unterminated', (t) => {
  const messages = ["'a", '`a', '/* a', '/*!50000 a'].map((sql) => {
    const lexer = new Lexer(sql);
    while (lexer.next() !== 'error') {
      if (lexer.kind === 'eof') return 'no error';
    }
    return lexer.error;
  });
  t.deepEqual(messages, [
    'unterminated string',
    'unterminated quoted identifier',
    'unterminated comment',
    'unterminated executable comment',
  ]);
});

test('after an error the lexer only returns eof', (t) => {
  const lexer = new Lexer("'x");
  t.is(lexer.next(), 'error');
  t.is(lexer.next(), 'eof');
  t.is(lexer.next(), 'eof');
});

test('comment tokens are reported on request, executable comment markers never', (t) => {
  t.deepEqual(lex('a /* c */ b -- d\n#e\n/*!1 x */', { comments: true }), [
    ['word', 'a'],
    ['comment', '/* c */'],
    ['word', 'b'],
    ['comment', '-- d'],
    ['comment', '#e'],
    ['number', '1'],
    ['word', 'x'],
  ]);
});

test('identifier() unquotes quoted identifiers and keeps the case of words', (t) => {
  const names: string[] = [];
  const lexer = new Lexer('`a``b` MyTable "x""y"', { ansiQuotes: true });
  while (lexer.next() !== 'eof') names.push(lexer.identifier());
  t.deepEqual(names, ['a`b', 'MyTable', 'x"y']);
});

test('tokens report their UTF-16 offsets', (t) => {
  const tokens = [...tokenize('😀 ab')];
  t.deepEqual(
    tokens.map((x) => [x.start, x.end]),
    [
      [0, 2],
      [3, 5],
    ],
  );
});

test('KeywordTable finds words case-insensitively without the text', (t) => {
  const table = new KeywordTable([
    ['SELECT', 1],
    ['FOR', 2],
    ['GET_LOCK', 3],
  ]);
  const found: (number | undefined)[] = [];
  const lexer = new Lexer('select For get_lock selects fo `for` getlock');
  while (lexer.next() !== 'eof') found.push(table.get(lexer));
  t.deepEqual(found, [1, 2, 3, undefined, undefined, undefined, undefined]);
  t.is(table.getWord('FOR'), 2);
  t.is(table.getWord('for'), undefined);
});

test('KeywordTable survives hash collisions of many keys', (t) => {
  const words = Array.from({ length: 500 }, (_, i) => `W${i}`);
  const table = new KeywordTable(words.map((w, i) => [w, i] as const));
  t.true(words.every((w, i) => table.getWord(w) === i));
  t.is(hashWord('abc'), hashWord('ABC'));
  t.not(hashWord('abc'), hashWord('abd'));
});
