/**
 * RowBatchBuilder.addCells, which encodes the driver's cells as a result's RowPlan says without
 * decoding them to `Value` objects, against the decoding path it replaces (add of the decoded row,
 * whose bytes test/unit/wire/response-codec compares with protobufjs's).
 */
import test from 'ava';
import { T, UNSIGNED, BINARY, UTF8MB4, driverField } from '../../helpers/driver-fields.js';
import { Code, GatewayError } from '../../../src/errors.js';
import { compileRowDecoder, type DriverField, readTextAsBytes } from '../../../src/sql/values.js';
import { compileRowPlan } from '../../../src/sql/row-decoder.js';
import { RowBatchBuilder } from '../../../src/wire/row-batch-builder.js';
import { Cell } from '../../../src/wire/row-encoding.js';
import { prng } from '../../helpers/prng.js';

const field = driverField;

function viaCells(fields: readonly DriverField[], rows: readonly unknown[][]): Buffer {
  const plan = compileRowPlan(fields, 'binary');
  const b = new RowBatchBuilder();
  for (const row of rows) b.addCells(row, plan);
  return Buffer.from(b.take().bytes);
}

function viaDecode(fields: readonly DriverField[], rows: readonly unknown[][]): Buffer {
  const decode = compileRowDecoder(fields, 'binary');
  const b = new RowBatchBuilder();
  for (const row of rows) b.add(decode(row));
  return Buffer.from(b.take().bytes);
}

/** Columns with the cells mysql2 gives for them in the binary protocol (DRIVER_CONNECTION_OPTIONS). */
const COLUMNS: [DriverField, (rnd: () => number) => unknown][] = [
  [field(T.LONG), (r) => Math.floor(r() * 2 ** 32) - 2 ** 31],
  [field(T.LONG, { flags: UNSIGNED }), (r) => Math.floor(r() * 2 ** 32)],
  [field(T.TINY), (r) => Math.floor(r() * 256) - 128],
  [field(T.YEAR, { flags: UNSIGNED }), (r) => 1901 + Math.floor(r() * 255)],
  [
    field(T.LONGLONG),
    (r) =>
      r() < 0.5 ? String(BigInt(Math.floor(r() * 2 ** 53)) * 1024n - 2n ** 62n) : Math.floor(r() * 1e6) - 5e5,
  ],
  [
    field(T.LONGLONG, { flags: UNSIGNED }),
    (r) => (r() < 0.5 ? String(2n ** 64n - 1n - BigInt(Math.floor(r() * 1e9))) : Math.floor(r() * 1e9)),
  ],
  [
    field(T.DOUBLE, { decimals: 31 }),
    (r) => [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e308, 5e-324, r() * 1e6 - 5e5][Math.floor(r() * 7)],
  ],
  [field(T.FLOAT, { decimals: 31 }), (r) => Math.fround(r() * 100)],
  [field(T.NEWDECIMAL, { decimals: 2 }), (r) => (r() * 1e6 - 5e5).toFixed(2)],
  [
    field(T.DATETIME, { decimals: 3 }),
    (r) => (r() < 0.5 ? '2026-12-06 08:00:00' : '2026-12-06 08:00:00.125'),
  ],
  [
    field(T.VAR_STRING),
    (r) =>
      ['', 'a', 'héllo', '€'.repeat(40), 'x'.repeat(200), '\u{1F600}', 'lone \ud800'][Math.floor(r() * 7)],
  ],
  [
    field(T.BLOB, { characterSet: BINARY, encoding: 'binary' }),
    (r) => Buffer.from(Array.from({ length: Math.floor(r() * 70) }, () => Math.floor(r() * 256))),
  ],
  [field(T.BLOB, { extendedFormat: 'json' }), () => '{"k": "ü"}'],
];

test('addCells writes the bytes add() writes for the decoded row, over random rows of every cell kind, NULLs included', (t) => {
  const rnd = prng(20261206);
  for (let i = 0; i < 300; i++) {
    const picked = Array.from(
      { length: 1 + Math.floor(rnd() * 8) },
      () => COLUMNS[Math.floor(rnd() * COLUMNS.length)]!,
    );
    const fields = picked.map(([f]) => f);
    const rows = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () =>
      picked.map(([, make]) => (rnd() < 0.1 ? null : make(rnd))),
    );
    t.true(
      viaCells(fields, rows).equals(viaDecode(fields, rows)),
      JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
  }
});

test('text cells given as bytes (readTextAsBytes) encode as the string they spell; malformed UTF-8 as U+FFFD', (t) => {
  const fields = [field(T.VAR_STRING), field(T.STRING)];
  const texts = ['', 'plain ascii', 'héllo €', '\u{1F600} 𝄞', 'x'.repeat(300)];
  for (const s of texts) {
    const asBytes = viaCells(fields, [[Buffer.from(s, 'utf8'), s]]);
    t.true(asBytes.equals(viaDecode(fields, [[s, s]])), s);
  }
  // 0xff never occurs in UTF-8, 0xc3 starts a sequence it does not finish, 0xed 0xa0 0x80 is a surrogate.
  for (const bad of [[0x61, 0xff, 0x62], [0xc3], [0xed, 0xa0, 0x80]]) {
    const bytes = Buffer.from(bad);
    const replaced = new TextDecoder().decode(bytes); // WHATWG: each maximal bad subpart → U+FFFD
    t.true(replaced.includes('\ufffd'));
    t.true(viaCells(fields, [[bytes, replaced]]).equals(viaDecode(fields, [[replaced, replaced]])));
  }
});

test('a cell the driver should not give fails as decoding it does (same code and message)', (t) => {
  const cases: [DriverField, unknown][] = [
    [field(T.LONGLONG), 2 ** 60],
    [field(T.LONG), 'not a number'],
    [field(T.DOUBLE), '1.5'],
    [field(T.VAR_STRING), 42],
    [field(T.BLOB, { characterSet: BINARY, encoding: 'binary' }), 'text'],
    [field(T.GEOMETRY), { x: 1, y: 2 }],
  ];
  for (const [f, cell] of cases) {
    const decoding = t.throws(() => viaDecode([f], [[cell]]), { instanceOf: GatewayError });
    const cells = t.throws(() => viaCells([f], [[cell]]), { instanceOf: GatewayError });
    t.is(cells?.code, decoding?.code);
    t.is(cells?.message, decoding?.message);
  }
  const wrongWidth = t.throws(() => viaCells([field(T.LONG), field(T.LONG)], [[1]]), {
    instanceOf: GatewayError,
  });
  t.is(wrongWidth?.code, Code.INTERNAL);
  t.regex(wrongWidth?.message ?? '', /2 cells/);
  // The builder goes on after a refused row.
  t.true(viaCells([field(T.LONG)], [[5]]).equals(viaDecode([field(T.LONG)], [[5]])));
});

test('readTextAsBytes marks utf8mb4 text columns binary, and nothing else', (t) => {
  const marked = [field(T.VAR_STRING), field(T.STRING), field(T.BLOB), field(T.ENUM), field(T.VARCHAR)];
  const kept = [
    field(T.BLOB, { extendedFormat: 'json' }),
    field(T.VAR_STRING, { characterSet: 8, encoding: 'latin1' }),
    field(T.NEWDECIMAL),
    field(T.LONG),
    field(T.JSON),
    field(T.BLOB, { characterSet: BINARY, encoding: 'binary' }),
  ];
  const before = kept.map((f) => f.characterSet);
  readTextAsBytes([...marked, ...kept]);
  t.deepEqual(
    marked.map((f) => f.characterSet),
    marked.map(() => BINARY),
  );
  t.deepEqual(
    kept.map((f) => f.characterSet),
    before,
  );
  // Every column it marks is one whose plan takes bytes as text.
  t.deepEqual(
    [
      ...compileRowPlan(
        marked.map((f) => ({ ...f, characterSet: UTF8MB4 })),
        'binary',
      ).kinds,
    ],
    marked.map(() => Cell.TEXT),
  );
});
