/**
 * A hand-written encoder for `BatchResponse`, in front of proto-loader's generic serializer
 * (its fallback for any message it does not recognise). A batch of many small results spent most
 * of its encoding in protobufjs's `fromObject` copies (a message object per column of every
 * step's metadata, per row and per value); here each step's column metadata is encoded once per
 * compiled result shape (the same columns array, {@link MetadataCache}) and rows go straight from
 * the wire rows into one buffer. The output is standard proto3 encoding of the same field values;
 * test/unit/wire/batch-codec decodes it with proto-loader and compares with the generic path.
 */
import { type MetadataCache, encodeStats, type Serializer } from './response-codec.js';
import { type Row, Scratch, sizeRows, writeRows } from './row-encoding.js';
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

/** A field of a small message: its number, wire form and value. */
type Field =
  | { readonly n: number; readonly kind: 'uint'; readonly v: number | bigint }
  | { readonly n: number; readonly kind: 'str'; readonly v: string; readonly size: number }
  | { readonly n: number; readonly kind: 'bytes'; readonly v: Buffer };

/** Accumulates a message's fields, then writes them in the order added (field number order). */
class Fields {
  readonly list: Field[] = [];
  size = 0;

  uint(n: number, raw: unknown): void {
    if (raw == null) return;
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : integerVarint(raw, false);
    this.list.push({ n, kind: 'uint', v });
    this.size += 1 + (typeof v === 'number' ? varintSize(v) : bigVarintSize(v));
  }

  str(n: number, raw: unknown): void {
    if (raw == null) return;
    if (typeof raw !== 'string') throw UNHANDLED;
    const size = utf8Size(raw);
    this.list.push({ n, kind: 'str', v: raw, size });
    this.size += 1 + varintSize(size) + size;
  }

  bytes(n: number, v: Buffer): void {
    this.list.push({ n, kind: 'bytes', v });
    this.size += 1 + varintSize(v.length) + v.length;
  }

  /** The message body. */
  encode(): Buffer {
    const buf = Buffer.allocUnsafe(this.size);
    let pos = 0;
    for (const f of this.list) {
      if (f.kind === 'uint') {
        buf[pos++] = f.n << 3;
        pos = typeof f.v === 'number' ? writeVarint(buf, pos, f.v) : writeBigVarint(buf, pos, f.v);
      } else if (f.kind === 'str') {
        buf[pos++] = (f.n << 3) | 2;
        pos = writeVarint(buf, pos, f.size);
        pos = writeString(buf, pos, f.v, f.size);
      } else {
        buf[pos++] = (f.n << 3) | 2;
        pos = writeVarint(buf, pos, f.v.length);
        pos += f.v.copy(buf, pos);
      }
    }
    return buf;
  }
}

/** Throws {@link UNHANDLED} unless every own key of `m` is in `known`. */
function only(m: object, known: ReadonlySet<string>): void {
  for (const k of Object.keys(m)) if (!known.has(k)) throw UNHANDLED;
}

const EXECUTED_KEYS = new Set([
  'affected_rows',
  'last_insert_id',
  'warning_count',
  'info',
  'consistency_token',
  'backend',
  'elapsed_us',
  'replayed',
]);

/** An `ExecuteResponse` body. */
function encodeExecuted(m: Record<string, unknown>): Buffer {
  only(m, EXECUTED_KEYS);
  const f = new Fields();
  f.uint(1, m.affected_rows);
  f.uint(2, m.last_insert_id);
  f.uint(3, m.warning_count);
  f.str(4, m.info);
  f.str(5, m.consistency_token);
  f.str(6, m.backend);
  f.uint(7, m.elapsed_us);
  f.uint(8, m.replayed);
  return f.encode();
}

const ERROR_KEYS = new Set([
  'code',
  'mysql_errno',
  'sql_state',
  'message',
  'reason',
  'transaction_rolled_back',
]);

/** A `StatementError` body (codes and errnos are never negative). */
function encodeError(m: Record<string, unknown>): Buffer {
  only(m, ERROR_KEYS);
  const f = new Fields();
  f.uint(1, m.code);
  f.uint(2, m.mysql_errno);
  f.str(3, m.sql_state);
  f.str(4, m.message);
  f.str(5, m.reason);
  f.uint(6, m.transaction_rolled_back);
  return f.encode();
}

/** `StatementResult.rows` is field 2: each row's tag. */
const TAG_RESULT_ROW = (2 << 3) | 2;

/** A `StatementResult` body: metadata (cached per columns array), every row, the stats. */
function encodeResult(m: Record<string, unknown>, metadata: MetadataCache, scratch: Scratch): Buffer {
  const meta = m.metadata as { columns?: unknown } | undefined;
  const rows = m.rows;
  if (meta == null || !Array.isArray(meta.columns) || !Array.isArray(rows) || m.stats == null)
    throw UNHANDLED;
  const metaBody = metadata.body(meta.columns as never);
  const stats = encodeStats(m.stats as Record<string, unknown>);
  const rowsSize = sizeRows(rows as Row[], scratch);
  const size =
    1 +
    varintSize(metaBody.length) +
    metaBody.length +
    rowsSize +
    1 +
    varintSize(stats.length) +
    stats.length;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  buf[pos++] = (1 << 3) | 2;
  pos = writeVarint(buf, pos, metaBody.length);
  pos += metaBody.copy(buf, pos);
  pos = writeRows(buf, pos, rows as Row[], scratch, TAG_RESULT_ROW);
  buf[pos++] = (3 << 3) | 2;
  pos = writeVarint(buf, pos, stats.length);
  stats.copy(buf, pos);
  return buf;
}

const STEP_KEYS = new Set(['executed', 'result', 'error', 'skipped']);

/** A `BatchStepResult` body: exactly one outcome. */
function encodeStep(m: Record<string, unknown>, metadata: MetadataCache, scratch: Scratch): Buffer {
  only(m, STEP_KEYS);
  const keys = Object.keys(m);
  if (keys.length !== 1) throw UNHANDLED;
  const f = new Fields();
  const v = m[keys[0] as string] as Record<string, unknown>;
  if (v === null || typeof v !== 'object') throw UNHANDLED;
  if ('executed' in m) f.bytes(1, encodeExecuted(v));
  else if ('result' in m) f.bytes(2, encodeResult(v, metadata, scratch));
  else if ('error' in m) f.bytes(3, encodeError(v));
  else {
    only(v, new Set());
    f.bytes(4, Buffer.alloc(0));
  }
  return f.encode();
}

const RESPONSE_KEYS = new Set([
  'results',
  'committed',
  'consistency_token',
  'backend',
  'elapsed_us',
  'replayed',
]);

/**
 * The `BatchResponse` serializer: hand-written for the objects server/batch.ts builds, `fallback`
 * (proto-loader's) for anything else.
 */
export function batchResponseSerializer(metadata: MetadataCache, fallback: Serializer): Serializer {
  const scratch = new Scratch();
  return (message) => {
    if (message === null || typeof message !== 'object') return fallback(message);
    const m = message as Record<string, unknown>;
    try {
      only(m, RESPONSE_KEYS);
      if (!Array.isArray(m.results)) throw UNHANDLED;
      const f = new Fields();
      for (const step of m.results) {
        if (step === null || typeof step !== 'object') throw UNHANDLED;
        f.bytes(1, encodeStep(step as Record<string, unknown>, metadata, scratch));
      }
      f.uint(2, m.committed);
      f.str(3, m.consistency_token);
      f.str(4, m.backend);
      f.uint(5, m.elapsed_us);
      f.uint(6, m.replayed);
      return f.encode();
    } catch (err) {
      if (err === UNHANDLED) {
        scratch.clear();
        return fallback(message);
      }
      throw err;
    }
  };
}
