/**
 * The client's option types and their compilation (pure functions): unknown keys and values of
 * the wrong kind are refused with INVALID_ARGUMENT / `INVALID_OPTION` before anything is sent.
 */
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { READ_PREFERENCES, type ReadPreference as RoutingReadPreference } from '../routing/choose-backend.js';
import { type GatewayClientError, invalidArgument } from './errors.js';

/** Options of {@link GatewayClient.connect} and the {@link GatewayClient} constructor. */
export interface GatewayClientOptions {
  /** Channel credentials. @default `credentials.createInsecure()` (plaintext) */
  readonly credentials?: ChannelCredentials;
  /**
   * Deadline of every call that sets no `deadlineMs`, in milliseconds (the gRPC deadline; the
   * gateway also bounds the statement on the server with it). `Infinity` means none.
   * @default 30000
   */
  readonly defaultDeadlineMs?: number;
  /** Cluster of every call that names none. @default '' (the gateway's `default` cluster) */
  readonly cluster?: string;
  /**
   * grpc-js channel options (`grpc.keepalive_time_ms`, ...), over the client's two defaults:
   * `grpc.max_receive_message_length: -1` (responses are bounded by the gateway's
   * `server.maxSendMessageBytes`, 16 MiB by default, above grpc-js' 4 MiB default), and
   * `grpc-node.flow_control_window: 4 MiB` ({@link FLOW_CONTROL_WINDOW}).
   */
  readonly channelOptions?: ChannelOptions;
  /** How long {@link GatewayClient.connect} waits for the channel to be ready, ms. @default 10000 */
  readonly connectTimeoutMs?: number;
  /**
   * Bearer token sent on every call (`authorization: Bearer <token>` metadata); pair it with TLS
   * `credentials` unless the gateway is on loopback. @default none
   */
  readonly token?: string;
}

/** Options every call takes. */
export interface CallOptions {
  /** The call's deadline in milliseconds from now. @default the client's `defaultDeadlineMs` */
  readonly deadlineMs?: number;
  /** Cancels the call when aborted; the call then fails CANCELLED with the signal's reason as `cause`. */
  readonly signal?: AbortSignal;
  /** Named cluster (`QueryRequest.cluster`). @default the client's `cluster` */
  readonly cluster?: string;
  /**
   * `request_tag`: groups the call's statements in the gateway's query digests
   * (Admin.GetQueryStats) and labels its spans and log lines; at most 64 printable ASCII
   * characters. Never put values or secrets here. @default none
   */
  readonly requestTag?: string;
}

/** Which backends may serve a read (`ReadPreference`, without its prefix): the gateway's own union. */
export type ReadPreference = RoutingReadPreference;

/** How rows are handed out: arrays in column order, or objects keyed by column name. */
export type RowMode = 'array' | 'object';

/** Options of {@link GatewayClient.query}. */
export interface QueryOptions extends CallOptions {
  /** `read_preference`. @default the cluster's `defaultReadPreference` */
  readonly readPreference?: ReadPreference;
  /** `max_staleness_ms`: most replica lag this read accepts, ms. @default the cluster's `maxReplicaLagMs` */
  readonly maxStalenessMs?: number;
  /** `consistency_token` from an earlier execute or commit: the read sees that write. */
  readonly consistencyToken?: string;
  /** `max_rows_per_batch`: most rows per message. @default the gateway's `limits.defaultRowsPerBatch` */
  readonly maxRowsPerBatch?: number;
  /**
   * `'object'` keys each row by column name (a result with two columns of the same name then
   * fails INVALID_ARGUMENT / `DUPLICATE_COLUMN_NAME`: alias them). @default 'array'
   */
  readonly rowMode?: RowMode;
}

/** Options of {@link GatewayClient.execute}. */
export interface ExecuteOptions extends CallOptions {
  /**
   * `idempotency_key`: the statement runs at most once per key (per principal and cluster); a
   * retry with the same key answers the first call's outcome with `replayed: true`. Use a new
   * UUID per logical operation and reuse it on every retry of that operation; 1-128 printable
   * ASCII characters. @default none
   */
  readonly idempotencyKey?: string;
  /**
   * Retries the statement safely: with one idempotency key for all attempts (`idempotencyKey`,
   * or a new UUID), after UNAVAILABLE (`COMMIT_OUTCOME_UNKNOWN` included) and DEADLINE_EXCEEDED,
   * each attempt with a fresh deadline, with backoff and jitter; never after any other code.
   * A retry of a write that did commit answers its outcome with `replayed: true`.
   * `true` = the default {@link RetryOptions}. @default no retries
   */
  readonly retry?: RetryOption;
}

/** Options of a query inside a transaction. */
export interface TransactionQueryOptions {
  /** `max_rows_per_batch`. @default the gateway's `limits.defaultRowsPerBatch` */
  readonly maxRowsPerBatch?: number;
  /** See {@link QueryOptions.rowMode}. @default 'array' */
  readonly rowMode?: RowMode;
}

/** Transaction isolation level (`IsolationLevel`, without its prefix). */
export type IsolationLevel = 'READ_UNCOMMITTED' | 'READ_COMMITTED' | 'REPEATABLE_READ' | 'SERIALIZABLE';

/** Options of {@link GatewayClient.transaction}. */
export interface TransactionOptions {
  /** `begin.isolation_level`. @default the server's (REPEATABLE READ on InnoDB) */
  readonly isolationLevel?: IsolationLevel;
  /** `begin.read_only`: START TRANSACTION READ ONLY, may be served by a replica. @default false */
  readonly readOnly?: boolean;
  /** `begin.cluster`. @default the client's `cluster` */
  readonly cluster?: string;
  /** Deadline of the whole Transaction stream (one attempt), ms. @default the client's `defaultDeadlineMs` */
  readonly deadlineMs?: number;
  /**
   * `begin.idle_timeout_ms`: the gateway rolls back when no request arrives for this long, ms.
   * @default the gateway's `transactions.idleTimeoutMs`
   */
  readonly idleTimeoutMs?: number;
  /** Cancels the transaction (rolled back by the gateway) when aborted. */
  readonly signal?: AbortSignal;
  /** `begin.request_tag`: see {@link CallOptions.requestTag}. @default none */
  readonly requestTag?: string;
  /**
   * `begin.replay`: when the gateway loses the transaction's connection before COMMIT was sent,
   * it re-runs the statements on a new one and goes on if every result is the same
   * (`Transaction.replays` reports it); a different result fails ABORTED `REPLAY_MISMATCH`.
   * See docs/transaction-replay.md. @default the cluster's `transactions.replay`
   */
  readonly replay?: boolean;
  /**
   * `begin.idempotency_key`: the transaction commits at most once per key; a begin whose key
   * already committed fails ALREADY_EXISTS `TRANSACTION_ALREADY_COMMITTED` (its
   * `consistencyToken` is the commit's). Read-write only. A new UUID per logical operation,
   * reused on every retry. @default none (a new UUID with `retry`)
   */
  readonly idempotencyKey?: string;
  /**
   * Runs the transaction again, callback included, after ABORTED before its commit was sent (a
   * deadlock). A read-write transaction also gets an idempotency key (`idempotencyKey`, or a new
   * UUID) shared by its attempts, and is then also retried after UNAVAILABLE (a lost commit
   * included) and DEADLINE_EXCEEDED: when an earlier attempt turns out to have committed, the
   * result is that attempt's value and token, with `replayed: true`. `true` = the default
   * {@link RetryOptions}. @default no retries
   */
  readonly retry?: RetryOption;
}

/** The transaction of a batch (`BatchRequest.transaction`). */
export interface BatchTransactionOptions {
  /** `isolation_level`. @default the server's (REPEATABLE READ on InnoDB) */
  readonly isolationLevel?: IsolationLevel;
  /** `read_only`: START TRANSACTION READ ONLY; a read-only batch may be served by a replica. @default false */
  readonly readOnly?: boolean;
}

/** Options of {@link GatewayClient.batch}. */
export interface BatchOptions extends CallOptions {
  /**
   * Runs every step in ONE transaction (`true`: the server's isolation level, read-write), which
   * commits when every failed step is handled and rolls back otherwise. @default none: each
   * step autocommits
   */
  readonly transaction?: true | BatchTransactionOptions;
  /** `read_preference` of a batch whose steps are all reads. @default the cluster's `defaultReadPreference` */
  readonly readPreference?: ReadPreference;
  /** `max_staleness_ms` of a read-only batch, ms. @default the cluster's `maxReplicaLagMs` */
  readonly maxStalenessMs?: number;
  /** `consistency_token` from an earlier write: a read-only batch sees that write. */
  readonly consistencyToken?: string;
  /** How the rows of result-producing steps are handed out (see {@link QueryOptions.rowMode}). @default 'array' */
  readonly rowMode?: RowMode;
  /**
   * `idempotency_key`: the batch commits at most once per key; a retry with the same key answers
   * the first call's result (rows included) with `replayed: true`. Needs a read-write
   * `transaction`. A new UUID per logical operation, reused on every retry. @default none
   */
  readonly idempotencyKey?: string;
  /**
   * Retries the batch safely with one idempotency key, as {@link ExecuteOptions.retry}; needs a
   * read-write `transaction`. @default no retries
   */
  readonly retry?: RetryOption;
}

/** `retry` as the calls take it: `true` for the default {@link RetryOptions}, `false` for none. */
export type RetryOption = boolean | RetryOptions;

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Most runs in total, the first included; 1 means no retry. @default 3 */
  readonly attempts?: number;
  /** Backoff cap before the first retry, ms; it doubles per retry. @default 20 */
  readonly baseDelayMs?: number;
  /** Largest backoff cap, ms. @default 1000 */
  readonly maxDelayMs?: number;
  /**
   * No retry starts later than this long after the first attempt started, ms (each attempt
   * still has its own deadline). @default no bound besides `attempts`
   */
  readonly maxElapsedMs?: number;
  /** Stops retrying (the pending backoff ends at once, the last error is thrown). */
  readonly signal?: AbortSignal;
  /** Called before each retry with the error, the attempt that failed (1-based) and the delay. */
  readonly onRetry?: (error: GatewayClientError, attempt: number, delayMs: number) => void;
}

/** The client's options with defaults applied. */
export interface CompiledClientOptions {
  readonly credentials: ChannelCredentials | undefined;
  readonly defaultDeadlineMs: number;
  readonly cluster: string;
  readonly channelOptions: ChannelOptions;
  readonly connectTimeoutMs: number;
  readonly token: string | undefined;
}

const CLIENT_KEYS = [
  'credentials',
  'defaultDeadlineMs',
  'cluster',
  'channelOptions',
  'connectTimeoutMs',
  'token',
];
const CALL_KEYS = ['deadlineMs', 'signal', 'cluster', 'requestTag'];
const EXECUTE_KEYS = [...CALL_KEYS, 'idempotencyKey', 'retry'];
const QUERY_KEYS = [
  ...CALL_KEYS,
  'readPreference',
  'maxStalenessMs',
  'consistencyToken',
  'maxRowsPerBatch',
  'rowMode',
];
const TX_QUERY_KEYS = ['maxRowsPerBatch', 'rowMode'];
const BATCH_KEYS = [
  ...CALL_KEYS,
  'idempotencyKey',
  'retry',
  'transaction',
  'readPreference',
  'maxStalenessMs',
  'consistencyToken',
  'rowMode',
];
const BATCH_TX_KEYS = ['isolationLevel', 'readOnly'];
const TX_KEYS = [
  'isolationLevel',
  'readOnly',
  'cluster',
  'deadlineMs',
  'idleTimeoutMs',
  'signal',
  'retry',
  'requestTag',
  'idempotencyKey',
  'replay',
];
const ISOLATION_LEVELS: readonly string[] = [
  'READ_UNCOMMITTED',
  'READ_COMMITTED',
  'REPEATABLE_READ',
  'SERIALIZABLE',
];
const UINT32_MAX = 2 ** 32 - 1;

/**
 * The client's HTTP/2 receive window, per stream and per connection, in bytes. grpc-js keeps
 * HTTP/2's 64 KiB unless told otherwise, which holds a streamed result of 1,000-row batches
 * (about 200 KB each) to a round trip every 64 KiB; gRPC's Go, Java and C cores grow their windows
 * to the bandwidth-delay product on their own (up to 16 MiB in Go). 4 MiB read 1,000,000 rows
 * about a fifth faster here. A consumer that stops pulling still stops the gateway, which stops
 * reading MySQL: at most this much more waits in the client.
 */
export const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

/** Client options with defaults; throws INVALID_ARGUMENT for unknown keys or bad values. */
export function compileClientOptions(opts: GatewayClientOptions = {}): CompiledClientOptions {
  checkKeys(opts, CLIENT_KEYS, 'client');
  return {
    credentials: opts.credentials,
    defaultDeadlineMs: durationOption(opts.defaultDeadlineMs, 'defaultDeadlineMs') ?? 30_000,
    cluster: stringOption(opts.cluster, 'cluster') ?? '',
    channelOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
      ...objectOption(opts.channelOptions),
    },
    connectTimeoutMs: durationOption(opts.connectTimeoutMs, 'connectTimeoutMs') ?? 10_000,
    token: tokenOption(opts.token),
  };
}

/** Checks {@link CallOptions} (or a subtype, with its extra `keys`). */
export function checkCallOptions(opts: CallOptions, kind: 'query' | 'execute'): void {
  checkKeys(opts, kind === 'query' ? QUERY_KEYS : EXECUTE_KEYS, kind);
  if (kind === 'execute') stringOption((opts as ExecuteOptions).idempotencyKey, 'idempotencyKey');
  durationOption(opts.deadlineMs, 'deadlineMs');
  stringOption(opts.cluster, 'cluster');
  stringOption(opts.requestTag, 'requestTag');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw invalidOption('signal must be an AbortSignal');
}

/** `{ request_tag }` when `tag` is set (the gateway checks its length and characters). */
export function requestTagField(tag: string | undefined): { request_tag?: string } {
  const t = stringOption(tag, 'requestTag');
  return t ? { request_tag: t } : {};
}

/** The QueryRequest fields set by {@link QueryOptions} (validated). */
export function queryRequestFields(opts: QueryOptions): {
  read_preference?: string;
  max_staleness_ms?: number;
  consistency_token?: string;
  max_rows_per_batch?: number;
  request_tag?: string;
} {
  checkCallOptions(opts, 'query');
  checkRowMode(opts.rowMode);
  const out: ReturnType<typeof queryRequestFields> = {
    ...requestTagField(opts.requestTag),
    ...readRoutingFields(opts),
  };
  const batch = uint32Option(opts.maxRowsPerBatch, 'maxRowsPerBatch');
  if (batch !== undefined) out.max_rows_per_batch = batch;
  return out;
}

/** Checks {@link TransactionQueryOptions}; returns `max_rows_per_batch` when set. */
export function transactionQueryFields(opts: TransactionQueryOptions): { max_rows_per_batch?: number } {
  checkKeys(opts, TX_QUERY_KEYS, 'transaction query');
  checkRowMode(opts.rowMode);
  const batch = uint32Option(opts.maxRowsPerBatch, 'maxRowsPerBatch');
  return batch === undefined ? {} : { max_rows_per_batch: batch };
}

/** The BatchRequest fields set by {@link BatchOptions} besides `cluster` and `steps` (validated). */
export function batchRequestFields(opts: BatchOptions): {
  transaction?: { isolation_level?: string; read_only?: boolean };
  read_preference?: string;
  max_staleness_ms?: number;
  consistency_token?: string;
  request_tag?: string;
  idempotency_key?: string;
} {
  checkKeys(opts, BATCH_KEYS, 'batch');
  durationOption(opts.deadlineMs, 'deadlineMs');
  stringOption(opts.cluster, 'cluster');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw invalidOption('signal must be an AbortSignal');
  checkRowMode(opts.rowMode);
  const out: ReturnType<typeof batchRequestFields> = requestTagField(opts.requestTag);
  const tx = opts.transaction;
  if (tx !== undefined) {
    if (tx !== true && (typeof tx !== 'object' || tx === null))
      throw invalidOption('transaction must be true or { isolationLevel, readOnly }');
    const fields: { isolation_level?: string; read_only?: boolean } = {};
    if (tx !== true) {
      checkKeys(tx, BATCH_TX_KEYS, 'batch transaction');
      const level = isolationLevelField(tx.isolationLevel);
      if (level !== undefined) fields.isolation_level = level;
      if (tx.readOnly !== undefined) {
        if (typeof tx.readOnly !== 'boolean') throw invalidOption('readOnly must be a boolean');
        if (tx.readOnly) fields.read_only = true;
      }
    }
    out.transaction = fields;
  }
  Object.assign(out, readRoutingFields(opts));
  const key = stringOption(opts.idempotencyKey, 'idempotencyKey');
  if (key) out.idempotency_key = key;
  return out;
}

/** `read_preference`, `max_staleness_ms` and `consistency_token` from a read's options (validated). */
function readRoutingFields(opts: {
  readonly readPreference?: ReadPreference | undefined;
  readonly maxStalenessMs?: number | undefined;
  readonly consistencyToken?: string | undefined;
}): { read_preference?: string; max_staleness_ms?: number; consistency_token?: string } {
  const out: { read_preference?: string; max_staleness_ms?: number; consistency_token?: string } = {};
  const preference = readPreferenceField(opts.readPreference);
  if (preference !== undefined) out.read_preference = preference;
  const staleness = uint32Option(opts.maxStalenessMs, 'maxStalenessMs');
  if (staleness !== undefined) out.max_staleness_ms = staleness;
  const token = stringOption(opts.consistencyToken, 'consistencyToken');
  if (token) out.consistency_token = token;
  return out;
}

function readPreferenceField(value: ReadPreference | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!READ_PREFERENCES.includes(value))
    throw invalidOption(`readPreference must be one of ${READ_PREFERENCES.join(', ')}`);
  return `READ_PREFERENCE_${value}`;
}

function isolationLevelField(value: IsolationLevel | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!ISOLATION_LEVELS.includes(value))
    throw invalidOption(`isolationLevel must be one of ${ISOLATION_LEVELS.join(', ')}`);
  return `ISOLATION_LEVEL_${value}`;
}

/** The `begin` message for {@link TransactionOptions} (validated). */
export function beginFields(
  opts: TransactionOptions,
  defaultCluster: string,
): {
  cluster: string;
  isolation_level?: string;
  read_only?: boolean;
  idle_timeout_ms?: number;
  request_tag?: string;
  idempotency_key?: string;
  replay?: boolean;
} {
  checkKeys(opts, TX_KEYS, 'transaction');
  durationOption(opts.deadlineMs, 'deadlineMs');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw invalidOption('signal must be an AbortSignal');
  const out: ReturnType<typeof beginFields> = {
    cluster: stringOption(opts.cluster, 'cluster') ?? defaultCluster,
    ...requestTagField(opts.requestTag),
  };
  const level = isolationLevelField(opts.isolationLevel);
  if (level !== undefined) out.isolation_level = level;
  if (opts.readOnly !== undefined) {
    if (typeof opts.readOnly !== 'boolean') throw invalidOption('readOnly must be a boolean');
    if (opts.readOnly) out.read_only = true;
  }
  const idle = uint32Option(opts.idleTimeoutMs, 'idleTimeoutMs');
  if (idle !== undefined) out.idle_timeout_ms = idle;
  const key = stringOption(opts.idempotencyKey, 'idempotencyKey');
  if (key) out.idempotency_key = key;
  if (opts.replay !== undefined) {
    if (typeof opts.replay !== 'boolean') throw invalidOption('replay must be a boolean');
    if (opts.replay) out.replay = true;
  }
  return out;
}

/** The grpc-js `deadline` call option for `ms` from now (`Infinity`: none). */
export function deadlineAfter(ms: number): number {
  return ms === Number.POSITIVE_INFINITY ? ms : Date.now() + ms;
}

/** Throws INVALID_ARGUMENT / `INVALID_OPTION` when `opts` has a key not in `allowed`. */
export function checkKeys(opts: object, allowed: readonly string[], what: string): void {
  if (typeof opts !== 'object' || opts === null) throw invalidOption(`${what} options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw invalidOption(`unknown ${what} option '${key}'`);
  }
}

function checkRowMode(mode: unknown): void {
  if (mode !== undefined && mode !== 'array' && mode !== 'object')
    throw invalidOption("rowMode must be 'array' or 'object'");
}

function durationOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0)
    throw invalidOption(`${name} must be a positive number of milliseconds (or Infinity)`);
  return value;
}

function uint32Option(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX)
    throw invalidOption(`${name} must be an integer from 0 to ${UINT32_MAX}`);
  return value;
}

function stringOption(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidOption(`${name} must be a string`);
  return value;
}

/** A token that can travel in an HTTP/2 header; the error never quotes it. */
function tokenOption(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) {
    throw invalidOption('token must be a non-empty string of printable ASCII without spaces');
  }
  return value;
}

function objectOption(value: unknown): object {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw invalidOption('channelOptions must be an object');
  return value;
}

function invalidOption(message: string) {
  return invalidArgument('INVALID_OPTION', message);
}
