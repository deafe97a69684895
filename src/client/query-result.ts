/**
 * A query's result as the caller reads it: an async iterator of decoded rows over a bounded
 * buffer of received row batches. The buffer asks its source to pause while it holds
 * {@link HIGH_WATER_BATCHES} batches, so a consumer that stops pulling stops the gRPC stream
 * (and, through HTTP/2 flow control, the gateway's reads from MySQL).
 */
import { GatewayClientError, invalidArgument, StatusCode } from './errors.js';
import {
  type Column,
  decodeColumn,
  decodeStats,
  type QueryStats,
  type WireColumnIn,
  type WireRowIn,
} from './messages.js';
import type { RowMode } from './options.js';
import { decodeValue, type SqlValue } from './values.js';

/** A row in column order (the default `rowMode: 'array'`). */
export type Row = SqlValue[];

/** A row keyed by column name (`rowMode: 'object'`). */
export type RowObject = Record<string, SqlValue>;

/** A whole result, from `queryAll()`. */
export interface QueryAllResult<R = Row> {
  /** The result's columns. */
  readonly columns: readonly Column[];
  /** Every row. */
  readonly rows: R[];
  /** Totals from the gateway. */
  readonly stats: QueryStats;
}

/** What a result buffer needs from the stream that fills it. */
export interface RowSource {
  /** Stop delivering messages for now (flow control). */
  pause(): void;
  /** Deliver messages again. */
  resume(): void;
  /** The consumer stopped before the end: stop (or discard) the rest of the result. */
  cancel(): void;
}

/** Batches buffered before the source is paused. */
export const HIGH_WATER_BATCHES = 4;
/** The source resumes when the buffer is down to this many batches. */
const LOW_WATER_BATCHES = 1;

/** The lifecycle of a result: receiving, then exactly one of the three ends. */
export type ResultState = 'streaming' | 'ended' | 'failed' | 'cancelled';

/**
 * The receiving side of a {@link QueryResult}: the transport pushes messages in, the result
 * pulls rows out. Illegal pushes (rows before metadata, anything after the end) fail the
 * result instead of corrupting it.
 */
export class RowFeed {
  private stateValue: ResultState = 'streaming';
  private columnsValue: readonly Column[] | undefined;
  private statsValue: QueryStats | undefined;
  private errorValue: GatewayClientError | undefined;
  private readonly batches: (readonly WireRowIn[])[] = [];
  /** Index of the next row in `batches[0]`. */
  private head = 0;
  private paused = false;
  private wake: (() => void) | undefined;
  private source: RowSource | undefined;
  /** Someone looked at the result (iterated it, awaited its metadata or rows). */
  observed = false;

  /** Connects the transport; until then the feed cannot pause or cancel anything. */
  attach(source: RowSource): void {
    this.source = source;
  }

  get state(): ResultState {
    return this.stateValue;
  }
  get columns(): readonly Column[] | undefined {
    return this.columnsValue;
  }
  get stats(): QueryStats | undefined {
    return this.statsValue;
  }
  get error(): GatewayClientError | undefined {
    return this.errorValue;
  }

  /** The `metadata` message. */
  onMetadata(columns: readonly WireColumnIn[] | undefined): void {
    if (this.stateValue !== 'streaming') return;
    if (this.columnsValue !== undefined) {
      this.reject(protocolError('metadata received twice'));
      return;
    }
    this.columnsValue = Object.freeze((columns ?? []).map(decodeColumn));
    this.notify();
  }

  /** A `rows` message. */
  onRows(rows: readonly WireRowIn[] | undefined): void {
    if (this.stateValue !== 'streaming') return;
    if (this.columnsValue === undefined) {
      this.reject(protocolError('rows received before metadata'));
      return;
    }
    if (!rows || rows.length === 0) return;
    this.batches.push(rows);
    if (!this.paused && this.batches.length >= HIGH_WATER_BATCHES) {
      this.paused = true;
      this.source?.pause();
    }
    this.notify();
  }

  /** The `stats` / `done` message: the result is complete. */
  onEnd(stats: Parameters<typeof decodeStats>[0] | undefined): void {
    if (this.stateValue !== 'streaming') return;
    if (this.columnsValue === undefined) {
      this.reject(protocolError('result ended before metadata'));
      return;
    }
    this.statsValue = decodeStats(stats ?? {});
    this.stateValue = 'ended';
    this.notify();
  }

  /** The call or statement failed. Rows already buffered are dropped: the result is incomplete. */
  fail(err: GatewayClientError): void {
    if (this.stateValue !== 'streaming') return;
    this.errorValue = err;
    this.stateValue = 'failed';
    this.dropBuffer();
    this.notify();
  }

  /** The consumer gave up: drop what is buffered, tell the source. Idempotent. */
  cancel(): void {
    if (this.stateValue !== 'streaming') return;
    this.stateValue = 'cancelled';
    this.dropBuffer();
    this.source?.cancel();
    this.notify();
  }

  /** The client refuses the result (e.g. duplicate column names in object mode): fail and stop the source. */
  reject(err: GatewayClientError): void {
    if (this.stateValue !== 'streaming') return;
    this.fail(err);
    this.source?.cancel();
  }

  /** The next buffered row, if any (resuming the source when the buffer runs low). */
  take(): WireRowIn | undefined {
    const batch = this.batches[0];
    if (batch === undefined) return undefined;
    const row = batch[this.head++];
    if (this.head >= batch.length) {
      this.batches.shift();
      this.head = 0;
      if (this.paused && this.batches.length <= LOW_WATER_BATCHES) {
        this.paused = false;
        this.source?.resume();
      }
    }
    return row;
  }

  /** Resolves at the next push, end or failure. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  private dropBuffer(): void {
    this.batches.length = 0;
    this.head = 0;
    if (this.paused) {
      this.paused = false;
      this.source?.resume();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * A query result: iterate it once with `for await`, rows decoded as you pull them. `columns`
 * is set once the metadata has arrived ({@link metadata} waits for it), `stats` once the last
 * row has been read. Leaving the loop early (`break`, `return`, a throw) cancels the rest;
 * {@link cancel} does the same from outside.
 */
export class QueryResult<R = Row> implements AsyncIterable<R> {
  readonly #feed: RowFeed;
  readonly #rowMode: RowMode;
  #iterated = false;
  #names: readonly string[] | undefined;

  /** @internal Results come from {@link GatewayClient.query} and `tx.query`. */
  constructor(feed: RowFeed, rowMode: RowMode) {
    this.#feed = feed;
    this.#rowMode = rowMode;
  }

  /** The result's columns, once the metadata has arrived. */
  get columns(): readonly Column[] | undefined {
    return this.#feed.columns;
  }

  /** Totals from the gateway, once every row has been read. */
  get stats(): QueryStats | undefined {
    return this.#feed.stats;
  }

  /** `streaming`, then `ended` (all rows read or buffered), `failed` or `cancelled`. */
  get state(): ResultState {
    return this.#feed.state;
  }

  /** Waits for the columns (the first message); rejects when the query failed first. */
  async metadata(): Promise<readonly Column[]> {
    const feed = this.#feed;
    feed.observed = true;
    for (;;) {
      if (feed.columns !== undefined) return feed.columns;
      if (feed.error) throw feed.error;
      if (feed.state === 'cancelled') throw cancelledError();
      await feed.changed();
    }
  }

  /** Reads every remaining row into an array. */
  async all(): Promise<R[]> {
    const rows: R[] = [];
    for await (const row of this) rows.push(row);
    return rows;
  }

  /** Stops the query (the gRPC call is cancelled; in a transaction the rest is discarded). */
  cancel(): void {
    this.#feed.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<R> {
    if (this.#iterated) {
      const err = invalidArgument('ALREADY_ITERATED', 'a query result can be iterated only once');
      return { next: () => Promise.reject(err) };
    }
    this.#iterated = true;
    const feed = this.#feed;
    feed.observed = true;
    return {
      next: async (): Promise<IteratorResult<R>> => {
        for (;;) {
          const row = feed.take();
          if (row !== undefined) return { value: this.#decode(row), done: false };
          switch (feed.state) {
            case 'ended':
              return { value: undefined, done: true };
            case 'failed':
              throw feed.error;
            case 'cancelled':
              throw cancelledError();
            default:
              await feed.changed();
          }
        }
      },
      return: async (): Promise<IteratorResult<R>> => {
        feed.cancel();
        return { value: undefined, done: true };
      },
    };
  }

  #decode(row: WireRowIn): R {
    const values = row.values ?? [];
    const columns = this.#feed.columns ?? [];
    const out: SqlValue[] = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) out[i] = decodeValue(values[i]);
    if (this.#rowMode === 'array') return out as R;
    return toRowObject(this.#objectNames(columns), out) as R;
  }

  #objectNames(columns: readonly Column[]): readonly string[] {
    if (this.#names) return this.#names;
    const duplicate = duplicateColumnName(columns);
    if (duplicate !== undefined) {
      const err = invalidArgument(
        'DUPLICATE_COLUMN_NAME',
        `two columns are named '${duplicate}': alias them, or use rowMode 'array'`,
      );
      this.#feed.reject(err);
      throw err;
    }
    this.#names = columns.map((c) => c.name);
    return this.#names;
  }
}

/** The first column name that appears twice, if any (object rows need distinct names). */
export function duplicateColumnName(columns: readonly Column[]): string | undefined {
  const seen = new Set<string>();
  for (const { name } of columns) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** A decoded row keyed by column name (`names` distinct, see {@link duplicateColumnName}). */
export function toRowObject(names: readonly string[], values: readonly SqlValue[]): RowObject {
  const obj: RowObject = {};
  // defineProperty, so that a column named `__proto__` is a plain key, not the prototype.
  for (let i = 0; i < names.length; i++)
    Object.defineProperty(obj, names[i] as string, {
      value: values[i],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return obj;
}

function protocolError(message: string): GatewayClientError {
  return new GatewayClientError(StatusCode.INTERNAL, `unexpected response from the gateway: ${message}`, {
    reason: 'PROTOCOL_ERROR',
  });
}

function cancelledError(): GatewayClientError {
  return new GatewayClientError(StatusCode.CANCELLED, 'the query result was cancelled by the consumer', {
    reason: 'CANCELLED',
  });
}

/** Reads a whole result. */
export async function collect<R>(result: QueryResult<R>): Promise<QueryAllResult<R>> {
  const rows = await result.all();
  // all() returned, so the result ended: metadata and stats are both there.
  return { columns: result.columns ?? [], rows, stats: result.stats as QueryStats };
}
