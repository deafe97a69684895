/**
 * Hand-written protobuf encoders for the messages on the hot path: `QueryResponse` and
 * `TransactionResponse` carrying `metadata`, `rows` or `stats`/`done`. Every other message (and
 * any object these encoders do not recognise) goes through proto-loader's generic serializer,
 * which they are given as `fallback`.
 *
 * Why by hand: protobufjs's generic path copies every response into a message tree
 * (`fromObject`, a `Long` per 64-bit value) before encoding it; a row batch is encoded here
 * straight from the wire objects the row decoder built, in two passes (sizes, then bytes) over
 * one buffer. Column metadata is encoded once per compiled result shape (the same columns array)
 * by the fallback and the bytes reused. The output is standard proto3 encoding of the same field
 * values, fields in number order, as protobufjs writes them; test/unit/server/response-codec
 * decodes it with proto-loader and compares.
 */
import type { WireColumn, WireValue } from '../sql/values.js';

/** A message serializer as grpc-js takes it. */
export type Serializer = (message: unknown) => Buffer;

/** Thrown inside an encoder for input it does not handle; the message then takes the fallback. */
class Unhandled extends Error {}
const UNHANDLED = new Unhandled('not handled by the hand-written encoder');

// Wire types: 0 varint, 1 64-bit, 2 length-delimited.
const TAG_VALUE_NULL = (1 << 3) | 0;
const TAG_VALUE_INT64 = (2 << 3) | 0;
const TAG_VALUE_UINT64 = (3 << 3) | 0;
const TAG_VALUE_DOUBLE = (4 << 3) | 1;
const TAG_VALUE_STRING = (5 << 3) | 2;
const TAG_VALUE_BYTES = (6 << 3) | 2;
/** `Row.values`, `RowBatch.rows`, `ResultMetadata.columns`, `TransactionResponse.request_id`. */
const TAG_FIELD1_LEN = (1 << 3) | 2;

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;

function varintSize(v: number): number {
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
function writeVarint(buf: Buffer, pos: number, v: number): number {
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

function bigVarintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    n++;
    v >>= 7n;
  }
  return n;
}

function writeBigVarint(buf: Buffer, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** UTF-8 length of `s` as Buffer writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Size(s: string): number {
  const n = s.length;
  if (n > 48) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

type StringWrite = (this: Buffer, s: string, offset: number, length: number) => number;
/** Buffer's per-encoding writers (what `buf.write` calls after normalising its arguments). */
const fastWrites = Buffer.prototype as unknown as { latin1Write?: StringWrite; utf8Write?: StringWrite };
const latin1Write = fastWrites.latin1Write;
const utf8Write = fastWrites.utf8Write;

/** Writes `s`, whose UTF-8 size is `size`; equal to its length means ASCII (one byte per unit). */
function writeString(buf: Buffer, pos: number, s: string, size: number): number {
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
function integerVarint(raw: unknown, zigzag: boolean): number | bigint {
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
 * Per-message scratch, by slot (one per row, then one per value of that row): value kinds, payload
 * sizes of strings and bytes, row body sizes, and integer varints (-1 in `ints`: the bigint is in
 * `bigInts`).
 */
class Scratch {
  sizes = new Int32Array(256);
  kinds = new Uint8Array(256);
  ints = new Float64Array(256);
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
}

type Row = { readonly values: readonly WireValue[] };

const KIND_NULL = 0;
const KIND_INT64 = 1;
const KIND_UINT64 = 2;
const KIND_DOUBLE = 3;
const KIND_STRING = 4;
const KIND_BYTES = 5;

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

/**
 * Sizes of a `RowBatch` body: fills `scratch` (per value: its kind and payload size; per row: its
 * body size, in the slot before its values) and returns the batch body size.
 */
function sizeRows(rows: readonly Row[], scratch: Scratch): number {
  let cells = rows.length;
  for (let r = 0; r < rows.length; r++) cells += rows[r]!.values.length;
  scratch.ensure(cells);
  const { sizes, kinds } = scratch;
  let slot = 0;
  let batch = 0;
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!.values;
    const rowSlot = slot++;
    let row = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Record<string, unknown>;
      const kind = kindOf(v);
      kinds[slot] = kind;
      // The Value message: tag + payload (+ length for strings and bytes).
      let value: number;
      switch (kind) {
        case KIND_STRING: {
          const str = v.string_value;
          if (typeof str !== 'string') throw UNHANDLED;
          const n = utf8Size(str);
          sizes[slot] = n;
          value = 1 + varintSize(n) + n;
          break;
        }
        case KIND_INT64:
          value = 1 + scratch.setInt(slot, integerVarint(v.int64_value, true));
          break;
        case KIND_UINT64:
          value = 1 + scratch.setInt(slot, integerVarint(v.uint64_value, false));
          break;
        case KIND_DOUBLE:
          if (typeof v.double_value !== 'number') throw UNHANDLED;
          value = 9;
          break;
        case KIND_BYTES: {
          const bytes = v.bytes_value;
          if (!(bytes instanceof Uint8Array)) throw UNHANDLED;
          const n = bytes.byteLength;
          sizes[slot] = n;
          value = 1 + varintSize(n) + n;
          break;
        }
        default:
          value = 2;
      }
      slot++;
      row += 1 + varintSize(value) + value;
    }
    sizes[rowSlot] = row;
    batch += 1 + varintSize(row) + row;
  }
  return batch;
}

/** Writes the `RowBatch` body sized by {@link sizeRows}. */
function writeRows(buf: Buffer, pos: number, rows: readonly Row[], scratch: Scratch): number {
  const { sizes, kinds, ints } = scratch;
  let slot = 0;
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!.values;
    buf[pos++] = TAG_FIELD1_LEN;
    pos = writeVarint(buf, pos, sizes[slot++]!);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Record<string, unknown>;
      buf[pos++] = TAG_FIELD1_LEN;
      switch (kinds[slot]) {
        case KIND_STRING: {
          const n = sizes[slot]!;
          pos = writeVarint(buf, pos, 1 + varintSize(n) + n);
          buf[pos++] = TAG_VALUE_STRING;
          pos = writeVarint(buf, pos, n);
          pos = writeString(buf, pos, v.string_value as string, n);
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
          pos = buf.writeDoubleLE(v.double_value as number, pos);
          break;
        case KIND_BYTES: {
          const n = sizes[slot]!;
          pos = writeVarint(buf, pos, 1 + varintSize(n) + n);
          buf[pos++] = TAG_VALUE_BYTES;
          pos = writeVarint(buf, pos, n);
          buf.set(v.bytes_value as Uint8Array, pos);
          pos += n;
          break;
        }
        default:
          buf[pos++] = 2;
          buf[pos++] = TAG_VALUE_NULL;
          buf[pos++] = 0;
      }
      slot++;
    }
  }
  scratch.clear();
  return pos;
}

/** The optional leading `request_id` (field 1) of a TransactionResponse. */
function prefixSize(requestId: string | undefined, requestIdSize: number): number {
  return requestId === undefined ? 0 : 1 + varintSize(requestIdSize) + requestIdSize;
}

function writePrefix(buf: Buffer, requestId: string | undefined, requestIdSize: number): number {
  if (requestId === undefined) return 0;
  buf[0] = TAG_FIELD1_LEN;
  const pos = writeVarint(buf, 1, requestIdSize);
  return writeString(buf, pos, requestId, requestIdSize);
}

/** A `QueryStats` body: row_count, warning_count, backend, elapsed_us, backend_role. */
function encodeStats(stats: Record<string, unknown>): Buffer {
  const { row_count, warning_count, backend, elapsed_us, backend_role } = stats;
  const rows = row_count == null ? undefined : integerVarint(row_count, false);
  const elapsed = elapsed_us == null ? undefined : integerVarint(elapsed_us, false);
  if (
    warning_count != null &&
    (typeof warning_count !== 'number' ||
      !(warning_count >= 0) ||
      warning_count > 0xffffffff ||
      !Number.isInteger(warning_count))
  )
    throw UNHANDLED;
  if (
    (backend != null && typeof backend !== 'string') ||
    (backend_role != null && typeof backend_role !== 'string')
  )
    throw UNHANDLED;
  const backendSize = typeof backend === 'string' ? utf8Size(backend) : 0;
  const roleSize = typeof backend_role === 'string' ? utf8Size(backend_role) : 0;
  const intSize = (z: number | bigint) => (typeof z === 'number' ? varintSize(z) : bigVarintSize(z));
  let size = 0;
  if (rows !== undefined) size += 1 + intSize(rows);
  if (typeof warning_count === 'number') size += 1 + varintSize(warning_count);
  if (typeof backend === 'string') size += 1 + varintSize(backendSize) + backendSize;
  if (elapsed !== undefined) size += 1 + intSize(elapsed);
  if (typeof backend_role === 'string') size += 1 + varintSize(roleSize) + roleSize;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  const int = (tag: number, z: number | bigint) => {
    buf[pos++] = tag;
    pos = typeof z === 'number' ? writeVarint(buf, pos, z) : writeBigVarint(buf, pos, z);
  };
  const str = (tag: number, s: string, n: number) => {
    buf[pos++] = tag;
    pos = writeVarint(buf, pos, n);
    pos = writeString(buf, pos, s, n);
  };
  if (rows !== undefined) int((1 << 3) | 0, rows);
  if (typeof warning_count === 'number') int((2 << 3) | 0, warning_count);
  if (typeof backend === 'string') str((3 << 3) | 2, backend, backendSize);
  if (elapsed !== undefined) int((4 << 3) | 0, elapsed);
  if (typeof backend_role === 'string') str((5 << 3) | 2, backend_role, roleSize);
  return buf;
}

/** Length-delimited field `tag` holding `body`, after the optional request_id. */
function wrap(tag: number, body: Buffer, requestId: string | undefined): Buffer {
  const idSize = requestId === undefined ? 0 : utf8Size(requestId);
  const head = prefixSize(requestId, idSize);
  const out = Buffer.allocUnsafe(head + 1 + varintSize(body.length) + body.length);
  let pos = writePrefix(out, requestId, idSize);
  out[pos++] = tag;
  pos = writeVarint(out, pos, body.length);
  body.copy(out, pos);
  return out;
}

/** Reads the body of the first length-delimited field of `message` (a one-field message). */
function firstFieldBody(message: Buffer): Buffer {
  if (message.length < 2) return Buffer.alloc(0);
  let pos = 1;
  let len = 0;
  let shift = 1;
  for (;;) {
    const b = message[pos++]!;
    len += (b & 0x7f) * shift;
    if (b < 0x80) break;
    shift *= 0x80;
  }
  return message.subarray(pos, pos + len);
}

/** Field numbers of the payloads in one response type. */
interface Layout {
  readonly metadata: number;
  readonly rows: number;
  readonly stats: number;
  /** The message's property holding the stats. */
  readonly statsKey: 'stats' | 'done';
}

const QUERY_LAYOUT: Layout = { metadata: 1, rows: 2, stats: 3, statsKey: 'stats' };
const TRANSACTION_LAYOUT: Layout = { metadata: 3, rows: 4, stats: 5, statsKey: 'done' };

/**
 * Encoded `ResultMetadata` bodies by columns array: a compiled result shape hands out the same
 * array for every result of a statement, so its metadata is encoded once.
 */
class MetadataCache {
  readonly #bodies = new WeakMap<readonly WireColumn[], Buffer>();

  /** @param encodeQueryMetadata encodes `{ metadata: { columns } }` as a QueryResponse. */
  constructor(private readonly encodeQueryMetadata: Serializer) {}

  body(columns: readonly WireColumn[]): Buffer {
    let body = this.#bodies.get(columns);
    if (body === undefined) {
      // The QueryResponse holds only field 1, the ResultMetadata: its body is those bytes.
      body = Buffer.from(firstFieldBody(this.encodeQueryMetadata({ metadata: { columns } })));
      this.#bodies.set(columns, body);
    }
    return body;
  }
}

function encoder(layout: Layout, metadata: MetadataCache, fallback: Serializer): Serializer {
  const scratch = new Scratch();
  const encode = (m: Record<string, unknown>): Buffer => {
    let requestId: string | undefined;
    if (layout === TRANSACTION_LAYOUT) {
      const id = m.request_id;
      if (id != null && typeof id !== 'string') throw UNHANDLED;
      requestId = id ?? undefined;
    }
    const batch = m.rows as { rows?: unknown } | undefined;
    if (batch != null) {
      const rows = batch.rows;
      if (!Array.isArray(rows) || m.metadata != null || m[layout.statsKey] != null) throw UNHANDLED;
      const body = sizeRows(rows as Row[], scratch);
      const idSize = requestId === undefined ? 0 : utf8Size(requestId);
      const head = prefixSize(requestId, idSize);
      const out = Buffer.allocUnsafe(head + 1 + varintSize(body) + body);
      let pos = writePrefix(out, requestId, idSize);
      out[pos++] = (layout.rows << 3) | 2;
      pos = writeVarint(out, pos, body);
      writeRows(out, pos, rows as Row[], scratch);
      return out;
    }
    const meta = m.metadata as { columns?: unknown } | undefined;
    if (meta != null) {
      if (!Array.isArray(meta.columns) || m[layout.statsKey] != null) throw UNHANDLED;
      return wrap((layout.metadata << 3) | 2, metadata.body(meta.columns as WireColumn[]), requestId);
    }
    const stats = m[layout.statsKey];
    if (stats != null && typeof stats === 'object') {
      return wrap((layout.stats << 3) | 2, encodeStats(stats as Record<string, unknown>), requestId);
    }
    throw UNHANDLED;
  };
  return (message) => {
    if (message === null || typeof message !== 'object') return fallback(message);
    try {
      return encode(message as Record<string, unknown>);
    } catch (err) {
      if (err === UNHANDLED) {
        scratch.clear();
        return fallback(message);
      }
      throw err;
    }
  };
}

/** The serializers of the Gateway service's two streaming responses. */
export interface ResponseSerializers {
  readonly query: Serializer;
  readonly transaction: Serializer;
}

/**
 * Builds the hand-written serializers over proto-loader's generic ones (`queryFallback` for
 * QueryResponse, `transactionFallback` for TransactionResponse), which encode whatever these do
 * not handle and the column metadata (once per columns array).
 */
export function responseSerializers(
  queryFallback: Serializer,
  transactionFallback: Serializer,
): ResponseSerializers {
  const metadata = new MetadataCache(queryFallback);
  return {
    query: encoder(QUERY_LAYOUT, metadata, queryFallback),
    transaction: encoder(TRANSACTION_LAYOUT, metadata, transactionFallback),
  };
}
