/**
 * Result rows: mysql2 row arrays to `Value` wire objects, exactly.
 *
 * A decoder is compiled once per result from its column definitions (one cell decoder per
 * column), and expects rows produced with the options exported here:
 *
 * - binary protocol (`execute(sql, values)`): {@link DRIVER_CONNECTION_OPTIONS} on the
 *   connection, nothing per statement; integers arrive as numbers (up to 32 bits) or
 *   decimal strings (BIGINT), FLOAT/DOUBLE as numbers (exact: mysql2 reads the IEEE bytes),
 *   DECIMAL/temporal/JSON/text as strings, binary columns as Buffers. GEOMETRY (and MySQL's
 *   VECTOR) need {@link binaryTypeCast}, see {@link needsBinaryTypeCast}.
 * - text protocol (`query`): {@link TEXT_RESULT_OPTIONS} (`typeCast: false`), so every cell is
 *   the server's own text as a Buffer and nothing is lost in mysql2's number parsing.
 */
import { TextDecoder } from 'node:util';
import type { TypeCast } from 'mysql2';
import { Code, GatewayError } from '../errors.js';
import {
  BINARY_CHARSET,
  type DriverField,
  fieldFlags,
  fieldType,
  isBytesColumn,
  FieldFlag,
  MysqlType,
} from './mysql-types.js';
import { Cell, type RowPlan } from '../wire/row-encoding.js';
import type { WireValue } from './wire.js';

/**
 * mysql2 connection options the decoder relies on: the binary protocol's result options live
 * here, so statements run as `execute(sql, values)` (mysql2's per-call merging of an options
 * object was a measurable part of the gateway's CPU per statement), and no query on the
 * connection ever builds a Date or a rounded number. Do not add `typeCast` (a connection-level
 * typeCast function overrides the text protocol's per-statement `typeCast: false`).
 */
export const DRIVER_CONNECTION_OPTIONS = Object.freeze({
  /** utf8mb4 for parameters and results (mysql2's default collation, 224). */
  charset: 'UTF8MB4_UNICODE_CI',
  supportBigNumbers: true,
  bigNumberStrings: true,
  /** DATE/DATETIME/TIMESTAMP as strings: no Date, no time zone, zero dates kept. */
  dateStrings: true,
  decimalNumbers: false,
  /** JSON as its text (MySQL's JSON type; MariaDB's JSON is LONGTEXT anyway). */
  jsonStrings: true,
  /** Rows as arrays in column order (what the row decoder reads). */
  rowsAsArray: true,
  multipleStatements: false,
});

/** Per-statement options for `connection.query` (text protocol): raw cell bytes. */
export const TEXT_RESULT_OPTIONS = Object.freeze({
  rowsAsArray: true,
  typeCast: false,
});

/**
 * typeCast for the binary protocol when {@link needsBinaryTypeCast}: GEOMETRY and VECTOR as
 * their raw bytes (mysql2 otherwise parses GEOMETRY into {x, y} objects, dropping the SRID).
 * Do not pass it for other results: mysql2 then builds a wrapper object per cell, which made
 * binary-protocol row parsing about 10x slower in our measurements.
 */
export const binaryTypeCast: TypeCast = (field, next) =>
  field.type === 'GEOMETRY' || field.type === 'VECTOR' ? field.buffer() : next();

/**
 * The result has a column that needs {@link binaryTypeCast} in the binary protocol. mysql2 emits
 * `fields` on the Execute command before it compiles the row parser, so a `fields` listener can
 * set `command.options.typeCast = binaryTypeCast` when this returns true.
 */
export function needsBinaryTypeCast(fields: readonly DriverField[]): boolean {
  for (const field of fields) {
    const type = fieldType(field);
    if (type === MysqlType.GEOMETRY || type === MysqlType.VECTOR) return true;
  }
  return false;
}

/** The shared SQL NULL value (frozen: decoders hand out the same object for every NULL cell). */
export const NULL_VALUE: WireValue = Object.freeze({ null_value: 'NULL_VALUE' });

/** Decodes one row (an array, as produced with `rowsAsArray: true`). */
export type RowDecoder = (row: unknown) => WireValue[];

type CellDecoder = (value: unknown, column: number) => WireValue;

/**
 * Compiles the row decoder for one result. `protocol` says how the rows were read: 'binary'
 * (`execute` on a connection with {@link DRIVER_CONNECTION_OPTIONS}) or 'text' (`query` with
 * {@link TEXT_RESULT_OPTIONS}).
 */
export function compileRowDecoder(fields: readonly DriverField[], protocol: 'binary' | 'text'): RowDecoder {
  const decoders = fields.map((field) => (protocol === 'binary' ? binaryCell(field) : textCell(field)));
  const count = decoders.length;
  return (row) => {
    if (!Array.isArray(row) || row.length !== count) {
      throw new GatewayError(
        Code.INTERNAL,
        'DRIVER_ROW_SHAPE',
        `driver row is not an array of ${count} cells`,
      );
    }
    const out = new Array<WireValue>(count);
    for (let i = 0; i < count; i++) {
      const value: unknown = row[i];
      out[i] = value === null || value === undefined ? NULL_VALUE : decoders[i]!(value, i);
    }
    return out;
  };
}

/**
 * The row writer's plan for one result (see {@link RowPlan}): per column, the cell kind the
 * driver gives, so the common cells are encoded without a `Value` object, and the column's decoder
 * for every other cell. Text-protocol cells always go through their decoders.
 */
export function compileRowPlan(fields: readonly DriverField[], protocol: 'binary' | 'text'): RowPlan {
  const decoders = fields.map((field) => (protocol === 'binary' ? binaryCell(field) : textCell(field)));
  const kinds = Uint8Array.from(decoders, (d) =>
    protocol === 'binary' ? (BINARY_KINDS.get(d) ?? Cell.DECODE) : Cell.DECODE,
  );
  return { kinds, decoders };
}

/** Column types mysql2's binary row parser reads by the column's character set. */
const TEXT_TYPES: ReadonlySet<number> = new Set([
  MysqlType.VARCHAR,
  MysqlType.ENUM,
  MysqlType.SET,
  MysqlType.TINY_BLOB,
  MysqlType.MEDIUM_BLOB,
  MysqlType.LONG_BLOB,
  MysqlType.BLOB,
  MysqlType.VAR_STRING,
  MysqlType.STRING,
]);

/**
 * Has mysql2 hand out the binary protocol's UTF-8 text cells as the bytes the server sent rather
 * than as strings, for a sink that only re-encodes them (the row writer's {@link Cell.TEXT} checks
 * and copies the bytes; decoding to a string and encoding it back was a fifth of the gateway's
 * CPU per streamed row). mysql2 compiles its row parser after the `fields` event, from the
 * columns' character sets: call this from that event, after the result's shape was taken from
 * the fields as they came. Marks each utf8mb4 text column binary; JSON is left alone.
 */
export function readTextAsBytes(fields: readonly DriverField[]): void {
  for (const field of fields) {
    if (field.encoding === 'utf8' && field.extendedFormat !== 'json' && TEXT_TYPES.has(fieldType(field))) {
      (field as { characterSet?: number }).characterSet = BINARY_CHARSET;
    }
  }
}

function mismatch(column: number, expected: string): GatewayError {
  return new GatewayError(
    Code.INTERNAL,
    'DRIVER_VALUE_MISMATCH',
    `column ${column + 1}: driver returned an unexpected value, expected ${expected}; check the mysql2 result options`,
  );
}

// ---- binary protocol: mysql2's typed values ----

function binaryCell(field: DriverField): CellDecoder {
  const type = fieldType(field);
  if (field.extendedFormat === 'json') return stringCell;
  const unsigned = (fieldFlags(field) & FieldFlag.UNSIGNED) !== 0;
  switch (type) {
    case MysqlType.TINY:
    case MysqlType.SHORT:
    case MysqlType.INT24:
    case MysqlType.LONG:
    case MysqlType.LONGLONG:
      return unsigned ? binaryUint : binaryInt;
    case MysqlType.YEAR:
      return binaryInt;
    case MysqlType.FLOAT:
    case MysqlType.DOUBLE:
      return binaryDouble;
    case MysqlType.NULL:
      return () => NULL_VALUE;
    case MysqlType.DATETIME:
    case MysqlType.TIMESTAMP: {
      const decimals = field.decimals;
      if (decimals < 1 || decimals > 6) return stringCell;
      const zeros = FRACTION_ZEROS[decimals]!;
      // mysql2 leaves out the fraction when the server sent none (whole seconds, zero dates).
      return (value, column) => {
        if (typeof value !== 'string') throw mismatch(column, 'a date string (dateStrings: true)');
        return { string_value: value.length === 19 ? value + zeros : value };
      };
    }
    case MysqlType.TIME: {
      const decimals = field.decimals;
      if (decimals < 1 || decimals > 6) return stringCell;
      // mysql2 strips the fraction's trailing zeros: '123:45:06.5' for TIME(6) '123:45:06.500000'.
      return (value, column) => {
        if (typeof value !== 'string') throw mismatch(column, 'a time string');
        return { string_value: padFraction(value, decimals) };
      };
    }
  }
  if (isBytesColumn(field)) {
    if (type === MysqlType.GEOMETRY || type === MysqlType.VECTOR) return geometryCell;
    return bytesCell;
  }
  // DECIMAL, DATE, JSON, ENUM, SET, text: strings already decoded by mysql2.
  return stringCell;
}

const FRACTION_ZEROS = ['', '.0', '.00', '.000', '.0000', '.00000', '.000000'];

function padFraction(time: string, decimals: number): string {
  const dot = time.indexOf('.');
  if (dot < 0) return time + FRACTION_ZEROS[decimals]!;
  const missing = decimals - (time.length - dot - 1);
  return missing > 0 ? time + '000000'.slice(0, missing) : time;
}

function integerText(value: unknown, column: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value);
    throw new GatewayError(
      Code.DATA_LOSS,
      'DRIVER_PRECISION_LOSS',
      `column ${column + 1}: the driver returned an integer beyond 2^53 as a number (bigNumberStrings: true is required)`,
    );
  }
  if (typeof value === 'bigint') return value.toString();
  throw mismatch(column, 'an integer');
}

const binaryInt: CellDecoder = (value, column) => ({ int64_value: integerText(value, column) });
const binaryUint: CellDecoder = (value, column) => ({ uint64_value: integerText(value, column) });

const binaryDouble: CellDecoder = (value, column) => {
  if (typeof value !== 'number') throw mismatch(column, 'a number');
  return { double_value: value };
};

const stringCell: CellDecoder = (value, column) => {
  if (typeof value !== 'string') throw mismatch(column, 'a string');
  return { string_value: value };
};

const bytesCell: CellDecoder = (value, column) => {
  if (!Buffer.isBuffer(value)) throw mismatch(column, 'a Buffer');
  return { bytes_value: value };
};

const geometryCell: CellDecoder = (value, column) => {
  if (!Buffer.isBuffer(value)) throw mismatch(column, 'GEOMETRY/VECTOR bytes (binaryTypeCast)');
  return { bytes_value: value };
};

/** Binary-protocol cell decoders whose cells the row writer encodes itself, and as what. */
const BINARY_KINDS: ReadonlyMap<CellDecoder, number> = new Map([
  [binaryInt, Cell.INT64],
  [binaryUint, Cell.UINT64],
  [binaryDouble, Cell.DOUBLE],
  [stringCell, Cell.TEXT],
  [bytesCell, Cell.BYTES],
]);

// ---- text protocol: raw cell bytes (typeCast: false) ----

function textCell(field: DriverField): CellDecoder {
  const type = fieldType(field);
  if (field.extendedFormat === 'json') return textString(field);
  const unsigned = (fieldFlags(field) & FieldFlag.UNSIGNED) !== 0;
  switch (type) {
    case MysqlType.TINY:
    case MysqlType.SHORT:
    case MysqlType.INT24:
    case MysqlType.LONG:
    case MysqlType.LONGLONG:
      return unsigned ? textUint : textInt;
    case MysqlType.YEAR:
      return textInt;
    case MysqlType.FLOAT:
      // The server prints a FLOAT's shortest text; rounding it to binary32 gives back the
      // stored float, as the binary protocol does (MariaDB prints at most 6 digits, though).
      return (value, column) => ({ double_value: Math.fround(parseDouble(ascii(value, column), column)) });
    case MysqlType.DOUBLE:
      return (value, column) => ({ double_value: parseDouble(ascii(value, column), column) });
    case MysqlType.NULL:
      return () => NULL_VALUE;
    case MysqlType.DECIMAL:
    case MysqlType.NEWDECIMAL:
    case MysqlType.DATE:
    case MysqlType.NEWDATE:
    case MysqlType.DATETIME:
    case MysqlType.TIMESTAMP:
    case MysqlType.TIME:
      return (value, column) => ({ string_value: ascii(value, column) });
  }
  if (isBytesColumn(field)) return bytesCell;
  // MySQL's JSON type is sent with the binary charset but holds utf8mb4 text.
  return textString(field);
}

function ascii(value: unknown, column: number): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'string') return value;
  throw mismatch(column, 'raw text bytes (typeCast: false)');
}

/** Server integer text to canonical decimal: ZEROFILL columns send leading zeros ('00042'). */
function canonicalInteger(text: string): string {
  const first = text.charCodeAt(0);
  if (text.length > 1 && (first === 0x30 || (first === 0x2d && text.charCodeAt(1) === 0x30))) {
    return BigInt(text).toString();
  }
  return text;
}

const textInt: CellDecoder = (value, column) => ({ int64_value: canonicalInteger(ascii(value, column)) });
const textUint: CellDecoder = (value, column) => ({ uint64_value: canonicalInteger(ascii(value, column)) });

function parseDouble(text: string, column: number): number {
  const n = Number(text);
  if (!Number.isNaN(n) && text.length > 0) return n;
  switch (text.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default:
      throw mismatch(column, 'a floating-point number');
  }
}

/** mysql2 encoding names that are not WHATWG encoding labels. */
const ENCODING_LABELS: ReadonlyMap<string, string> = new Map([
  ['ucs2', 'utf-16be'],
  ['utf16', 'utf-16be'],
  ['utf16-le', 'utf-16le'],
  ['euckr', 'euc-kr'],
  ['eucjp', 'euc-jp'],
  ['eucjpms', 'euc-jp'],
  ['koi8r', 'koi8-r'],
  ['koi8u', 'koi8-u'],
  ['cp932', 'shift_jis'],
  ['tis620', 'windows-874'],
  ['latin5', 'windows-1254'],
  ['latin7', 'iso-8859-13'],
  ['macroman', 'macintosh'],
]);

/**
 * MySQL's latin1 is Windows-1252 (with 0x81, 0x8D, 0x8F, 0x90, 0x9D passed through); Node's
 * TextDecoder decodes 'windows-1252' as ISO-8859-1, so 0x80..0x9F are mapped here.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

function decodeLatin1(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  if (!/[\u0080-\u009f]/.test(text)) return text;
  return text.replace(/[\u0080-\u009f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]!));
}

function textString(field: DriverField): CellDecoder {
  const encoding = field.encoding ?? 'utf8';
  let decode: (bytes: Buffer) => string;
  if (encoding === 'utf8' || encoding === 'cesu8' || encoding === 'binary') {
    // utf8mb3 is 'cesu8' in mysql2; its bytes are valid UTF-8.
    decode = (bytes) => bytes.toString('utf8');
  } else if (encoding === 'latin1') {
    decode = decodeLatin1;
  } else {
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(ENCODING_LABELS.get(encoding) ?? encoding);
    } catch {
      throw new GatewayError(
        Code.INTERNAL,
        'UNSUPPORTED_RESULT_CHARSET',
        `column ${field.name}: result character set ${encoding} cannot be decoded; use utf8mb4 results`,
      );
    }
    decode = (bytes) => decoder.decode(bytes);
  }
  return (value, column) => {
    if (Buffer.isBuffer(value)) return { string_value: decode(value) };
    if (typeof value === 'string') return { string_value: value };
    throw mismatch(column, 'raw text bytes');
  };
}
