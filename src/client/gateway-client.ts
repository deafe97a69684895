/**
 * {@link GatewayClient}: the TypeScript client of `mysqlgateway.v1.Gateway` over one gRPC
 * channel (@grpc/grpc-js, stubs generated at run time from the package's `gateway.proto`).
 */
import {
  type ClientReadableStream,
  type ClientUnaryCall,
  credentials as grpcCredentials,
  type Interceptor,
  InterceptingCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { type BatchResult, type BatchStep, decodeBatchResponse, encodeBatchSteps } from './batch.js';
import { abortedBySignal, GatewayClientError, invalidArgument, StatusCode } from './errors.js';
import { decodeExecute, type ExecuteResult, type QueryResponseIn } from './messages.js';
import {
  type BatchOptions,
  batchRequestFields,
  beginFields,
  type CallOptions,
  type CompiledClientOptions,
  checkCallOptions,
  compileClientOptions,
  deadlineAfter,
  type ExecuteOptions,
  type GatewayClientOptions,
  type QueryOptions,
  queryRequestFields,
  type RetryOption,
  type TransactionOptions,
  requestTagField,
} from './options.js';
import {
  collect,
  type QueryAllResult,
  QueryResult,
  type Row,
  RowFeed,
  type RowObject,
} from './query-result.js';
import {
  isAlreadyCommitted,
  isRetryableKeyedTransaction,
  operationKey,
  retryOptionsOf,
  retryWithKey,
} from './idempotent-retry.js';
import { isRetryable, realEnvironment, retryLoop } from './retry.js';
import { type GatewayStub, gatewayStubClass, type StubCallOptions } from './stub.js';
import { runTransactionAttempt, type Transaction, type TransactionResult } from './transaction.js';
import { TransactionStream } from './transaction-stream.js';
import { encodeParams, type SqlParam } from './values.js';

/** Lifecycle of a client: `open` until {@link GatewayClient.close}. */
export type GatewayClientState = 'open' | 'closed';

/** Adds `authorization: Bearer <token>` to every call's metadata. */
function bearerInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/**
 * A client of one gateway address. Calls share one HTTP/2 channel; every call has a deadline
 * (`defaultDeadlineMs` unless it sets `deadlineMs`) and may take an AbortSignal.
 *
 * ```ts
 * const client = await GatewayClient.connect('127.0.0.1:50051');
 * for await (const [id, name] of client.query('SELECT id, name FROM t WHERE id > ?', [10])) { ... }
 * await client.close();
 * ```
 */
export class GatewayClient {
  readonly #stub: GatewayStub;
  readonly #options: CompiledClientOptions;
  #state: GatewayClientState = 'open';

  /**
   * A client that connects lazily, on its first call. {@link GatewayClient.connect} also waits
   * until the gateway is reachable. Throws INVALID_ARGUMENT / `INVALID_OPTION` for unknown or
   * malformed options.
   */
  constructor(address: string, options: GatewayClientOptions = {}) {
    this.#options = compileClientOptions(options);
    const Stub = gatewayStubClass();
    const token = this.#options.token;
    this.#stub = new Stub(address, this.#options.credentials ?? grpcCredentials.createInsecure(), {
      ...this.#options.channelOptions,
      ...(token === undefined ? {} : { interceptors: [bearerInterceptor(token)] }),
    });
  }

  /**
   * Opens a client and waits (at most `connectTimeoutMs`) until its channel is ready; fails
   * UNAVAILABLE / `CONNECT_FAILED` otherwise, having closed the channel.
   */
  static async connect(address: string, options: GatewayClientOptions = {}): Promise<GatewayClient> {
    const client = new GatewayClient(address, options);
    try {
      await client.waitForReady();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** `open` or `closed`. */
  get state(): GatewayClientState {
    return this.#state;
  }

  /** Waits until the channel is connected, at most `timeoutMs` (default: `connectTimeoutMs`). */
  waitForReady(timeoutMs: number = this.#options.connectTimeoutMs): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      this.#stub.waitForReady(deadlineAfter(timeoutMs), (err) => {
        if (!err) return resolve();
        reject(
          new GatewayClientError(StatusCode.UNAVAILABLE, `could not connect to the gateway: ${err.message}`, {
            reason: 'CONNECT_FAILED',
            cause: err,
          }),
        );
      });
    });
  }

  /**
   * Runs one row-returning statement (the Query RPC) and returns its result as an async
   * iterator of rows, decoded as you pull them (see `values.ts` for the types). The stream is
   * paused while you do not pull, so any result size is safe; leaving the loop early cancels
   * the call. Errors, including parameters that cannot be encoded, surface when the result
   * is read.
   */
  query(
    sql: string,
    params?: readonly SqlParam[],
    opts?: QueryOptions & { rowMode?: 'array' },
  ): QueryResult<Row>;
  query(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: QueryOptions & { rowMode: 'object' },
  ): QueryResult<RowObject>;
  query(sql: string, params?: readonly SqlParam[], opts: QueryOptions = {}): QueryResult<Row | RowObject> {
    return this.#query(sql, params, opts);
  }

  /** {@link query} with every row read into an array: `{ columns, rows, stats }`. */
  queryAll(
    sql: string,
    params?: readonly SqlParam[],
    opts?: QueryOptions & { rowMode?: 'array' },
  ): Promise<QueryAllResult<Row>>;
  queryAll(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: QueryOptions & { rowMode: 'object' },
  ): Promise<QueryAllResult<RowObject>>;
  queryAll(
    sql: string,
    params?: readonly SqlParam[],
    opts: QueryOptions = {},
  ): Promise<QueryAllResult<Row | RowObject>> {
    return collect(this.#query(sql, params, opts));
  }

  /**
   * Runs one statement that returns no rows (the Execute RPC: autocommit, on the primary). With
   * `retry`, retried safely under one idempotency key (see {@link ExecuteOptions.retry}).
   */
  execute(sql: string, params?: readonly SqlParam[], opts: ExecuteOptions = {}): Promise<ExecuteResult> {
    const { retry, ...call } = opts;
    if (retry === undefined || retry === false) return this.#execute(sql, params, call);
    return this.#withKey(retry, call, (idempotencyKey) =>
      this.#execute(sql, params, { ...call, idempotencyKey }),
    );
  }

  #execute(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: ExecuteOptions,
  ): Promise<ExecuteResult> {
    return this.#unary(
      opts,
      () => {
        checkCallOptions(opts, 'execute');
        const key = opts.idempotencyKey;
        return {
          cluster: opts.cluster ?? this.#options.cluster,
          sql,
          params: encodeParams(params),
          ...requestTagField(opts.requestTag),
          ...(key ? { idempotency_key: key } : {}),
        };
      },
      (req, options, callback) => this.#stub.Execute(req, options, callback),
      (res) => decodeExecute(res ?? {}),
    );
  }

  /**
   * Runs `fn(key)` under {@link retryWithKey}: `call.idempotencyKey` or a new UUID, the same on
   * every attempt. Rejects INVALID_ARGUMENT for malformed retry options.
   */
  async #withKey<T>(
    retry: RetryOption,
    call: CallOptions & { readonly idempotencyKey?: string },
    fn: (key: string) => Promise<T>,
  ): Promise<T> {
    const retryOpts = retryOptionsOf(retry, call.signal) ?? { attempts: 1 };
    return retryWithKey(operationKey(call.idempotencyKey), retryOpts, fn);
  }

  /**
   * Runs many statements in one call (the Batch RPC), in order, on one connection of the
   * gateway; with `transaction`, all in one transaction that commits when every failed step is
   * handled. Step failures are answered in the result (`kind: 'error'`); call
   * {@link BatchResult.throwOnError} to throw the first unhandled one. The call itself rejects
   * only for call-level problems (options, unknown cluster, permission, limits, an invalid
   * condition, deadline). Every row comes back in the one response: use {@link query} for large
   * results.
   */
  batch(steps: readonly BatchStep[], opts?: BatchOptions & { rowMode?: 'array' }): Promise<BatchResult<Row>>;
  batch(
    steps: readonly BatchStep[],
    opts: BatchOptions & { rowMode: 'object' },
  ): Promise<BatchResult<RowObject>>;
  batch(steps: readonly BatchStep[], opts: BatchOptions = {}): Promise<BatchResult<Row | RowObject>> {
    const { retry, ...call } = opts;
    if (retry === undefined || retry === false) return this.#batch(steps, call);
    const tx = call.transaction;
    if (tx === undefined || (tx !== true && tx.readOnly === true)) {
      return Promise.reject(
        invalidArgument(
          'INVALID_OPTION',
          'batch retry needs a read-write transaction: its idempotency key is recorded in the transaction that commits the batch',
        ),
      );
    }
    return this.#withKey(retry, call, (idempotencyKey) => this.#batch(steps, { ...call, idempotencyKey }));
  }

  #batch(steps: readonly BatchStep[], opts: BatchOptions): Promise<BatchResult<Row | RowObject>> {
    return this.#unary(
      opts,
      () => ({
        ...batchRequestFields(opts),
        cluster: opts.cluster ?? this.#options.cluster,
        steps: encodeBatchSteps(steps),
      }),
      (req, options, callback) => this.#stub.Batch(req, options, callback),
      (res) => decodeBatchResponse(res ?? {}, steps, opts.rowMode),
    );
  }

  /**
   * Runs `fn` in a transaction (the Transaction RPC, one pinned connection): commits when `fn`
   * returns, rolls back and rethrows when it throws. Resolves to `{ value, consistencyToken }`.
   *
   * A statement `fn` started without ever awaiting (or `.then`/`.catch`-ing) it counts too: the
   * commit waits for it, and if it failed the transaction rolls back and rejects with its error.
   *
   * With `retry`, an attempt that fails ABORTED before the commit was sent (a deadlock) runs
   * again, `fn` included (see {@link withRetry}).
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T> | T,
    opts: TransactionOptions = {},
  ): Promise<TransactionResult<T>> {
    this.#checkOpen();
    if (typeof fn !== 'function')
      throw new GatewayClientError(StatusCode.INVALID_ARGUMENT, 'transaction() needs a function', {
        reason: 'INVALID_OPTION',
      });
    const begin = beginFields(opts, this.#options.cluster);
    const signal = opts.signal;
    const retry = retryOptionsOf(opts.retry, signal);
    // A retried read-write transaction carries one key for all its attempts.
    const keyed = retry !== undefined && begin.read_only !== true;
    if (keyed) begin.idempotency_key = operationKey(begin.idempotency_key);
    // The value of the last attempt whose callback returned: the one that committed, when a
    // later begin is refused as TRANSACTION_ALREADY_COMMITTED.
    let last: { value: T } | undefined;
    const attempt = async (n: number): Promise<TransactionResult<T>> => {
      if (signal?.aborted) throw abortedBySignal(signal);
      this.#checkOpen();
      try {
        return await runTransactionAttempt(
          {
            begin,
            signal,
            open: () =>
              new TransactionStream(
                this.#stub.Transaction({ deadline: this.#deadline(opts.deadlineMs) }),
                signal,
              ),
          },
          async (tx) => {
            const value = await fn(tx);
            last = { value };
            return value;
          },
        );
      } catch (err) {
        if (keyed && n > 1 && last && isAlreadyCommitted(err))
          return { value: last.value, consistencyToken: err.consistencyToken, replayed: true, replays: [] };
        throw err;
      }
    };
    if (retry === undefined) return attempt(1);
    return retryLoop(attempt, retry, realEnvironment, keyed ? isRetryableKeyedTransaction : isRetryable);
  }

  /**
   * Closes the channel. Calls in flight carry on to their end; new calls fail
   * FAILED_PRECONDITION / `CLIENT_CLOSED`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stub.close();
  }

  /**
   * One unary call: `build` the request (its throws reject), send it with the call's deadline,
   * cancel it when `opts.signal` aborts, `decode` the answer (its throws reject).
   */
  #unary<Req, Res, Out>(
    opts: CallOptions,
    build: () => Req,
    invoke: (
      req: Req,
      options: StubCallOptions,
      callback: (err: ServiceError | null, res?: Res) => void,
    ) => ClientUnaryCall,
    decode: (res: Res | undefined) => Out,
  ): Promise<Out> {
    return new Promise((resolve, reject) => {
      const signal = opts.signal;
      let request: Req;
      try {
        this.#checkOpen();
        request = build();
        if (signal?.aborted) throw abortedBySignal(signal);
      } catch (err) {
        return reject(GatewayClientError.from(err));
      }
      let abortError: GatewayClientError | undefined;
      const onAbort = () => {
        abortError = abortedBySignal(signal as AbortSignal);
        call.cancel();
      };
      const call = invoke(request, { deadline: this.#deadline(opts.deadlineMs) }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (abortError) return reject(abortError);
        if (err) return reject(GatewayClientError.from(err));
        try {
          resolve(decode(res));
        } catch (e) {
          reject(GatewayClientError.from(e));
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #query(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: QueryOptions,
  ): QueryResult<Row | RowObject> {
    const feed = new RowFeed();
    const result = new QueryResult<Row | RowObject>(feed, opts.rowMode ?? 'array');
    const signal = opts.signal;
    let call: ClientReadableStream<QueryResponseIn>;
    try {
      this.#checkOpen();
      const request = {
        cluster: opts.cluster ?? this.#options.cluster,
        sql,
        params: encodeParams(params),
        ...queryRequestFields(opts),
        // A small result then arrives as one message instead of three (a gateway from before
        // this field ignores it and streams as usual; both are read below).
        accept_single_message: true,
      };
      if (signal?.aborted) throw abortedBySignal(signal);
      call = this.#stub.Query(request, { deadline: this.#deadline(opts.deadlineMs) });
    } catch (err) {
      feed.fail(GatewayClientError.from(err));
      return result;
    }
    let abortError: GatewayClientError | undefined;
    const onAbort = () => {
      abortError = abortedBySignal(signal as AbortSignal);
      feed.fail(abortError);
      call.cancel();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    feed.attach({
      pause: () => call.pause(),
      resume: () => call.resume(),
      cancel: () => call.cancel(),
    });
    call.on('data', (msg: QueryResponseIn) => {
      if (msg.metadata) feed.onMetadata(msg.metadata.columns);
      else if (msg.rows) feed.onRows(msg.rows.rows);
      else if (msg.stats) feed.onEnd(msg.stats);
      else if (msg.result) {
        feed.onMetadata(msg.result.metadata?.columns);
        if (msg.result.rows) feed.onRows(msg.result.rows.rows);
        feed.onEnd(msg.result.stats);
      }
    });
    call.on('error', (err: ServiceError) => {
      done();
      feed.fail(abortError ?? GatewayClientError.from(err));
    });
    call.on('end', () => {
      done();
      feed.fail(
        new GatewayClientError(StatusCode.INTERNAL, 'the Query stream ended without stats', {
          reason: 'PROTOCOL_ERROR',
        }),
      );
    });
    return result;
  }

  #deadline(deadlineMs: number | undefined): number {
    return deadlineAfter(deadlineMs ?? this.#options.defaultDeadlineMs);
  }

  #checkOpen(): void {
    if (this.#state === 'closed')
      throw new GatewayClientError(StatusCode.FAILED_PRECONDITION, 'the client is closed', {
        reason: 'CLIENT_CLOSED',
      });
  }
}
