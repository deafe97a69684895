/**
 * A hand-written decoder for the messages that carry rows (`QueryResponse.rows`,
 * `TransactionResponse.rows`), in front of proto-loader's generic one, which decodes every other
 * message (and any rows message this one does not recognise).
 *
 * Why by hand: protobufjs decodes each Value into a message object, a `Long` per 64-bit integer,
 * and then copies the tree into plain objects (`toObject`); for a streamed result that was about as
 * much CPU per row as the gateway spends producing it. This decoder builds the plain objects
 * directly, in the shape proto-loader gives with the client's options (snake_case, the virtual
 * oneof fields `payload`/`result` and `kind`, enums as names, bytes as Buffers sharing the message's
 * memory), except that a 64-bit integer within ±(2^53-1) is a `number` rather than its decimal
 * text (exact either way; {@link decodeInteger} takes both). test/unit/wire/response-decoder
 * compares it with proto-loader over random messages.
 */

import { bufferUtf8Slice } from '../internals.js';
import { varintSize, writeVarint } from './scalars.js';

/** A `Value` message as received (proto-loader sets the virtual `kind` to the field present). */
export interface WireValueIn {
  readonly kind?: string;
  readonly int64_value?: string | number;
  readonly uint64_value?: string | number;
  readonly double_value?: number;
  readonly string_value?: string;
  readonly bytes_value?: Uint8Array;
}

/** A message deserializer as grpc-js takes it. */
export type Deserializer = (bytes: Buffer) => unknown;

/** Input this decoder does not handle: the message then takes the generic path. */
class Unhandled extends Error {}
const UNHANDLED = new Unhandled('not handled by the hand-written decoder');

const TAG_LEN_1 = (1 << 3) | 2;
const NULL_VALUE: WireValueIn = Object.freeze({
  null_value: 'NULL_VALUE',
  kind: 'null_value',
}) as WireValueIn;

/** What `buf.toString('utf8', start, end)` calls after normalising its arguments, cached here. */
const utf8Slice = bufferUtf8Slice;

/** Reads protobuf fields from one buffer; throws {@link UNHANDLED} on anything malformed. */
class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint below 2^53 (the lengths and tags here); larger ones are {@link UNHANDLED}. */
  small(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) throw UNHANDLED;
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let n = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 8; i++) {
      if (pos >= this.end) throw UNHANDLED;
      b = buf[pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        return n;
      }
      mul *= 0x80;
    }
    throw UNHANDLED;
  }

  /** Any varint, as a bigint. */
  big(): bigint {
    const buf = this.buf;
    let n = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw UNHANDLED;
      const b = buf[this.pos++]!;
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, n);
      shift += 7n;
    }
    throw UNHANDLED;
  }

  /** The end of a length-delimited field whose length is next. */
  span(): number {
    const len = this.small();
    const end = this.pos + len;
    if (end > this.end) throw UNHANDLED;
    return end;
  }

  /** A varint that may exceed 2^53: a number when it is at most 2^53-1, else a bigint. */
  varint(): number | bigint {
    const start = this.pos;
    // Seven bytes hold 49 bits: always safe. Longer varints take the bigint path.
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      if (this.buf[this.pos++]! < 0x80) {
        this.pos = start;
        return this.small();
      }
    }
    this.pos = start;
    const n = this.big();
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
}

function stringOf(buf: Buffer, start: number, end: number): string {
  return utf8Slice ? utf8Slice.call(buf, start, end) : buf.toString('utf8', start, end);
}

/** A sint64 from its zigzag varint: a number within ±(2^53-1), else decimal text. */
function sint64(r: Reader): number | string {
  const z = r.varint();
  if (typeof z === 'number') {
    // z < 2^53: halving is exact, and the result is within ±2^52.
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  const v = z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

function uint64(r: Reader): number | string {
  const v = r.varint();
  return typeof v === 'number' ? v : v.toString();
}

/** One `Value` message body. */
function value(r: Reader, end: number): WireValueIn {
  if (r.pos === end) return {}; // no field: SQL NULL, as proto-loader leaves it
  const tag = r.small();
  let v: WireValueIn;
  switch (tag) {
    case (1 << 3) | 0:
      if (r.small() !== 0) throw UNHANDLED;
      v = NULL_VALUE;
      break;
    case (2 << 3) | 0:
      v = { int64_value: sint64(r) as string, kind: 'int64_value' };
      break;
    case (3 << 3) | 0:
      v = { uint64_value: uint64(r) as string, kind: 'uint64_value' };
      break;
    case (4 << 3) | 1: {
      if (r.pos + 8 > end) throw UNHANDLED;
      v = { double_value: r.buf.readDoubleLE(r.pos), kind: 'double_value' };
      r.pos += 8;
      break;
    }
    case (5 << 3) | 2: {
      const stop = r.span();
      v = { string_value: stringOf(r.buf, r.pos, stop), kind: 'string_value' };
      r.pos = stop;
      break;
    }
    case (6 << 3) | 2: {
      const stop = r.span();
      v = { bytes_value: r.buf.subarray(r.pos, stop), kind: 'bytes_value' };
      r.pos = stop;
      break;
    }
    default:
      throw UNHANDLED;
  }
  // One field per Value: anything after it (a second field, unknown fields) takes the generic path.
  if (r.pos !== end) throw UNHANDLED;
  return v;
}

type RowIn = { values?: WireValueIn[] };

/** A `RowBatch` body: `{ rows: [{ values: [...] }, ...] }`; empty lists are left out, as proto-loader does. */
function rowBatch(r: Reader, end: number): { rows?: RowIn[] } {
  if (r.pos === end) return {};
  const rows: RowIn[] = [];
  while (r.pos < end) {
    if (r.small() !== TAG_LEN_1) throw UNHANDLED;
    const rowEnd = r.span();
    if (r.pos === rowEnd) {
      rows.push({});
      continue;
    }
    const values: WireValueIn[] = [];
    while (r.pos < rowEnd) {
      if (r.small() !== TAG_LEN_1) throw UNHANDLED;
      const valueEnd = r.span();
      values.push(value(r, valueEnd));
    }
    rows.push({ values });
  }
  return { rows };
}

/**
 * A rows message of one response type, or {@link UNHANDLED}: `rowsField` is the `RowBatch`
 * field's number, `oneof` the name of the oneof holding it; `withRequestId` reads the
 * TransactionResponse's leading `request_id`.
 */
function rowsMessage(bytes: Buffer, rowsField: number, oneof: string, withRequestId: boolean): unknown {
  const r = new Reader(bytes, 0, bytes.length);
  let requestId: string | undefined;
  let tag = r.small();
  if (withRequestId && tag === TAG_LEN_1) {
    const stop = r.span();
    requestId = stringOf(bytes, r.pos, stop);
    r.pos = stop;
    tag = r.small();
  }
  if (tag !== ((rowsField << 3) | 2)) throw UNHANDLED;
  const end = r.span();
  if (end !== bytes.length) throw UNHANDLED;
  const rows = rowBatch(r, end);
  const out: Record<string, unknown> = {};
  // Present in the bytes (even empty, as protobufjs writes a set field): present in the object.
  if (requestId !== undefined) out.request_id = requestId;
  out.rows = rows;
  out[oneof] = 'rows';
  return out;
}

/** Where a response type keeps a whole small result (QueryResult) and the parts it re-uses. */
interface ResultLayout {
  /** The QueryResult field and the object key it decodes to. */
  readonly field: number;
  readonly key: 'result' | 'query_result';
  /** The oneof's virtual field name. */
  readonly oneof: 'payload' | 'result';
  /** The response's own metadata and stats fields (to decode those parts generically). */
  readonly metadataField: number;
  readonly statsField: number;
  readonly statsKey: 'stats' | 'done';
  readonly withRequestId: boolean;
}

const QUERY_RESULT: ResultLayout = {
  field: 4,
  key: 'result',
  oneof: 'payload',
  metadataField: 1,
  statsField: 3,
  statsKey: 'stats',
  withRequestId: false,
};
const TRANSACTION_RESULT: ResultLayout = {
  field: 11,
  key: 'query_result',
  oneof: 'result',
  metadataField: 3,
  statsField: 5,
  statsKey: 'done',
  withRequestId: true,
};

/** `bytes[start, end)` as the only field, length-delimited field `field`, of a new message. */
function asField(field: number, bytes: Buffer, start: number, end: number): Buffer {
  const len = end - start;
  const out = Buffer.allocUnsafe(1 + varintSize(len) + len);
  out[0] = (field << 3) | 2;
  bytes.copy(out, writeVarint(out, 1, len), start, end);
  return out;
}

/**
 * A response holding a QueryResult (a whole small result), or {@link UNHANDLED}: its rows by
 * hand, its metadata and stats (small, once per query) by `fallback`, each re-framed as the
 * response's own metadata or stats field.
 */
function resultMessage(bytes: Buffer, layout: ResultLayout, fallback: Deserializer): unknown {
  const r = new Reader(bytes, 0, bytes.length);
  let requestId: string | undefined;
  let tag = r.small();
  if (layout.withRequestId && tag === TAG_LEN_1) {
    const stop = r.span();
    requestId = stringOf(bytes, r.pos, stop);
    r.pos = stop;
    tag = r.small();
  }
  if (tag !== ((layout.field << 3) | 2)) throw UNHANDLED;
  const end = r.span();
  if (end !== bytes.length) throw UNHANDLED;
  const result: Record<string, unknown> = {};
  while (r.pos < end) {
    const part = r.small();
    const stop = r.span();
    if (part === ((1 << 3) | 2) && result.metadata === undefined) {
      const m = fallback(asField(layout.metadataField, bytes, r.pos, stop)) as { metadata?: unknown };
      result.metadata = m.metadata;
    } else if (part === ((2 << 3) | 2) && result.rows === undefined) {
      result.rows = rowBatch(r, stop);
    } else if (part === ((3 << 3) | 2) && result.stats === undefined) {
      const m = fallback(asField(layout.statsField, bytes, r.pos, stop)) as Record<string, unknown>;
      result.stats = m[layout.statsKey];
    } else {
      // A repeated or unknown field: the generic path merges or keeps it as protobuf says.
      throw UNHANDLED;
    }
    r.pos = stop;
  }
  const out: Record<string, unknown> = {};
  if (requestId !== undefined) out.request_id = requestId;
  out[layout.key] = result;
  out[layout.oneof] = layout.key;
  return out;
}

function decoder(
  rowsField: number,
  oneof: string,
  withRequestId: boolean,
  fallback: Deserializer,
): Deserializer {
  const rowsTag = (rowsField << 3) | 2;
  const layout = withRequestId ? TRANSACTION_RESULT : QUERY_RESULT;
  const resultTag = (layout.field << 3) | 2;
  return (bytes) => {
    // Only rows and result messages start with their field (or a request_id followed by it).
    const first = bytes[0];
    if (first !== rowsTag && first !== resultTag && !(withRequestId && first === TAG_LEN_1))
      return fallback(bytes);
    try {
      // After a request_id either may follow: the rows one is far more common.
      try {
        return rowsMessage(bytes, rowsField, oneof, withRequestId);
      } catch (err) {
        if (err !== UNHANDLED || first === rowsTag) throw err;
        return resultMessage(bytes, layout, fallback);
      }
    } catch (err) {
      if (err === UNHANDLED) return fallback(bytes);
      throw err;
    }
  };
}

/** The deserializers of the Gateway service's two streaming responses. */
export interface ResponseDeserializers {
  readonly query: Deserializer;
  readonly transaction: Deserializer;
}

/** Builds the hand-written deserializers over proto-loader's (`queryFallback`, `transactionFallback`). */
export function responseDeserializers(
  queryFallback: Deserializer,
  transactionFallback: Deserializer,
): ResponseDeserializers {
  return {
    query: decoder(2, 'payload', false, queryFallback),
    transaction: decoder(4, 'result', true, transactionFallback),
  };
}
