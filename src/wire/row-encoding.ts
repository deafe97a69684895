/**
 * Protobuf encoding of result rows, shared by the session layer (which encodes each row into its
 * batch as soon as it is decoded: nothing per row outlives the socket read that produced it, so
 * the young-generation GC has little to copy) and the server's hand-written response encoders.
 *
 * The output is standard proto3 encoding of `Row` messages as `RowBatch.rows` (field 1) entries,
 * fields in number order, as protobufjs writes them; test/unit/wire/response-codec compares it
 * with protobufjs's bytes, for wire-row arrays and for batches built here.
 */
import { isUtf8 } from 'node:buffer';
import { Code, GatewayError } from '../errors.js';
import { bufferLatin1Write, bufferUtf8Write } from '../internals.js';
import type { WireValue } from '../sql/wire.js';

/**
 * Thrown inside an encoder for input it does not handle: the response encoder then takes its
 * generic fallback; {@link RowBatchBuilder.add} fails INTERNAL.
 */
class Unhandled extends Error {}
export const UNHANDLED = new Unhandled('not handled by the hand-written encoder');

// Wire types: 0 varint, 1 64-bit, 2 length-delimited.
const TAG_VALUE_NULL = (1 << 3) | 0;
const TAG_VALUE_INT64 = (2 << 3) | 0;
const TAG_VALUE_UINT64 = (3 << 3) | 0;
const TAG_VALUE_DOUBLE = (4 << 3) | 1;
const TAG_VALUE_STRING = (5 << 3) | 2;
const TAG_VALUE_BYTES = (6 << 3) | 2;
/** `Row.values`, `RowBatch.rows`, `ResultMetadata.columns`, `TransactionResponse.request_id`. */
export const TAG_FIELD1_LEN = (1 << 3) | 2;

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;

export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  let rest = Math.floor(v / 0x10000000);
  while (rest > 0) {
    n++;
    rest = Math.floor(rest / 0x80);
  }
  return n;
}

/** Writes a non-negative integer below 2^53 as a varint; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80000000) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function bigVarintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    n++;
    v >>= 7n;
  }
  return n;
}

export function writeBigVarint(buf: Buffer, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** UTF-8 length of `s` as Buffer writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Size(s: string): number {
  const n = s.length;
  if (n > 48) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

/** Buffer's per-encoding writers (what `buf.write` calls after normalising its arguments), cached here. */
const latin1Write = bufferLatin1Write;
const utf8Write = bufferUtf8Write;

/** Writes `s`, whose UTF-8 size is `size`; equal to its length means ASCII (one byte per unit). */
export function writeString(buf: Buffer, pos: number, s: string, size: number): number {
  if (size === s.length) {
    if (size <= 48) {
      for (let i = 0; i < size; i++) buf[pos + i] = s.charCodeAt(i);
    } else if (latin1Write) {
      latin1Write.call(buf, s, pos, size);
    } else {
      buf.write(s, pos, size, 'latin1');
    }
  } else if (utf8Write) {
    utf8Write.call(buf, s, pos, size);
  } else {
    buf.write(s, pos, size, 'utf8');
  }
  return pos + size;
}

/**
 * A 64-bit integer as the row decoder gives it (a decimal string; proto-loader's `longs: String`)
 * in its varint form: a number when below 2^53 (zigzag applied for sint64), else a bigint.
 * Anything else is {@link UNHANDLED}.
 */
export function integerVarint(raw: unknown, zigzag: boolean): number | bigint {
  if (typeof raw !== 'string') throw UNHANDLED;
  const len = raw.length;
  const negative = len > 0 && raw.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  if (len === start || (negative && !zigzag)) throw UNHANDLED;
  if (len - start <= 15) {
    let n = 0;
    for (let i = start; i < len; i++) {
      const d = raw.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) throw UNHANDLED;
      n = n * 10 + d;
    }
    if (!zigzag) return n;
    // Below 10^15 < 2^50: 2n + 1 stays exact.
    return negative ? (n === 0 ? 0 : n * 2 - 1) : n * 2;
  }
  for (let i = start; i < len; i++) {
    const d = raw.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw UNHANDLED;
  }
  const big = BigInt(raw);
  if (zigzag) {
    if (big < -TWO_63 || big >= TWO_63) throw UNHANDLED;
    return big >= 0n ? big << 1n : (-big << 1n) - 1n;
  }
  if (big >= TWO_64) throw UNHANDLED;
  return big;
}

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
function sizeRow(values: readonly WireValue[], scratch: Scratch, slot: number): number {
  let row = 0;
  for (let i = 0; i < values.length; i++)
    row += sizeValue(values[i] as Record<string, unknown>, scratch, slot + i);
  return row;
}

/** Writes `count` values sized into `scratch` from `slot` on; returns the next position. */
function writeRowValues(buf: Buffer, pos: number, count: number, scratch: Scratch, slot: number): number {
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
 * How {@link RowBatchBuilder.addCells} encodes one column's driver cells without building a
 * `Value` object first (a {@link RowPlan}'s `kinds`).
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
    const row = sizeRow(values, scratch, slot + 1);
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

/**
 * Rows already encoded: the body of a `RowBatch` (its `rows` entries, field 1 each), ready to be
 * framed by the response encoders without touching the values again. The `headroom` bytes before
 * the body in `buffer` belong to this batch: an encoder may write the message's header there and
 * send header and body as one slice, without copying the body.
 */
export class EncodedRows {
  constructor(
    readonly buffer: Buffer,
    /** Where the body starts in `buffer`; the bytes before it, down to `start - headroom`, are free. */
    readonly start: number,
    readonly end: number,
    readonly headroom: number,
    /** How many rows it holds. */
    readonly count: number,
  ) {}

  /** The `RowBatch` body. */
  get bytes(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /** Encodes `rows` (for tests and callers that have wire rows rather than a builder). */
  static of(rows: readonly Row[]): EncodedRows {
    const builder = new RowBatchBuilder();
    for (const row of rows) builder.add(row.values);
    return builder.take();
  }
}

/** The smallest buffer a builder allocates; point selects fit in Buffer's shared pool. */
const FIRST_SLAB = 512;
/** Slabs stop doubling here; one batch larger than this gets a slab of its own size. */
const MAX_SLAB = 4 * 1024 * 1024;
/**
 * Room left before each batch for its message header: the field tag and length (6 bytes at most)
 * and, in a Transaction, the request_id field (a short id fits; a longer one costs a copy).
 */
const BATCH_HEADROOM = 64;

/** Scratch of every builder: {@link RowBatchBuilder.add} uses it synchronously, start to end. */
const BUILDER_SCRATCH = new Scratch();

/**
 * A row's body size, its values' sizes left in `scratch` for the writer (clear it afterwards). A
 * value the encoder cannot represent (the row decoder never produces one) fails INTERNAL.
 */
function sizeBuilderRow(values: readonly WireValue[], scratch: Scratch): number {
  scratch.ensure(values.length);
  try {
    return sizeRow(values, scratch, 0);
  } catch (err) {
    scratch.reset();
    if (err !== UNHANDLED) throw err;
    throw new GatewayError(Code.INTERNAL, 'ROW_ENCODING', 'a result value could not be encoded');
  }
}

/**
 * Encodes rows one at a time into a batch. A batch is a slice of a slab that later batches do not
 * overwrite (they go after it, or into a new slab), so {@link take} hands it out without a copy.
 */
export class RowBatchBuilder {
  #slab: Buffer | undefined;
  /** Where the batch being built starts (after its headroom). */
  #start = 0;
  #pos = 0;
  #count = 0;
  /** Size of the last batch taken: the next slab is made to hold two such batches. */
  #lastBatch = 0;

  /** Rows in the batch being built. */
  get count(): number {
    return this.#count;
  }

  /** Encoded bytes in the batch being built. */
  get byteLength(): number {
    return this.#pos - this.#start;
  }

  /**
   * Appends one row; returns its encoded size in bytes. A value the encoder cannot represent (the
   * row decoder never produces one) fails INTERNAL.
   */
  add(values: readonly WireValue[]): number {
    return this.#append(sizeBuilderRow(values, BUILDER_SCRATCH), values.length);
  }

  /**
   * Appends one row straight from the driver's cells (an array, as `rowsAsArray` gives it), each
   * encoded as its column's kind in `plan` says: the same bytes as decoding the row and calling
   * {@link add}, without a `Value` object per cell. Fails as decoding would (INTERNAL
   * DRIVER_ROW_SHAPE for a row of another width).
   */
  addCells(cells: unknown, plan: RowPlan): number {
    const kinds = plan.kinds;
    if (!Array.isArray(cells) || cells.length !== kinds.length) {
      throw new GatewayError(
        Code.INTERNAL,
        'DRIVER_ROW_SHAPE',
        `driver row is not an array of ${kinds.length} cells`,
      );
    }
    const scratch = BUILDER_SCRATCH;
    scratch.ensure(cells.length);
    let body = 0;
    try {
      for (let i = 0; i < cells.length; i++) body += sizeCell(cells[i], kinds[i]!, plan, i, scratch, i);
    } catch (err) {
      scratch.reset();
      if (err !== UNHANDLED) throw err;
      throw new GatewayError(Code.INTERNAL, 'ROW_ENCODING', 'a result value could not be encoded');
    }
    return this.#append(body, cells.length);
  }

  /** Writes the row of `count` values sized into the shared scratch, its body `body` bytes. */
  #append(body: number, count: number): number {
    const scratch = BUILDER_SCRATCH;
    const size = 1 + varintSize(body) + body;
    let slab = this.#slab;
    if (slab === undefined || this.#pos + size > slab.length) slab = this.#grow(size);
    let pos = this.#pos;
    slab[pos++] = TAG_FIELD1_LEN;
    pos = writeVarint(slab, pos, body);
    this.#pos = writeRowValues(slab, pos, count, scratch, 0);
    scratch.clear();
    this.#count++;
    return size;
  }

  /** The batch built so far; the builder starts a new one. */
  take(): EncodedRows {
    const slab = this.#slab ?? this.#grow(0);
    const rows = new EncodedRows(slab, this.#start, this.#pos, BATCH_HEADROOM, this.#count);
    this.#lastBatch = this.#pos - this.#start;
    this.#count = 0;
    if (slab.length - this.#pos < BATCH_HEADROOM + this.#lastBatch) {
      // The next batch of this size would not fit: start it in a new slab rather than move it later.
      this.#slab = undefined;
    } else {
      this.#start = this.#pos + BATCH_HEADROOM;
      this.#pos = this.#start;
    }
    return rows;
  }

  /** Drops the batch being built. */
  discard(): void {
    this.#pos = this.#start;
    this.#count = 0;
  }

  /** A slab with room for the batch so far plus `need` bytes, the batch copied in after its headroom. */
  #grow(need: number): Buffer {
    const old = this.#slab;
    const used = old === undefined ? 0 : this.#pos - this.#start;
    const least = BATCH_HEADROOM + used + need;
    const wanted = Math.max(FIRST_SLAB, 2 * least, 2 * (BATCH_HEADROOM + this.#lastBatch));
    const slab = Buffer.allocUnsafe(Math.max(least, Math.min(wanted, MAX_SLAB)));
    if (old !== undefined && used > 0) old.copy(slab, BATCH_HEADROOM, this.#start, this.#pos);
    this.#slab = slab;
    this.#start = BATCH_HEADROOM;
    this.#pos = BATCH_HEADROOM + used;
    return slab;
  }
}

/**
 * Collects result rows as `Row` objects for a message proto-loader encodes (a Batch step's
 * `StatementResult.rows`), counting each row's exact encoded size as {@link RowBatchBuilder} does.
 */
export class RowCollector {
  #rows: Row[] = [];
  #bytes = 0;

  /** Rows collected since the last {@link take}. */
  get count(): number {
    return this.#rows.length;
  }

  /** Encoded bytes of those rows. */
  get byteLength(): number {
    return this.#bytes;
  }

  /** Appends one row; returns its encoded size in bytes (INTERNAL for a value it cannot encode). */
  add(values: readonly WireValue[]): number {
    const body = sizeBuilderRow(values, BUILDER_SCRATCH);
    // Sized, not written: drop the payloads the scratch holds.
    BUILDER_SCRATCH.reset();
    const size = 1 + varintSize(body) + body;
    this.#rows.push({ values });
    this.#bytes += size;
    return size;
  }

  /** The rows collected so far; the collector starts afresh. */
  take(): Row[] {
    const rows = this.#rows;
    this.#rows = [];
    this.#bytes = 0;
    return rows;
  }

  /** Drops the rows collected since the last {@link take}. */
  discard(): void {
    this.#rows = [];
    this.#bytes = 0;
  }
}
