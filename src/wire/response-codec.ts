/**
 * Hand-written protobuf encoders for the messages on the hot path: `QueryResponse` and
 * `TransactionResponse` carrying `metadata`, `rows` or `stats`/`done`. Every other message (and
 * any object these encoders do not recognise) goes through proto-loader's generic serializer,
 * which they are given as `fallback`.
 *
 * Why by hand: protobufjs's generic path copies every response into a message tree
 * (`fromObject`, a `Long` per 64-bit value) before encoding it. The gateway's row batches arrive
 * already encoded ({@link EncodedRows}, built row by row by the session layer) and are only framed
 * here; an array of wire rows is encoded straight from the wire objects in two passes (sizes, then
 * bytes) over one buffer (src/wire/row-encoding.ts). Column metadata is encoded once per compiled
 * result shape (the same columns array) by the fallback and the bytes reused. The output is
 * standard proto3 encoding of the same field values, fields in number order, as protobufjs writes
 * them; test/unit/wire/response-codec decodes it with proto-loader and compares.
 */
import { EncodedRows } from './row-batch-builder.js';
import { type Row, Scratch, sizeRows, TAG_FIELD1_LEN, writeRows } from './row-encoding.js';
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
import type { WireColumn } from '../sql/values.js';

/** A message serializer as grpc-js takes it. */
export type Serializer = (message: unknown) => Buffer;

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
export function encodeStats(stats: Record<string, unknown>): Buffer {
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
  /** The QueryResult field (a whole small result in one message) and its property. */
  readonly result: number;
  readonly resultKey: 'result' | 'query_result';
}

const QUERY_LAYOUT: Layout = {
  metadata: 1,
  rows: 2,
  stats: 3,
  statsKey: 'stats',
  result: 4,
  resultKey: 'result',
};
const TRANSACTION_LAYOUT: Layout = {
  metadata: 3,
  rows: 4,
  stats: 5,
  statsKey: 'done',
  result: 11,
  resultKey: 'query_result',
};

/**
 * Encoded `ResultMetadata` bodies by columns array: a compiled result shape hands out the same
 * array for every result of a statement, so its metadata is encoded once.
 */
export class MetadataCache {
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
    if (m.replayed != null) {
      // A transaction replay's report (rare) rides on the next response: that response as
      // usual (its rows may be pre-encoded, which the generic path cannot take), with field 10
      // where protobufjs writes it, in field number order: after request_id and any member
      // numbered below 10, before query_result (11).
      const { replayed, ...rest } = m;
      const body = encodeOrFallback(rest);
      const report = fallback({ replayed });
      if (rest.query_result == null) return Buffer.concat([body, report]);
      const id = typeof rest.request_id === 'string' ? rest.request_id : undefined;
      const head = prefixSize(id, id === undefined ? 0 : utf8Size(id));
      return Buffer.concat([body.subarray(0, head), report, body.subarray(head)]);
    }
    let requestId: string | undefined;
    if (layout === TRANSACTION_LAYOUT) {
      const id = m.request_id;
      if (id != null && typeof id !== 'string') throw UNHANDLED;
      requestId = id ?? undefined;
    }
    const batch = m.rows as { rows?: unknown } | undefined;
    if (batch != null) {
      const rows = batch.rows;
      if (m.metadata != null || m[layout.statsKey] != null) throw UNHANDLED;
      const encoded = rows instanceof EncodedRows ? rows : undefined;
      if (encoded === undefined && !Array.isArray(rows)) throw UNHANDLED;
      const body = encoded === undefined ? sizeRows(rows as Row[], scratch) : encoded.end - encoded.start;
      const idSize = requestId === undefined ? 0 : utf8Size(requestId);
      const head = prefixSize(requestId, idSize) + 1 + varintSize(body);
      if (encoded !== undefined && head <= encoded.headroom) {
        // The header goes into the batch's headroom: header and rows leave as one slice, uncopied.
        const from = encoded.start - head;
        const out = encoded.buffer.subarray(from, encoded.end);
        let pos = writePrefix(out, requestId, idSize);
        out[pos++] = (layout.rows << 3) | 2;
        writeVarint(out, pos, body);
        return out;
      }
      const out = Buffer.allocUnsafe(head + body);
      let pos = writePrefix(out, requestId, idSize);
      out[pos++] = (layout.rows << 3) | 2;
      pos = writeVarint(out, pos, body);
      if (encoded !== undefined) encoded.bytes.copy(out, pos);
      else writeRows(out, pos, rows as Row[], scratch);
      return out;
    }
    const whole = m[layout.resultKey];
    if (whole != null) {
      if (m.metadata != null || m[layout.statsKey] != null) throw UNHANDLED;
      return encodeResult(layout, whole as Record<string, unknown>, requestId, metadata, scratch);
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
  function encodeOrFallback(message: unknown): Buffer {
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
  }
  return encodeOrFallback;
}

/**
 * A response holding a QueryResult (QueryResponse.result, TransactionResponse.query_result:
 * metadata, rows, stats as fields 1, 2 and 3) from `{ metadata: { columns }, rows?: { rows },
 * stats }`, the rows pre-encoded or wire rows, after the optional request_id.
 */
function encodeResult(
  layout: Layout,
  result: Record<string, unknown>,
  requestId: string | undefined,
  metadata: MetadataCache,
  scratch: Scratch,
): Buffer {
  const meta = result.metadata as { columns?: unknown } | undefined;
  const stats = result.stats;
  if (meta == null || !Array.isArray(meta.columns) || stats == null || typeof stats !== 'object')
    throw UNHANDLED;
  const metaBody = metadata.body(meta.columns as WireColumn[]);
  const statsBody = encodeStats(stats as Record<string, unknown>);
  const batch = result.rows as { rows?: unknown } | undefined;
  let encoded: EncodedRows | undefined;
  let wireRows: Row[] | undefined;
  let rowsBody = -1;
  if (batch != null) {
    if (batch.rows instanceof EncodedRows) {
      encoded = batch.rows;
      rowsBody = encoded.end - encoded.start;
    } else if (Array.isArray(batch.rows)) {
      wireRows = batch.rows as Row[];
      rowsBody = sizeRows(wireRows, scratch);
    } else {
      throw UNHANDLED;
    }
  }
  const field = (n: number) => 1 + varintSize(n) + n;
  const inner = field(metaBody.length) + (rowsBody >= 0 ? field(rowsBody) : 0) + field(statsBody.length);
  const idSize = requestId === undefined ? 0 : utf8Size(requestId);
  const out = Buffer.allocUnsafe(prefixSize(requestId, idSize) + 1 + varintSize(inner) + inner);
  let pos = writePrefix(out, requestId, idSize);
  out[pos++] = (layout.result << 3) | 2;
  pos = writeVarint(out, pos, inner);
  out[pos++] = (1 << 3) | 2;
  pos = writeVarint(out, pos, metaBody.length);
  pos += metaBody.copy(out, pos);
  if (rowsBody >= 0) {
    out[pos++] = (2 << 3) | 2;
    pos = writeVarint(out, pos, rowsBody);
    if (encoded !== undefined) pos += encoded.buffer.copy(out, pos, encoded.start, encoded.end);
    else pos = writeRows(out, pos, wireRows as Row[], scratch);
  }
  out[pos++] = (3 << 3) | 2;
  pos = writeVarint(out, pos, statsBody.length);
  statsBody.copy(out, pos);
  return out;
}

/** The serializers of the Gateway service's two streaming responses, and their metadata cache. */
export interface ResponseSerializers {
  readonly query: Serializer;
  readonly transaction: Serializer;
  /** Encoded column metadata by columns array (the Batch encoder shares it). */
  readonly metadata: MetadataCache;
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
    metadata,
  };
}
