/**
 * The call and statement traces used while telemetry is on: a SERVER span per RPC, a CLIENT span
 * per statement (its child), and the RPC and database duration metrics. Attributes are computed
 * once per statement, only for spans that are sampled; nothing here runs per row.
 *
 * Every start, end and event time is given explicitly from one high-resolution clock (`hrTime()`):
 * left to itself the SDK anchors each span on `Date.now()` (whole milliseconds) and measures from
 * there, so a statement span could appear to end up to a millisecond after its call's span.
 */
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { type Code, codeName, GatewayError } from '../errors.js';
import type {
  CallTrace,
  HedgeOutcome,
  RouteDecision,
  RpcMethod,
  StatementConnection,
  StatementTarget,
  StatementTrace,
  TracedStatement,
  TransactionOutcome,
  TransactionReplayOutcome,
} from './call-trace.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { type TraceLogFields, traceLogFields } from './logger.js';
import type { QueryTextCache } from './query-text.js';
import { ATTR, LABEL, VALUE } from './semconv.js';
import { traceparentOf, withSqlComment } from './sql-commenter.js';

/** The gRPC service the gateway's RPCs belong to. */
export const RPC_SERVICE = 'mysqlgateway.v1.Gateway';

/**
 * gRPC codes that mark a SERVER span as failed (OpenTelemetry gRPC conventions); other codes are
 * the caller's errors and leave the span status unset (still recorded in `rpc.status_code` and
 * `error.type`).
 */
const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

/** What every trace of one Telemetry shares. */
export interface TraceSettings {
  readonly tracer: Tracer;
  readonly metrics: GatewayMetrics;
  readonly texts: QueryTextCache;
  /** Append the traceparent to statements (`telemetry.sqlCommenter`). */
  readonly sqlCommenter: boolean;
}

const SPAN_START_ATTRIBUTES: Record<RpcMethod, Attributes> = {
  Query: rpcStartAttributes('Query'),
  Execute: rpcStartAttributes('Execute'),
  Transaction: rpcStartAttributes('Transaction'),
  Batch: rpcStartAttributes('Batch'),
};

function rpcStartAttributes(method: RpcMethod): Attributes {
  return Object.freeze({
    [ATTR.rpcSystemName]: VALUE.grpc,
    [ATTR.rpcMethod]: `${RPC_SERVICE}/${method}`,
    [ATTR.rpcSystem]: VALUE.grpc,
    [ATTR.rpcService]: RPC_SERVICE,
  });
}

/** gRPC status code names by number (codeName scans the table). */
const CODE_NAMES: readonly string[] = Array.from({ length: 17 }, (_, i) => codeName(i as Code));

function statusName(code: number): string {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/** `rpc.server.call.duration` attributes per method and code, built once each. */
const rpcMetricAttributes = new Map<string, Attributes>();

function rpcMetricLabels(method: RpcMethod, code: number): Attributes {
  const key = `${method}/${code}`;
  let attrs = rpcMetricAttributes.get(key);
  if (attrs === undefined) {
    const name = statusName(code);
    attrs = Object.freeze({
      [ATTR.rpcSystemName]: VALUE.grpc,
      [ATTR.rpcMethod]: `${RPC_SERVICE}/${method}`,
      [ATTR.rpcStatusCode]: name,
      ...(code === 0 ? {} : { [ATTR.errorType]: name }),
    });
    rpcMetricAttributes.set(key, attrs);
  }
  return attrs;
}

/** `db.client.operation.duration` attributes per backend, system and operation, built once each. */
const statementAttributeCache = new WeakMap<StatementTarget, Map<string, Attributes>>();

function statementAttributes(target: StatementTarget, system: string, operation: string): Attributes {
  let byOp = statementAttributeCache.get(target);
  if (byOp === undefined) {
    byOp = new Map();
    statementAttributeCache.set(target, byOp);
  }
  const key = `${system} ${operation}`;
  let attrs = byOp.get(key);
  if (attrs === undefined) {
    const a: Attributes = {
      [ATTR.dbSystemName]: system,
      [ATTR.serverAddress]: target.settings.host,
      [ATTR.serverPort]: target.settings.port,
    };
    if (operation) a[ATTR.dbOperationName] = operation;
    if (target.settings.database) a[ATTR.dbNamespace] = target.settings.database;
    attrs = Object.freeze(a);
    // Operations are the statements' first words: few in practice, but a client could send many
    // made-up ones. Past the bound, new operations share the attribute set without one.
    if (byOp.size < MAX_OPERATIONS) byOp.set(key, attrs);
    else if (operation) return statementAttributes(target, system, '');
  }
  return attrs;
}

/** Distinct operations per backend with their own metric series. */
const MAX_OPERATIONS = 256;

/** Failure attributes per base attribute set and error, built once each (they identify series). */
const failureAttributeCache = new WeakMap<Attributes, Map<string, Attributes>>();

function failureAttributes(base: Attributes, errorType: string, errno: string | undefined): Attributes {
  let byError = failureAttributeCache.get(base);
  if (byError === undefined) {
    byError = new Map();
    failureAttributeCache.set(base, byError);
  }
  let attrs = byError.get(errorType);
  if (attrs === undefined) {
    const a: Attributes = { ...base, [ATTR.errorType]: errorType };
    if (errno !== undefined) a[ATTR.dbResponseStatusCode] = errno;
    attrs = Object.freeze(a);
    // errnos and reasons are a closed set; the bound is a guard, not an expected limit.
    if (byError.size < MAX_OPERATIONS) byError.set(errorType, attrs);
  }
  return attrs;
}

/** One statement's CLIENT span and duration. */
class RecordingStatementTrace implements StatementTrace {
  private done = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly s: TraceSettings,
    private readonly span: Span,
    private readonly attributes: Attributes,
  ) {}

  sql(sql: string): string {
    if (!this.s.sqlCommenter) return sql;
    const sc = this.span.spanContext();
    return withSqlComment(sql, traceparentOf(sc.traceId, sc.spanId, sc.traceFlags));
  }

  lazySql(fn: () => string): () => string {
    return this.s.sqlCommenter ? () => this.sql(fn()) : fn;
  }

  end(rows: number): void {
    if (this.done) return;
    this.done = true;
    this.s.metrics.dbOperationDuration.record((performance.now() - this.startedAt) / 1000, this.attributes);
    if (this.span.isRecording()) this.span.setAttribute(ATTR.dbResponseReturnedRows, rows);
    this.span.end(hrTime());
  }

  fail(err: GatewayError): void {
    if (this.done) return;
    this.done = true;
    // MySQL's errno when the server answered, else the gateway's reason (BACKEND_UNAVAILABLE ...).
    const errno = err.mysqlErrno === undefined ? undefined : String(err.mysqlErrno);
    const errorType = errno ?? err.reason;
    this.s.metrics.dbOperationDuration.record(
      (performance.now() - this.startedAt) / 1000,
      failureAttributes(this.attributes, errorType, errno),
    );
    if (this.span.isRecording()) {
      this.span.setAttributes({ [ATTR.errorType]: errorType, [ATTR.reason]: err.reason });
      if (errno !== undefined) this.span.setAttribute(ATTR.dbResponseStatusCode, errno);
      // The server's message can echo values: the status says code and reason only.
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: `${statusName(err.code)} ${err.reason}` });
    }
    this.span.end(hrTime());
  }
}

/** One RPC's SERVER span and duration. */
export class RecordingCallTrace implements CallTrace {
  private readonly span: Span;
  private readonly ctx: Context;
  private readonly startedAt = performance.now();
  private ended = false;
  private route: RouteDecision | undefined;
  /** The pool wait of the lease the next statement runs on. */
  private pool: string | undefined;
  private poolWaitMs = 0;
  private rows = 0;
  private bytes = 0;

  constructor(
    private readonly s: TraceSettings,
    private readonly method: RpcMethod,
    parent: Context,
  ) {
    this.span = s.tracer.startSpan(
      `${RPC_SERVICE}/${method}`,
      { kind: SpanKind.SERVER, attributes: SPAN_START_ATTRIBUTES[method], startTime: hrTime() },
      parent,
    );
    this.ctx = trace.setSpan(parent, this.span);
  }

  statement(target: StatementTarget, conn: StatementConnection, stmt: TracedStatement): StatementTrace {
    const desc = stmt.info ?? this.s.texts.describe(stmt.sql);
    const system = conn.isMariaDb ? VALUE.mariadb : VALUE.mysql;
    const attributes = statementAttributes(target, system, desc.operation);
    // Parent-based sampling: the statement is recorded exactly when its call is. Then all its
    // attributes go in one object at start; otherwise none are computed.
    let spanAttributes: Attributes | undefined;
    if (this.span.isRecording()) {
      const extra: Attributes = {
        ...attributes,
        [ATTR.dbQueryText]: this.s.texts.text(stmt.sql),
        [ATTR.cluster]: target.cluster,
        [ATTR.backend]: target.name,
        [ATTR.backendRole]: target.role,
        [ATTR.connectionId]: conn.threadId,
      };
      if (desc.summary) extra[ATTR.dbQuerySummary] = desc.summary;
      if (this.route !== undefined && this.route.backend === target)
        extra[ATTR.routeReason] = this.route.reason;
      if (this.pool !== undefined) {
        extra[ATTR.dbPoolName] = this.pool;
        extra[ATTR.poolWaitSeconds] = this.poolWaitMs / 1000;
      }
      spanAttributes = extra;
    }
    const span = this.s.tracer.startSpan(
      desc.summary || desc.operation || system,
      { kind: SpanKind.CLIENT, attributes: spanAttributes, startTime: hrTime() },
      this.ctx,
    );
    // The pool wait belongs to the first statement on the lease.
    this.pool = undefined;
    return new RecordingStatementTrace(this.s, span, attributes);
  }

  routed(route: RouteDecision): void {
    this.route = route;
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [ATTR.cluster]: route.backend.cluster,
        [ATTR.backend]: route.backend.name,
        [ATTR.backendRole]: route.backend.role,
        [ATTR.routeReason]: route.reason,
      });
    }
  }

  authenticated(principal: string): void {
    if (principal !== '' && this.span.isRecording()) this.span.setAttribute(ATTR.principal, principal);
  }

  tagged(tag: string): void {
    if (tag !== '' && this.span.isRecording()) this.span.setAttribute(ATTR.requestTag, tag);
  }

  poolAcquired(pool: string, waitMs: number): void {
    this.pool = pool;
    this.poolWaitMs = waitMs;
  }

  retry(attempt: number, failed: StatementTarget, err: GatewayError): void {
    this.s.metrics.retries.add(1, { [LABEL.cluster]: failed.cluster });
    if (this.span.isRecording()) {
      this.span.addEvent(
        'mysqlgateway.retry',
        {
          [ATTR.attempt]: attempt,
          [ATTR.backend]: failed.name,
          [ATTR.errorType]: err.reason,
        },
        hrTime(),
      );
    }
  }

  hedge(outcome: HedgeOutcome, backend: StatementTarget): void {
    this.s.metrics.hedges.add(1, { [LABEL.cluster]: backend.cluster, [LABEL.outcome]: outcome });
    if (!this.span.isRecording()) return;
    switch (outcome) {
      case 'sent':
        this.span.setAttribute(ATTR.hedgeSent, true);
        this.span.addEvent('mysqlgateway.hedge', { [ATTR.backend]: backend.name }, hrTime());
        break;
      case 'won':
      case 'lost':
        // The call's backend is the one that answered, whichever was routed last.
        this.span.setAttributes({
          [ATTR.hedgeWinner]: outcome === 'won' ? 'hedge' : 'first',
          [ATTR.backend]: backend.name,
          [ATTR.backendRole]: backend.role,
        });
        break;
      default:
        this.span.setAttribute(ATTR.hedgeSkipped, outcome === 'skipped_budget' ? 'budget' : 'no_backend');
    }
  }

  streamed(source: StatementTarget, rows: number, bytes: number): void {
    this.s.metrics.streamed(source, rows, bytes);
    this.rows += rows;
    this.bytes += bytes;
  }

  batch(size: number): void {
    // The database conventions call an operation a batch from two statements on, named BATCH.
    if (size >= 2 && this.span.isRecording()) {
      this.span.setAttributes({ [ATTR.dbOperationBatchSize]: size, [ATTR.dbOperationName]: 'BATCH' });
    }
  }

  transactionEnded(outcome: TransactionOutcome): void {
    this.span.setAttribute(ATTR.transactionOutcome, outcome);
  }

  transactionReplay(
    cluster: string,
    outcome: TransactionReplayOutcome,
    statements: number,
    elapsedMs: number,
  ): void {
    this.s.metrics.transactionReplays.add(1, { [LABEL.cluster]: cluster, [LABEL.outcome]: outcome });
    if (this.span.isRecording()) {
      this.span.addEvent(
        'mysqlgateway.transaction.replay',
        {
          [ATTR.replayOutcome]: outcome,
          [ATTR.replayStatements]: statements,
          [ATTR.replayDurationSeconds]: elapsedMs / 1000,
        },
        hrTime(),
      );
    }
  }

  transactionReplayOff(_cluster: string, why: string): void {
    if (this.span.isRecording()) {
      this.span.addEvent('mysqlgateway.transaction.replay_off', { [ATTR.replayOffReason]: why }, hrTime());
    }
  }

  end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const e = err === undefined ? undefined : GatewayError.from(err);
    const code = e?.code ?? 0;
    this.s.metrics.rpcCallDuration.record(
      (performance.now() - this.startedAt) / 1000,
      rpcMetricLabels(this.method, code),
    );
    if (this.span.isRecording()) {
      const name = statusName(code);
      const attrs: Attributes = { [ATTR.rpcStatusCode]: name, [ATTR.rpcGrpcStatusCode]: code };
      if (this.method !== 'Execute') {
        attrs[ATTR.rows] = this.rows;
        attrs[ATTR.bytes] = this.bytes;
      }
      if (e !== undefined) {
        attrs[ATTR.errorType] = name;
        attrs[ATTR.reason] = e.reason;
        if (SERVER_ERROR_CODES.has(code))
          this.span.setStatus({ code: SpanStatusCode.ERROR, message: `${name} ${e.reason}` });
      }
      this.span.setAttributes(attrs);
    }
    this.span.end(hrTime());
  }

  logFields(): TraceLogFields | Record<string, never> {
    return traceLogFields(this.span);
  }
}
