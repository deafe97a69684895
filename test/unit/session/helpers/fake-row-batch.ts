/** A fake {@link RowBatchEncoder} (batches are arrays of rows) and a recording {@link ResultSink}. */
import type { ResultColumn, ResultSink, RowBatchEncoder } from '../../../../src/session/commands.js';
import type { WireValue } from '../../../../src/sql/values.js';

export type Rows = readonly (readonly WireValue[])[];

/** Encodes each row as `bytesPerRow` bytes. */
export class FakeRowBatch implements RowBatchEncoder<Rows> {
  discards = 0;
  /** Rows ever added. */
  added = 0;
  #rows: WireValue[][] = [];
  #bytes = 0;

  constructor(readonly bytesPerRow = 10) {}

  add(values: readonly WireValue[]): number {
    this.added++;
    this.#rows.push([...values]);
    this.#bytes += this.bytesPerRow;
    return this.bytesPerRow;
  }

  get count(): number {
    return this.#rows.length;
  }

  get byteLength(): number {
    return this.#bytes;
  }

  take(): Rows {
    const rows = this.#rows;
    this.#rows = [];
    this.#bytes = 0;
    return rows;
  }

  discard(): void {
    this.discards++;
    this.#rows = [];
    this.#bytes = 0;
  }
}

/** Records columns and batches; `accept` decides what rows() returns (false = client buffer full). */
export class RecordingSink implements ResultSink<Rows> {
  readonly columnCalls: (readonly ResultColumn[])[] = [];
  readonly batches: Rows[] = [];
  readonly drainWaiters: (() => void)[] = [];
  accept: boolean | ((batch: Rows) => boolean) = true;

  columns(columns: readonly ResultColumn[]): void {
    this.columnCalls.push(columns);
  }

  rows(rows: Rows): boolean {
    this.batches.push(rows);
    return typeof this.accept === 'function' ? this.accept(rows) : this.accept;
  }

  onceDrain(cb: () => void): void {
    this.drainWaiters.push(cb);
  }

  /** The client's buffer has room again. */
  drain(): void {
    for (const cb of this.drainWaiters.splice(0)) cb();
  }

  /** Rows per batch, in order. */
  get batchSizes(): number[] {
    return this.batches.map((b) => b.length);
  }
}
