/**
 * `client.transaction(fn)`: begin, run `fn(tx)`, commit when it returns, roll back when it
 * throws. Statements are written as soon as `tx.query` / `tx.execute` is called, so several
 * can be in flight (pipelined); the gateway answers them in order.
 */
import { GatewayClientError, StatusCode } from './errors.js';
import {
  decodeExecute,
  type ExecuteResult,
  type TransactionReplay,
  type TransactionResponseIn,
} from './messages.js';
import { type TransactionQueryOptions, transactionQueryFields } from './options.js';
import {
  collect,
  type QueryAllResult,
  QueryResult,
  type Row,
  RowFeed,
  type RowObject,
} from './query-result.js';
import type { RequestAction, TransactionStream } from './transaction-stream.js';
import { encodeParams, type SqlParam } from './values.js';

/** What {@link GatewayClient.transaction} resolves to. */
export interface TransactionResult<T> {
  /** What the callback returned. */
  readonly value: T;
  /** The commit's `consistency_token`: pass it to a later query to read this transaction's writes. */
  readonly consistencyToken: string;
  /**
   * True when a retried keyed transaction found that an earlier attempt had committed (its
   * commit answer was lost): `value` and `consistencyToken` are that attempt's.
   */
  readonly replayed: boolean;
  /** Replays of this attempt on a new connection (`replay` option), in order; empty when none. */
  readonly replays: readonly TransactionReplay[];
}

/**
 * A promise that knows whether anyone attached a handler (`await`, `then`, `catch`), so that a
 * statement that failed without anyone noticing can fail the transaction instead of being
 * committed around.
 */
class StatementPromise<T> extends Promise<T> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  observed = false;

  // Overriding then() is the point: it is how the transaction learns a caller looked.
  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass, still a real promise
  override then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.observed = true;
    return super.then(onfulfilled, onrejected);
  }
}

function statementPromise<T>(): {
  promise: StatementPromise<T>;
  resolve: (value: T) => void;
  reject: (err: GatewayClientError) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (err: GatewayClientError) => void;
  const promise = new StatementPromise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The transaction handles a failure nobody awaited (it rolls back): no unhandled rejection.
  Promise.prototype.then.call(promise, undefined, () => {});
  return { promise, resolve, reject };
}

/** Ends a handle: statements made after the callback returned fail TRANSACTION_ENDED. */
let closeTransaction: (tx: Transaction) => void;

/** The handle `fn` receives: statements on the transaction's one pinned connection. */
export class Transaction {
  readonly #stream: TransactionStream;
  #open = true;
  /** Backend the transaction is pinned to, `host:port`. */
  readonly backend: string;
  /** MySQL connection id of the pinned connection (decimal text). */
  readonly connectionId: string;

  /** Replays so far on a new connection (`replay` option), in order; empty when none. */
  get replays(): readonly TransactionReplay[] {
    return this.#stream.replays;
  }

  /** @internal Created by {@link GatewayClient.transaction}. */
  constructor(stream: TransactionStream, begun: { backend?: string; connection_id?: string }) {
    this.#stream = stream;
    this.backend = begun.backend ?? '';
    this.connectionId = begun.connection_id ?? '';
  }

  /**
   * Runs a statement that returns rows. Iterate the result like {@link GatewayClient.query}'s;
   * rows not read before the next request is made (or the callback returns) are buffered.
   * Leaving the loop early discards the rest of the rows (the statement itself runs to the end:
   * a transaction's statement cannot be cancelled without ending the transaction).
   */
  query(
    sql: string,
    params?: readonly SqlParam[],
    opts?: TransactionQueryOptions & { rowMode?: 'array' },
  ): QueryResult<Row>;
  query(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: TransactionQueryOptions & { rowMode: 'object' },
  ): QueryResult<RowObject>;
  query(
    sql: string,
    params?: readonly SqlParam[],
    opts: TransactionQueryOptions = {},
  ): QueryResult<Row | RowObject> {
    return this.#query(sql, params, opts);
  }

  #query(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: TransactionQueryOptions,
  ): QueryResult<Row | RowObject> {
    const feed = new RowFeed();
    const result = new QueryResult<Row | RowObject>(feed, opts.rowMode ?? 'array');
    let action: RequestAction;
    try {
      this.#checkOpen();
      // A small result then arrives as one `query_result` message (read below, as the stream is).
      action = {
        query: {
          sql,
          params: encodeParams(params),
          ...transactionQueryFields(opts),
          accept_single_message: true,
        },
      };
    } catch (err) {
      const e = GatewayClientError.from(err);
      feed.fail(e);
      this.#stream.recordFailure(e, () => feed.observed);
      return result;
    }
    const fail = (e: GatewayClientError) => {
      feed.fail(e);
      this.#stream.recordFailure(e, () => feed.observed);
    };
    const id = this.#stream.send(action, {
      onMessage: (msg) => {
        if (msg.metadata) feed.onMetadata(msg.metadata.columns);
        else if (msg.rows) feed.onRows(msg.rows.rows);
        else if (msg.done) {
          feed.onEnd(msg.done);
          return true;
        } else if (msg.query_result) {
          feed.onMetadata(msg.query_result.metadata?.columns);
          if (msg.query_result.rows) feed.onRows(msg.query_result.rows.rows);
          feed.onEnd(msg.query_result.stats);
          return true;
        } else {
          fail(responseError(msg));
          return true;
        }
        return false;
      },
      onEnd: fail,
    });
    feed.attach({
      pause: () => this.#stream.pauseFor(id),
      resume: () => this.#stream.resumeFor(id),
      // The rows keep coming (the statement cannot be stopped alone) and the feed drops them.
      cancel: () => this.#stream.resumeFor(id),
    });
    return result;
  }

  /** {@link query}, every row read into an array. */
  queryAll(
    sql: string,
    params?: readonly SqlParam[],
    opts?: TransactionQueryOptions & { rowMode?: 'array' },
  ): Promise<QueryAllResult<Row>>;
  queryAll(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: TransactionQueryOptions & { rowMode: 'object' },
  ): Promise<QueryAllResult<RowObject>>;
  async queryAll(
    sql: string,
    params?: readonly SqlParam[],
    opts: TransactionQueryOptions = {},
  ): Promise<QueryAllResult<Row | RowObject>> {
    return collect(this.#query(sql, params, opts));
  }

  /** Runs a statement that returns no rows (INSERT, UPDATE, DELETE, DDL ...). */
  execute(sql: string, params?: readonly SqlParam[]): Promise<ExecuteResult> {
    const { promise, resolve, reject } = statementPromise<ExecuteResult>();
    const fail = (e: GatewayClientError) => {
      reject(e);
      this.#stream.recordFailure(e, () => promise.observed);
    };
    let action: RequestAction;
    try {
      this.#checkOpen();
      action = { execute: { sql, params: encodeParams(params) } };
    } catch (err) {
      fail(GatewayClientError.from(err));
      return promise;
    }
    this.#stream.send(action, {
      onMessage: (msg) => {
        if (msg.executed) resolve(decodeExecute(msg.executed));
        else fail(responseError(msg));
        return true;
      },
      onEnd: fail,
    });
    return promise;
  }

  static {
    // Module-private: only runTransactionAttempt ends a handle, callers cannot.
    closeTransaction = (tx) => {
      tx.#open = false;
    };
  }

  #checkOpen(): void {
    if (!this.#open)
      throw new GatewayClientError(
        StatusCode.FAILED_PRECONDITION,
        'the transaction callback has already returned: no more statements',
        { reason: 'TRANSACTION_ENDED' },
      );
  }
}

/** What a transaction attempt needs from the client. */
export interface TransactionCall {
  /** Opens the Transaction stream with the attempt's deadline. */
  open(): TransactionStream;
  /** The `begin` message. */
  readonly begin: NonNullable<RequestAction['begin']>;
  readonly signal: AbortSignal | undefined;
}

/**
 * One attempt: begin, `fn(tx)`, then commit, or roll back and rethrow when `fn` throws (or a
 * statement it did not await failed).
 */
export async function runTransactionAttempt<T>(
  call: TransactionCall,
  fn: (tx: Transaction) => Promise<T> | T,
): Promise<TransactionResult<T>> {
  const stream = call.open();
  try {
    const begun = await request(stream, { begin: call.begin }, 'begun');
    const tx = new Transaction(stream, begun.begun ?? {});
    let value: T;
    try {
      value = await fn(tx);
      closeTransaction(tx);
      await stream.settle();
    } catch (err) {
      closeTransaction(tx);
      await rollback(stream);
      throw err;
    }
    if (stream.ended) throw stream.error ?? endedBeforeCommit();
    let committed: TransactionResponseIn;
    try {
      committed = await request(stream, { commit: {} }, 'committed');
    } catch (err) {
      throw GatewayClientError.from(err).afterCommit();
    }
    await stream.closed;
    return {
      value,
      consistencyToken: committed.committed?.consistency_token ?? '',
      replayed: false,
      replays: [...stream.replays],
    };
  } finally {
    stream.dispose();
  }
}

/**
 * Rolls back and waits until the gateway confirms, so the transaction's locks are gone when
 * `transaction()` rejects (a retry would otherwise wait on its own previous attempt). With
 * statements still running it cancels instead: a rollback would queue behind them, and the
 * gateway kills the running statement and rolls back on cancel.
 */
async function rollback(stream: TransactionStream): Promise<void> {
  if (stream.ended) return;
  if (stream.outstanding > 0) {
    stream.dispose();
    return;
  }
  try {
    await request(stream, { rollback: {} }, 'rolled_back');
    await stream.closed;
  } catch {
    // The stream ended some other way: the gateway rolled back.
  }
}

/** Sends one request and waits for its single answer of kind `kind`. */
function request(
  stream: TransactionStream,
  action: RequestAction,
  kind: 'begun' | 'committed' | 'rolled_back',
): Promise<TransactionResponseIn> {
  return new Promise((resolve, reject) => {
    stream.send(action, {
      onMessage: (msg) => {
        if (msg[kind] !== undefined) resolve(msg);
        else reject(responseError(msg));
        return true;
      },
      onEnd: reject,
    });
  });
}

/** An in-band error, or a response of the wrong kind. */
function responseError(msg: TransactionResponseIn): GatewayClientError {
  if (msg.error) return GatewayClientError.fromStatementError(msg.error);
  return new GatewayClientError(StatusCode.INTERNAL, 'unexpected response from the gateway', {
    reason: 'PROTOCOL_ERROR',
  });
}

function endedBeforeCommit(): GatewayClientError {
  return new GatewayClientError(StatusCode.ABORTED, 'the transaction ended before commit', {
    reason: 'TRANSACTION_ENDED',
  });
}
