/**
 * Protobuf encoding of result rows, from wire values (`Row`) or straight from the driver's cells
 * (a {@link RowPlan}): sized into a scratch first, then written. Shared by the row batch builder
 * (row-batch-builder.ts) and the server's hand-written response encoders.
 *
 * The output is standard proto3 encoding of `Row` messages as `RowBatch.rows` (field 1) entries,
 * fields in number order, as protobufjs writes them; test/unit/wire/response-codec compares it
 * with protobufjs's bytes, for wire-row arrays and for built batches, and test/unit/wire/row-cells
 * the cells path with the wire-value path.
 */
import { isUtf8 } from 'node:buffer';
import type { WireValue } from '../sql/wire.js';
import {
  bigVarintSize,
  integerVarint,
  UNHANDLED,
  utf8Size,
  varintSize,
  writeBigVarint,
  writeString,
  writeVarint,
} from './scalars.js';

// Wire types: 0 varint, 1 64-bit, 2 length-delimited.
const TAG_VALUE_NULL = (1 << 3) | 0;
const TAG_VALUE_INT64 = (2 << 3) | 0;
const TAG_VALUE_UINT64 = (3 << 3) | 0;
const TAG_VALUE_DOUBLE = (4 << 3) | 1;
const TAG_VALUE_STRING = (5 << 3) | 2;
const TAG_VALUE_BYTES = (6 << 3) | 2;
/** `Row.values`, `RowBatch.rows`, `ResultMetadata.columns`, `TransactionResponse.request_id`. */
export const TAG_FIELD1_LEN = (1 << 3) | 2;

/**
 * Per-row scratch, by slot (one per value): value kinds, payload sizes of strings and bytes,
 * integer varints (-1 in `ints`: the bigint is in `bigInts`) and doubles, and each string's or
 * bytes' payload (the writer drops it once written).
 */
export class Scratch {
  sizes = new Int32Array(256);
  kinds = new Uint8Array(256);
  ints = new Float64Array(256);
  readonly refs: unknown[] = [];
  readonly bigInts = new Map<number, bigint>();

  ensure(n: number): void {
    if (this.sizes.length < n) {
      const length = Math.max(n, this.sizes.length * 2);
      this.sizes = new Int32Array(length);
      this.kinds = new Uint8Array(length);
      this.ints = new Float64Array(length);
    }
  }

  setInt(slot: number, z: number | bigint): number {
    if (typeof z === 'number') {
      this.ints[slot] = z;
      return varintSize(z);
    }
    this.ints[slot] = -1;
    this.bigInts.set(slot, z);
    return bigVarintSize(z);
  }

  clear(): void {
    if (this.bigInts.size > 0) this.bigInts.clear();
  }

  /** After a failed sizing: drops every payload still held. */
  reset(): void {
    this.clear();
    this.refs.length = 0;
  }
}

/** A row as the row decoder gives it. */
export type Row = { readonly values: readonly WireValue[] };

const KIND_NULL = 0;
const KIND_INT64 = 1;
const KIND_UINT64 = 2;
const KIND_DOUBLE = 3;
/** A JS string, written as UTF-8. */
const KIND_STRING = 4;
const KIND_BYTES = 5;
/** `string_value` from bytes already UTF-8 (checked): copied as they are. */
const KIND_UTF8 = 6;

/** Which field of a Value is set (the row decoder sets exactly one). */
function kindOf(v: Record<string, unknown>): number {
  if (v.string_value !== undefined) return KIND_STRING;
  if (v.int64_value !== undefined) return KIND_INT64;
  if (v.uint64_value !== undefined) return KIND_UINT64;
  if (v.double_value !== undefined) return KIND_DOUBLE;
  if (v.bytes_value !== undefined) return KIND_BYTES;
  if (v.null_value === 'NULL_VALUE' || v.null_value === 0) return KIND_NULL;
  throw UNHANDLED;
}

/** Size of a `Value` holding a string or bytes payload of `n` bytes, as a `Row.values` entry. */
function lengthDelimitedEntry(n: number): number {
  const value = 1 + varintSize(n) + n;
  return 1 + varintSize(value) + value;
}

/** Size of a `Value` with a varint payload of `z`, as a `Row.values` entry. */
function varintEntry(scratch: Scratch, slot: number, z: number | bigint): number {
  return 3 + scratch.setInt(slot, z);
}

/**
 * Sizes one wire value into `slot` of `scratch` (its kind, payload size and payload); returns its
 * size as a `Row.values` entry. Throws {@link UNHANDLED} for a value it cannot encode.
 */
function sizeValue(v: Record<string, unknown>, scratch: Scratch, slot: number): number {
  const kind = kindOf(v);
  scratch.kinds[slot] = kind;
  switch (kind) {
    case KIND_STRING: {
      const str = v.string_value;
      if (typeof str !== 'string') throw UNHANDLED;
      const n = utf8Size(str);
      scratch.sizes[slot] = n;
      scratch.refs[slot] = str;
      return lengthDelimitedEntry(n);
    }
    case KIND_INT64:
      return varintEntry(scratch, slot, integerVarint(v.int64_value, true));
    case KIND_UINT64:
      return varintEntry(scratch, slot, integerVarint(v.uint64_value, false));
    case KIND_DOUBLE:
      if (typeof v.double_value !== 'number') throw UNHANDLED;
      scratch.ints[slot] = v.double_value;
      return 11;
    case KIND_BYTES: {
      const bytes = v.bytes_value;
      if (!(bytes instanceof Uint8Array)) throw UNHANDLED;
      scratch.sizes[slot] = bytes.byteLength;
      scratch.refs[slot] = bytes;
      return lengthDelimitedEntry(bytes.byteLength);
    }
    default:
      return 4;
  }
}

/**
 * Size of one `Row` body: fills `scratch` from `slot` on (per value: its kind, payload size and
 * payload) and returns the body size. Throws {@link UNHANDLED} for a value it cannot encode.
 */
export function sizeRowValues(values: readonly WireValue[], scratch: Scratch, slot: number): number {
  let row = 0;
  for (let i = 0; i < values.length; i++)
    row += sizeValue(values[i] as Record<string, unknown>, scratch, slot + i);
  return row;
}

/** Writes `count` values sized into `scratch` from `slot` on; returns the next position. */
export function writeRowValues(
  buf: Buffer,
  pos: number,
  count: number,
  scratch: Scratch,
  slot: number,
): number {
  const { sizes, kinds, ints, refs } = scratch;
  for (const end = slot + count; slot < end; slot++) {
    buf[pos++] = TAG_FIELD1_LEN;
    switch (kinds[slot]) {
      case KIND_STRING: {
        const n = sizes[slot]!;
        pos = writeVarint(buf, pos, 1 + varintSize(n) + n);
        buf[pos++] = TAG_VALUE_STRING;
        pos = writeVarint(buf, pos, n);
        pos = writeString(buf, pos, refs[slot] as string, n);
        refs[slot] = undefined;
        break;
      }
      case KIND_INT64:
      case KIND_UINT64: {
        const tag = kinds[slot] === KIND_INT64 ? TAG_VALUE_INT64 : TAG_VALUE_UINT64;
        const z = ints[slot]!;
        if (z >= 0) {
          buf[pos++] = 1 + varintSize(z);
          buf[pos++] = tag;
          pos = writeVarint(buf, pos, z);
        } else {
          const big = scratch.bigInts.get(slot) as bigint;
          buf[pos++] = 1 + bigVarintSize(big);
          buf[pos++] = tag;
          pos = writeBigVarint(buf, pos, big);
        }
        break;
      }
      case KIND_DOUBLE:
        buf[pos++] = 9;
        buf[pos++] = TAG_VALUE_DOUBLE;
        pos = buf.writeDoubleLE(ints[slot]!, pos);
        break;
      case KIND_BYTES:
      case KIND_UTF8: {
        const n = sizes[slot]!;
        pos = writeVarint(buf, pos, 1 + varintSize(n) + n);
        buf[pos++] = kinds[slot] === KIND_BYTES ? TAG_VALUE_BYTES : TAG_VALUE_STRING;
        pos = writeVarint(buf, pos, n);
        buf.set(refs[slot] as Uint8Array, pos);
        refs[slot] = undefined;
        pos += n;
        break;
      }
      default:
        buf[pos++] = 2;
        buf[pos++] = TAG_VALUE_NULL;
        buf[pos++] = 0;
    }
  }
  return pos;
}

/**
 * How `RowBatchBuilder.addCells` (row-batch-builder.ts) encodes one column's driver cells
 * without building a `Value` object first (a {@link RowPlan}'s `kinds`).
 */
export const Cell = Object.freeze({
  /** Through the column's decoder. */
  DECODE: 0,
  /** A safe integer: `int64_value`. */
  INT64: 1,
  /** A non-negative safe integer: `uint64_value`. */
  UINT64: 2,
  /** A number: `double_value`. */
  DOUBLE: 3,
  /** A string, or a Buffer of UTF-8 text: `string_value`. */
  TEXT: 4,
  /** A Buffer: `bytes_value`. */
  BYTES: 5,
});

/**
 * How to encode the driver's cells of one result, column by column. A cell of a kind other than
 * the one expected (a BIGINT's decimal string, a number beyond the exact range) goes through the
 * column's decoder, which encodes it or fails exactly as decoding the row would.
 */
export interface RowPlan {
  readonly kinds: Uint8Array;
  readonly decoders: readonly ((cell: unknown, column: number) => WireValue)[];
}

/** Below this magnitude, 2n + 1 (the zigzag form) is exact in a double. */
const ZIGZAG_EXACT = 2 ** 52;

/** Sizes one driver cell into `slot` as its column's `kind`; returns its size as a `Row.values` entry. */
function sizeCell(
  cell: unknown,
  kind: number,
  plan: RowPlan,
  column: number,
  scratch: Scratch,
  slot: number,
): number {
  if (cell === null || cell === undefined) {
    scratch.kinds[slot] = KIND_NULL;
    return 4;
  }
  switch (kind) {
    case Cell.INT64:
      if (typeof cell === 'number' && Number.isInteger(cell) && cell < ZIGZAG_EXACT && cell > -ZIGZAG_EXACT) {
        scratch.kinds[slot] = KIND_INT64;
        return varintEntry(scratch, slot, cell >= 0 ? cell * 2 : -cell * 2 - 1);
      }
      break;
    case Cell.UINT64:
      if (typeof cell === 'number' && Number.isSafeInteger(cell) && cell >= 0) {
        scratch.kinds[slot] = KIND_UINT64;
        return varintEntry(scratch, slot, cell);
      }
      break;
    case Cell.DOUBLE:
      if (typeof cell === 'number') {
        scratch.kinds[slot] = KIND_DOUBLE;
        scratch.ints[slot] = cell;
        return 11;
      }
      break;
    case Cell.TEXT:
      if (typeof cell === 'string') {
        const n = utf8Size(cell);
        scratch.kinds[slot] = KIND_STRING;
        scratch.sizes[slot] = n;
        scratch.refs[slot] = cell;
        return lengthDelimitedEntry(n);
      }
      if (Buffer.isBuffer(cell)) {
        if (!isUtf8(cell)) {
          // Malformed UTF-8 becomes U+FFFD, as decoding it to a string does.
          return sizeValue({ string_value: cell.toString('utf8') }, scratch, slot);
        }
        scratch.kinds[slot] = KIND_UTF8;
        scratch.sizes[slot] = cell.length;
        scratch.refs[slot] = cell;
        return lengthDelimitedEntry(cell.length);
      }
      break;
    case Cell.BYTES:
      if (Buffer.isBuffer(cell)) {
        scratch.kinds[slot] = KIND_BYTES;
        scratch.sizes[slot] = cell.length;
        scratch.refs[slot] = cell;
        return lengthDelimitedEntry(cell.length);
      }
      break;
  }
  return sizeValue(plan.decoders[column]!(cell, column) as Record<string, unknown>, scratch, slot);
}

/**
 * Size of one `Row` body from the driver's cells (`cells.length` is the plan's width): fills
 * `scratch` from slot 0 as {@link sizeRowValues} does. Throws {@link UNHANDLED} for a value the
 * column's decoder gave that the encoder cannot write, and whatever the decoder throws.
 */
export function sizeCells(cells: readonly unknown[], plan: RowPlan, scratch: Scratch): number {
  const kinds = plan.kinds;
  let body = 0;
  for (let i = 0; i < cells.length; i++) body += sizeCell(cells[i], kinds[i]!, plan, i, scratch, i);
  return body;
}

/**
 * Sizes of a `RowBatch` body: fills `scratch` (per row: its body size, in the slot before its
 * values) and returns the batch body size.
 */
export function sizeRows(rows: readonly Row[], scratch: Scratch): number {
  let cells = rows.length;
  for (let r = 0; r < rows.length; r++) cells += rows[r]!.values.length;
  scratch.ensure(cells);
  let slot = 0;
  let batch = 0;
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!.values;
    const row = sizeRowValues(values, scratch, slot + 1);
    scratch.sizes[slot] = row;
    slot += 1 + values.length;
    batch += 1 + varintSize(row) + row;
  }
  return batch;
}

/**
 * Writes the `RowBatch` body sized by {@link sizeRows}: each row as field 1, or as field `tag`
 * (a length-delimited tag of one byte) in another message holding repeated rows.
 */
export function writeRows(
  buf: Buffer,
  pos: number,
  rows: readonly Row[],
  scratch: Scratch,
  tag: number = TAG_FIELD1_LEN,
): number {
  let slot = 0;
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!.values;
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, scratch.sizes[slot]!);
    pos = writeRowValues(buf, pos, values.length, scratch, slot + 1);
    slot += 1 + values.length;
  }
  scratch.clear();
  return pos;
}
