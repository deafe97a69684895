/**
 * What the request path reports to telemetry, as narrow interfaces: one {@link CallTrace} per
 * RPC (travelling in the call's `StatementContext.trace`), one {@link StatementTrace} per
 * statement sent to MySQL. With telemetry off both are shared no-op singletons, so the request
 * path allocates nothing for telemetry.
 */
import type { GatewayError } from '../errors.js';
import type { TraceLogFields } from './logger.js';

/** The gateway RPCs, as `rpc.method` names them (`mysqlgateway.v1.Gateway/<method>`). */
export type RpcMethod = 'Query' | 'Execute' | 'Transaction' | 'Batch';

/** What a statement span needs from the backend it runs on (a `Backend` fits). */
export interface StatementTarget {
  readonly name: string;
  readonly role: string;
  readonly cluster: string;
  readonly settings: { readonly host: string; readonly port: number; readonly database: string };
}

/** What a statement span needs from the connection (a `DbConnection` fits). */
export interface StatementConnection {
  readonly isMariaDb: boolean;
  readonly threadId: number;
}

/** The statement as sent (a `CheckedStatement` fits; internal statements have no `info`). */
export interface TracedStatement {
  /** SQL with `?` placeholders, never with values. */
  readonly sql: string;
  /** From the classifier: `db.operation.name` and `db.query.summary`. */
  readonly info?: { readonly operation: string; readonly summary: string };
}

/** A routing decision (a `Route` fits). */
export interface RouteDecision {
  readonly backend: StatementTarget;
  readonly reason: string;
}

/**
 * What became of a hedged read (src/session/hedge.ts): a hedge was `sent`; it `won` (answered
 * first) or `lost` (the first attempt answered first); or none was sent although the read was
 * slow: `skipped_budget` (the hedge budget was spent), `skipped_no_backend` (no other backend
 * the read may go to).
 */
export type HedgeOutcome = 'sent' | 'won' | 'lost' | 'skipped_budget' | 'skipped_no_backend';

/** Every {@link HedgeOutcome}, in the order the metric's series are created. */
export const HEDGE_OUTCOMES: readonly HedgeOutcome[] = [
  'sent',
  'won',
  'lost',
  'skipped_budget',
  'skipped_no_backend',
];

/** How a transaction ended (`TransactionObserver` outcomes). */
export type TransactionOutcome = 'committed' | 'rolledBack' | 'aborted';

/** How a transaction replay ended (docs/transaction-replay.md). */
export type TransactionReplayOutcome = 'replayed' | 'mismatch' | 'failed';

/** One statement's span and duration metric: ended exactly once, by `end` or `fail`. */
export interface StatementTrace {
  /** The SQL to send: `sql` as is, or with a sqlcommenter comment (`telemetry.sqlCommenter`). */
  sql(sql: string): string;
  /** {@link sql} applied to a text computed later (the text-protocol fallback); `fn` itself when nothing is appended. */
  lazySql(fn: () => string): () => string;
  /** The statement completed; `rows` is how many rows it returned. */
  end(rows: number): void;
  /** The statement failed. */
  fail(err: GatewayError): void;
}

/** One RPC's span and metrics. */
export interface CallTrace {
  /** Starts the span of a statement about to be sent on `conn` (child of the call's span). */
  statement(target: StatementTarget, conn: StatementConnection, stmt: TracedStatement): StatementTrace;
  /** The router chose `route.backend`; shown on the call span and on the next statement span. */
  routed(route: RouteDecision): void;
  /** The caller's principal, once authenticated ('' when authentication is off). */
  authenticated(principal: string): void;
  /** The call's request tag (`request_tag`; '' = none): groups query digests, shown on spans and logs. */
  tagged(tag: string): void;
  /** A connection was leased from pool `pool` after waiting `waitMs` milliseconds. */
  poolAcquired(pool: string, waitMs: number): void;
  /** Attempt `attempt` (2 = first retry) follows a connection failure on `failed`. */
  retry(attempt: number, failed: StatementTarget, err: GatewayError): void;
  /**
   * A hedged read's event: for `sent`, `backend` is where the hedge went; for `won` / `lost`, the
   * backend whose answer won; for the skips, the slow backend.
   */
  hedge(outcome: HedgeOutcome, backend: StatementTarget): void;
  /** A result of `rows` rows and about `bytes` bytes was streamed to the client from `source`. */
  streamed(source: StatementTarget, rows: number, bytes: number): void;
  /** The call is a Batch of `size` statements (`db.operation.batch.size`). */
  batch(size: number): void;
  /** A Transaction stream ended with `outcome`. */
  transactionEnded(outcome: TransactionOutcome): void;
  /** A replay of the transaction on `cluster` ended with `outcome`, after re-running `statements` in `elapsedMs`. */
  transactionReplay(
    cluster: string,
    outcome: TransactionReplayOutcome,
    statements: number,
    elapsedMs: number,
  ): void;
  /** Replay was turned off for this transaction (`why`: the bound it passed). */
  transactionReplayOff(cluster: string, why: string): void;
  /** Ends the call's span and records its duration; `err` undefined means OK. Idempotent. */
  end(err?: unknown): void;
  /** `trace_id` / `span_id` for log lines about this call; empty when not traced. */
  logFields(): CallLogFields;
}

/** The fields a log line about a call carries: its trace ids and request tag, when it has them. */
export type CallLogFields = Partial<TraceLogFields> & { readonly request_tag?: string };

/** Starts call traces (implemented by `Telemetry`). */
export interface CallTracer {
  /** Starts the trace of an RPC, continuing a W3C `traceparent` found in `metadata`. */
  startCall(method: RpcMethod, metadata?: MetadataCarrier): CallTrace;
}

/** The part of grpc-js `Metadata` that trace context extraction reads. */
export interface MetadataCarrier {
  get(key: string): readonly unknown[];
}

const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;

/** The statement trace of a call that is not traced. */
export const NOOP_STATEMENT_TRACE: StatementTrace = Object.freeze({
  sql: (sql: string) => sql,
  lazySql: (fn: () => string) => fn,
  end: () => {},
  fail: () => {},
});

/** The call trace when telemetry is off. */
export const NOOP_CALL_TRACE: CallTrace = Object.freeze({
  statement: () => NOOP_STATEMENT_TRACE,
  routed: () => {},
  authenticated: () => {},
  tagged: () => {},
  poolAcquired: () => {},
  retry: () => {},
  hedge: () => {},
  streamed: () => {},
  batch: () => {},
  transactionEnded: () => {},
  transactionReplay: () => {},
  transactionReplayOff: () => {},
  end: () => {},
  logFields: () => EMPTY,
});

/** A tracer that never traces. */
export const NOOP_CALL_TRACER: CallTracer = Object.freeze({ startCall: () => NOOP_CALL_TRACE });
