/**
 * Row batches built one row at a time (the session layer encodes each row into its batch as soon
 * as it is read, so nothing per row outlives the socket read that produced it) and handed out
 * without a copy, and rows collected for a message proto-loader encodes.
 */
import { Code, GatewayError } from '../errors.js';
import type { WireValue } from '../sql/wire.js';
import {
  type Row,
  type RowPlan,
  Scratch,
  sizeCells,
  sizeRowValues,
  TAG_FIELD1_LEN,
  writeRowValues,
} from './row-encoding.js';
import { UNHANDLED, varintSize, writeVarint } from './scalars.js';

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
    return sizeRowValues(values, scratch, 0);
  } catch (err) {
    return sizingFailed(err, scratch);
  }
}

/** A row's sizing threw: the scratch is dropped and {@link UNHANDLED} becomes INTERNAL. */
function sizingFailed(err: unknown, scratch: Scratch): never {
  scratch.reset();
  if (err !== UNHANDLED) throw err;
  throw new GatewayError(Code.INTERNAL, 'ROW_ENCODING', 'a result value could not be encoded');
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
    let body: number;
    try {
      body = sizeCells(cells, plan, scratch);
    } catch (err) {
      return sizingFailed(err, scratch);
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
