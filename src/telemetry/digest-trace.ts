/**
 * Query digests and the slow-statement log, fed from the call traces: {@link DigestingTracer}
 * wraps the gateway's tracer (OpenTelemetry's, or the no-op one when telemetry is off), so every
 * statement the backends run is counted whether or not it is traced. The wrapper also holds the
 * call's principal and request tag, which the digests group by and log lines carry.
 *
 * Only the caller's statements are counted (those the classifier saw); the gateway's own
 * (START TRANSACTION, COMMIT, the read-your-writes wait) are not.
 */
import type { GatewayError } from '../errors.js';
import type {
  CallLogFields,
  CallTrace,
  CallTracer,
  HedgeOutcome,
  MetadataCarrier,
  RouteDecision,
  RpcMethod,
  StatementConnection,
  StatementTarget,
  StatementTrace,
  TracedStatement,
  TransactionOutcome,
  TransactionReplayOutcome,
} from './call-trace.js';
import type { Logger } from './logger.js';
import type { DigestGroup, QueryDigests } from './query-digests.js';
import type { QueryTextCache } from './query-text.js';

/** Options of {@link DigestingTracer}. */
export interface DigestingTracerOptions {
  /** The digest table; undefined = digests off (`telemetry.queryDigests.enabled: false`). */
  readonly digests: QueryDigests | undefined;
  /** Digest texts by SQL text, cached. */
  readonly texts: QueryTextCache;
  /** Statements at least this long are logged once; 0 = off (`telemetry.slowStatementMs`). */
  readonly slowStatementMs: number;
  readonly logger: Logger;
}

/** A tracer whose call traces also count digests and log slow statements. */
export class DigestingTracer implements CallTracer {
  constructor(
    private readonly inner: CallTracer,
    /** @internal */
    readonly opts: DigestingTracerOptions,
  ) {}

  startCall(method: RpcMethod, metadata?: MetadataCarrier): CallTrace {
    return new DigestCallTrace(this.inner.startCall(method, metadata), this.opts);
  }
}

/** One call: its principal, tag, and the digest group of the backend it last ran on. */
class DigestCallTrace implements CallTrace {
  /** @internal */
  principal = '';
  /** @internal */
  tag = '';
  private groupTarget: StatementTarget | undefined;
  private group: DigestGroup | undefined;

  constructor(
    /** @internal */
    readonly inner: CallTrace,
    /** @internal */
    readonly opts: DigestingTracerOptions,
  ) {}

  statement(target: StatementTarget, conn: StatementConnection, stmt: TracedStatement): StatementTrace {
    const span = this.inner.statement(target, conn, stmt);
    if (stmt.info === undefined || (this.opts.digests === undefined && this.opts.slowStatementMs <= 0))
      return span;
    return new DigestStatementTrace(this, span, target, stmt.sql);
  }

  /** The digest group of `target` for this call (built once per backend the call runs on). */
  groupOf(digests: QueryDigests, target: StatementTarget): DigestGroup {
    if (this.group === undefined || this.groupTarget !== target || !this.group.live) {
      this.groupTarget = target;
      this.group = digests.group({
        cluster: target.cluster,
        backendRole: target.role,
        principal: this.principal,
        requestTag: this.tag,
      });
    }
    return this.group;
  }

  routed(route: RouteDecision): void {
    this.inner.routed(route);
  }

  authenticated(principal: string): void {
    this.principal = principal;
    this.group = undefined;
    this.inner.authenticated(principal);
  }

  tagged(tag: string): void {
    this.tag = tag;
    this.group = undefined;
    this.inner.tagged(tag);
  }

  poolAcquired(pool: string, waitMs: number): void {
    this.inner.poolAcquired(pool, waitMs);
  }

  retry(attempt: number, failed: StatementTarget, err: GatewayError): void {
    this.inner.retry(attempt, failed, err);
  }

  hedge(outcome: HedgeOutcome, backend: StatementTarget): void {
    this.inner.hedge(outcome, backend);
  }

  streamed(source: StatementTarget, rows: number, bytes: number): void {
    this.inner.streamed(source, rows, bytes);
  }

  batch(size: number): void {
    this.inner.batch(size);
  }

  transactionEnded(outcome: TransactionOutcome): void {
    this.inner.transactionEnded(outcome);
  }

  transactionReplay(
    cluster: string,
    outcome: TransactionReplayOutcome,
    statements: number,
    elapsedMs: number,
  ): void {
    this.inner.transactionReplay(cluster, outcome, statements, elapsedMs);
  }

  transactionReplayOff(cluster: string, why: string): void {
    this.inner.transactionReplayOff(cluster, why);
  }

  end(err?: unknown): void {
    this.inner.end(err);
  }

  logFields(): CallLogFields {
    const fields = this.inner.logFields();
    return this.tag === '' ? fields : { ...fields, request_tag: this.tag };
  }
}

/** One statement: its duration goes to the digest table and, when slow, to the log. */
class DigestStatementTrace implements StatementTrace {
  private readonly startedAt = performance.now();
  private done = false;

  constructor(
    private readonly call: DigestCallTrace,
    private readonly inner: StatementTrace,
    private readonly target: StatementTarget,
    private readonly sqlText: string,
  ) {}

  sql(sql: string): string {
    return this.inner.sql(sql);
  }

  lazySql(fn: () => string): () => string {
    return this.inner.lazySql(fn);
  }

  end(rows: number): void {
    this.inner.end(rows);
    this.finish(rows, 0);
  }

  fail(err: GatewayError): void {
    this.inner.fail(err);
    this.finish(0, err.code);
  }

  private finish(rows: number, code: number): void {
    if (this.done) return;
    this.done = true;
    const endedAt = performance.now();
    const ms = endedAt - this.startedAt;
    const { digests, texts, slowStatementMs, logger } = this.call.opts;
    if (digests !== undefined) {
      const digest = texts.digest(this.sqlText);
      // Wall time from the clock just read (Date.now() would cost as much again).
      const nowMs = performance.timeOrigin + endedAt;
      digests.record(this.call.groupOf(digests, this.target), digest, ms * 1000, rows, code, nowMs);
    }
    if (slowStatementMs > 0 && ms >= slowStatementMs) {
      // The digest only: never the SQL's literals or the parameters.
      logger.warn(
        {
          ...this.call.logFields(),
          digest: texts.digest(this.sqlText),
          duration_ms: Math.round(ms * 1000) / 1000,
          rows,
          cluster: this.target.cluster,
          backend: this.target.name,
          backend_role: this.target.role,
          ...(this.call.principal === '' ? {} : { principal: this.call.principal }),
          ...(code === 0 ? {} : { code }),
        },
        'slow statement',
      );
    }
  }
}
