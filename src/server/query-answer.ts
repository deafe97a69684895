/**
 * How a Query's result leaves: as the contract's stream (metadata, rows..., stats), or, when the
 * request set `accept_single_message`, a result whose rows fit in one batch as ONE `result`
 * message. The answer holds the columns and the first batch until it knows which: a second batch
 * sends what it holds and streams on; the statement's end sends the single message. One message
 * instead of three saves two grpc-js writes (each its own HTTP/2 frame and event-loop turn) per
 * call.
 */
import type { ResultColumn, ResultSink } from '../session/commands.js';

/** The stream a Query answers on: grpc-js's ServerWritableStream, as far as the answer uses it. */
export interface QueryStream {
  write(message: object): boolean;
  once(event: 'drain', cb: () => void): unknown;
  end(): void;
}

/** A Query's answer: the session writes its result into it; {@link QueryAnswer.finish} ends it. */
export class QueryAnswer implements ResultSink {
  /** True once anything was written: from then on the result streams. */
  private streaming: boolean;
  private heldColumns: readonly ResultColumn[] | undefined;
  private heldRows: unknown;
  private holdingRows = false;

  constructor(
    private readonly call: QueryStream,
    singleMessage: boolean,
  ) {
    this.streaming = !singleMessage;
  }

  columns(columns: readonly ResultColumn[]): void {
    if (this.streaming) this.call.write({ metadata: { columns } });
    else this.heldColumns = columns;
  }

  rows(rows: unknown): boolean {
    if (!this.streaming) {
      if (!this.holdingRows) {
        this.holdingRows = true;
        this.heldRows = rows;
        return true;
      }
      this.startStreaming();
    }
    return this.call.write({ rows: { rows } });
  }

  onceDrain(cb: () => void): void {
    this.call.once('drain', cb);
  }

  /** Sends the statement's totals (`stats`, a QueryStats object) and ends the stream. */
  finish(stats: object): void {
    if (this.streaming) {
      this.call.write({ stats });
    } else {
      this.call.write({
        result: {
          metadata: { columns: this.heldColumns ?? [] },
          ...(this.holdingRows ? { rows: { rows: this.heldRows } } : {}),
          stats,
        },
      });
      this.drop();
    }
    this.call.end();
  }

  /** Forgets what is held (the call failed: its status is the answer). */
  drop(): void {
    this.heldColumns = undefined;
    this.heldRows = undefined;
    this.holdingRows = false;
  }

  private startStreaming(): void {
    this.streaming = true;
    this.call.write({ metadata: { columns: this.heldColumns ?? [] } });
    if (this.holdingRows) this.call.write({ rows: { rows: this.heldRows } });
    this.drop();
  }
}

/** A query result held by {@link StatementAnswers} until it is known to fit one message. */
interface Held {
  readonly id: string;
  readonly columns: readonly ResultColumn[];
  rows: unknown;
  hasRows: boolean;
}

/**
 * The same choice for the queries of a Transaction stream, per request id: a query whose
 * Statement set `accept_single_message` and whose rows fit in one batch is answered by one
 * `query_result` message. Statements run one at a time, so at most one result is held. Sharing a
 * request_id between pending queries that do and do not accept it makes that id stream (a client
 * that accepts one message also reads the stream), so no caller ever gets a shape it did not ask
 * for.
 */
export class StatementAnswers {
  private readonly accepting = new Set<string>();
  private held: Held | undefined;

  constructor(private readonly send: (message: object) => boolean) {}

  /** A query request arrived with `id`; `accepts` is its Statement's accept_single_message. */
  query(id: string, accepts: boolean): void {
    if (accepts) this.accepting.add(id);
    else this.accepting.delete(id);
  }

  columns(id: string, columns: readonly ResultColumn[]): void {
    if (this.accepting.has(id)) this.held = { id, columns, rows: undefined, hasRows: false };
    else this.send({ request_id: id, metadata: { columns } });
  }

  rows(id: string, rows: unknown): boolean {
    const held = this.held;
    if (held !== undefined && held.id === id) {
      if (!held.hasRows) {
        held.hasRows = true;
        held.rows = rows;
        return true;
      }
      this.held = undefined;
      this.send({ request_id: id, metadata: { columns: held.columns } });
      this.send({ request_id: id, rows: { rows: held.rows } });
    }
    return this.send({ request_id: id, rows: { rows } });
  }

  /** The query `id` finished with `stats` (a QueryStats object). */
  done(id: string, stats: object): void {
    const held = this.held;
    if (held !== undefined && held.id === id) {
      this.held = undefined;
      this.send({
        request_id: id,
        query_result: {
          metadata: { columns: held.columns },
          ...(held.hasRows ? { rows: { rows: held.rows } } : {}),
          stats,
        },
      });
    } else {
      this.send({ request_id: id, done: stats });
    }
    this.accepting.delete(id);
  }

  /** The request `id` failed: what its query held is dropped (the error is the answer). */
  forget(id: string): void {
    if (this.held?.id === id) this.held = undefined;
    this.accepting.delete(id);
  }
}
