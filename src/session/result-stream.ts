/**
 * Streams a result from a MySQL connection to a gRPC stream in batches, with flow control
 * from the client down to the MySQL socket: when the gRPC stream's buffer is full the
 * connection stops reading, so the server blocks and gateway memory stays flat.
 */
import type { FieldPacket } from 'mysql2';
import type { DbConnection, RowSink } from '../backend/connection.js';
import { errors, type GatewayError } from '../errors.js';
import type { ResultShape } from '../sql/values.js';
import type { ResultSink, RowBatchEncoder } from './commands.js';

/** Batch limits (config `limits`). */
export interface BatchLimits {
  /** Most rows per message. */
  readonly maxRowsPerBatch: number;
  /** A message is cut once its encoded rows reach this many bytes. */
  readonly maxBatchBytes: number;
  /** Most rows per statement; 0 = unlimited. Past it the statement fails RESOURCE_EXHAUSTED. */
  readonly maxRowsPerQuery: number;
  /** Most encoded result bytes per statement; 0 = unlimited. Past it: RESOURCE_EXHAUSTED. */
  readonly maxBytesPerQuery: number;
}

/**
 * A {@link RowSink} that decodes rows, encodes each into the batch at once (so no row object
 * outlives the socket read it came from), flushes a batch when full or once the rows that arrived
 * in one socket read have been parsed, and pauses the connection while the client is behind.
 */
export class ResultBatcher implements RowSink {
  /** Encodes one driver row into the batch (set with the result's shape); returns its size. */
  private encode: ((raw: unknown[]) => number) | undefined;
  /** The batch encodes the driver's cells itself (see `RowBatchEncoder.addCells`). */
  readonly textAsBytes: boolean;
  private scheduled: NodeJS.Immediate | undefined;
  private paused = false;
  private sentMetadata = false;
  /** Rows decoded so far. */
  rowCount = 0;
  /** Encoded row bytes streamed. */
  bytes = 0;
  /** Set when the result broke a limit; the statement is aborted through `onLimit`. */
  failure: GatewayError | undefined;

  constructor(
    private readonly conn: DbConnection,
    private readonly sink: ResultSink,
    private readonly batch: RowBatchEncoder,
    private readonly limits: BatchLimits,
    private readonly onLimit: (err: GatewayError) => void,
  ) {
    this.textAsBytes = batch.addCells !== undefined;
  }

  fields(_fields: readonly FieldPacket[], _protocol: 'binary' | 'text', shape: ResultShape): void {
    if (this.sentMetadata) {
      this.fail(
        errors.failedPrecondition(
          'MULTIPLE_RESULT_SETS',
          'the statement returned more than one result set, which Query does not support',
        ),
      );
      return;
    }
    this.sentMetadata = true;
    this.encode = this.encoderFor(shape);
    this.sink.columns(shape.columns);
  }

  /** The batch's own cell encoding with the shape's plan when it has one, else decode and add. */
  private encoderFor(shape: ResultShape): (raw: unknown[]) => number {
    const batch = this.batch;
    const addCells = batch.addCells?.bind(batch);
    if (addCells) {
      const plan = shape.plan;
      return (raw) => addCells(raw, plan);
    }
    const decode = shape.decode;
    return (raw) => batch.add(decode(raw));
  }

  row(raw: unknown[]): void {
    if (this.failure || this.encode === undefined) return;
    this.rowCount++;
    if (this.limits.maxRowsPerQuery > 0 && this.rowCount > this.limits.maxRowsPerQuery) {
      this.fail(
        errors.resourceExhausted(
          'ROW_LIMIT',
          `result exceeds the limit of ${this.limits.maxRowsPerQuery} rows (limits.maxRowsPerQuery); add a LIMIT or page through the result`,
        ),
      );
      return;
    }
    this.bytes += this.encode(raw);
    if (this.limits.maxBytesPerQuery > 0 && this.bytes > this.limits.maxBytesPerQuery) {
      this.fail(
        errors.resourceExhausted(
          'BYTE_LIMIT',
          `result exceeds the limit of ${this.limits.maxBytesPerQuery} bytes (limits.maxBytesPerQuery); select fewer columns or rows`,
        ),
      );
      return;
    }
    if (
      this.batch.count >= this.limits.maxRowsPerBatch ||
      this.batch.byteLength >= this.limits.maxBatchBytes
    ) {
      this.flush();
    } else if (this.scheduled === undefined) {
      // Rows parsed from one socket read arrive synchronously: send them together.
      this.scheduled = setImmediate(() => {
        this.scheduled = undefined;
        this.flush();
      });
    }
  }

  /** Sends what is left; call when the statement is complete. Sends empty metadata if none came. */
  finish(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (!this.sentMetadata) {
      this.sentMetadata = true;
      this.sink.columns([]);
    }
    // The statement is complete: never pause now, the next command could not start.
    this.flush(false);
  }

  /** Drops pending rows and timers (the statement failed). */
  discard(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.batch.discard();
  }

  private flush(mayPause = true): void {
    if (this.batch.count === 0) return;
    const rows = this.batch.take();
    if (!this.sink.rows(rows) && mayPause && !this.paused) {
      this.paused = true;
      this.conn.pause();
      this.sink.onceDrain(() => {
        this.paused = false;
        this.conn.resume();
      });
    }
  }

  private fail(err: GatewayError): void {
    this.failure = err;
    this.discard();
    this.onLimit(err);
  }
}
