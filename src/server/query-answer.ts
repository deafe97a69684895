/**
 * How a query's result leaves: as the contract's stream (metadata, rows..., stats), or, when the
 * request set `accept_single_message`, a result whose rows fit in one batch as ONE message
 * holding all three (QueryResponse.result, TransactionResponse.query_result). The answer holds
 * the columns and the first batch until it knows which: a second batch sends what it holds and
 * streams on; the statement's end sends the single message. One message instead of three saves
 * two grpc-js writes (each its own HTTP/2 frame and event-loop turn) per query.
 */
import type { ResultColumn, ResultSink } from '../session/commands.js';

/** The messages of one result, as one response type spells them. */
export interface ResultMessages {
  metadata(columns: readonly ResultColumn[]): object;
  rows(rows: unknown): object;
  stats(stats: object): object;
  /** The whole result in one message (`rows` undefined: none). */
  whole(columns: readonly ResultColumn[], rows: unknown, stats: object): object;
}

/** A QueryResponse's messages. */
export const QUERY_MESSAGES: ResultMessages = {
  metadata: (columns) => ({ metadata: { columns } }),
  rows: (rows) => ({ rows: { rows } }),
  stats: (stats) => ({ stats }),
  whole: (columns, rows, stats) => ({ result: queryResult(columns, rows, stats) }),
};

/** A TransactionResponse's messages answering request `id`. */
export function transactionMessages(id: string): ResultMessages {
  return {
    metadata: (columns) => ({ request_id: id, metadata: { columns } }),
    rows: (rows) => ({ request_id: id, rows: { rows } }),
    stats: (stats) => ({ request_id: id, done: stats }),
    whole: (columns, rows, stats) => ({ request_id: id, query_result: queryResult(columns, rows, stats) }),
  };
}

function queryResult(columns: readonly ResultColumn[], rows: unknown, stats: object): object {
  return { metadata: { columns }, ...(rows === undefined ? {} : { rows: { rows } }), stats };
}

/** One result's answer: streamed, or held until it is known to fit one message. */
export class ResultAnswer {
  /** True once anything was written: from then on the result streams. */
  private streaming: boolean;
  private heldColumns: readonly ResultColumn[] = [];
  private heldRows: unknown;

  constructor(
    private readonly messages: ResultMessages,
    private readonly send: (message: object) => boolean,
    singleMessage: boolean,
  ) {
    this.streaming = !singleMessage;
  }

  columns(columns: readonly ResultColumn[]): void {
    if (this.streaming) this.send(this.messages.metadata(columns));
    else this.heldColumns = columns;
  }

  rows(rows: unknown): boolean {
    if (!this.streaming) {
      if (this.heldRows === undefined) {
        this.heldRows = rows;
        return true;
      }
      this.streaming = true;
      this.send(this.messages.metadata(this.heldColumns));
      this.send(this.messages.rows(this.heldRows));
      this.drop();
    }
    return this.send(this.messages.rows(rows));
  }

  /** Sends the statement's totals (`stats`, a QueryStats object): the last message, or the only one. */
  finish(stats: object): void {
    if (this.streaming) this.send(this.messages.stats(stats));
    else this.send(this.messages.whole(this.heldColumns, this.heldRows, stats));
    this.drop();
  }

  /** Forgets what is held (the statement failed: its error is the answer). */
  drop(): void {
    this.heldColumns = [];
    this.heldRows = undefined;
  }
}

/** The stream a Query answers on: grpc-js's ServerWritableStream, as far as the answer uses it. */
export interface QueryStream {
  write(message: object): boolean;
  once(event: 'drain', cb: () => void): unknown;
  end(): void;
}

/** A Query's answer: the session writes its result into it; {@link QueryAnswer.finish} ends it. */
export class QueryAnswer implements ResultSink {
  private readonly answer: ResultAnswer;

  constructor(
    private readonly call: QueryStream,
    singleMessage: boolean,
  ) {
    this.answer = new ResultAnswer(QUERY_MESSAGES, (m) => call.write(m), singleMessage);
  }

  columns(columns: readonly ResultColumn[]): void {
    this.answer.columns(columns);
  }

  rows(rows: unknown): boolean {
    return this.answer.rows(rows);
  }

  onceDrain(cb: () => void): void {
    this.call.once('drain', cb);
  }

  /** Sends the statement's totals and ends the stream. */
  finish(stats: object): void {
    this.answer.finish(stats);
    this.call.end();
  }

  /** Forgets what is held (the call failed: its status is the answer). */
  drop(): void {
    this.answer.drop();
  }
}

/**
 * The same choice for the queries of a Transaction stream, per request id. Statements run one at
 * a time, so one result is answered at a time. Sharing a request_id between pending queries that
 * do and do not accept it makes that id stream (a client that accepts one message also reads the
 * stream), so no caller ever gets a shape it did not ask for.
 */
export class StatementAnswers {
  private readonly accepting = new Set<string>();
  private current: { readonly id: string; readonly answer: ResultAnswer } | undefined;

  constructor(private readonly send: (message: object) => boolean) {}

  /** A query request arrived with `id`; `accepts` is its Statement's accept_single_message. */
  query(id: string, accepts: boolean): void {
    if (accepts) this.accepting.add(id);
    else this.accepting.delete(id);
  }

  columns(id: string, columns: readonly ResultColumn[]): void {
    const answer = new ResultAnswer(transactionMessages(id), this.send, this.accepting.has(id));
    this.current = { id, answer };
    answer.columns(columns);
  }

  rows(id: string, rows: unknown): boolean {
    return this.answerOf(id).rows(rows);
  }

  /** The query `id` finished with `stats` (a QueryStats object). */
  done(id: string, stats: object): void {
    this.answerOf(id).finish(stats);
    this.current = undefined;
    this.accepting.delete(id);
  }

  /** The request `id` failed: what its query held is dropped (the error is the answer). */
  forget(id: string): void {
    if (this.current?.id === id) this.current = undefined;
    this.accepting.delete(id);
  }

  /** The answer of query `id` (a streaming one when its columns never came). */
  private answerOf(id: string): ResultAnswer {
    if (this.current?.id === id) return this.current.answer;
    return new ResultAnswer(transactionMessages(id), this.send, false);
  }
}
