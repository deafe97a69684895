/**
 * The Transaction stream's state machine: begin, statements in order on ONE pinned connection,
 * then commit or rollback. Anything else that ends the stream (half-close without commit,
 * cancel, deadline, idle timeout, lifetime, lost connection, gateway shutdown) rolls back.
 *
 * States (illegal transitions throw):
 *   awaitingBegin -> beginning -> open -> finishing -> ended
 *   beginning -> finishing (begin failed after a connection was leased)
 *   any state -> ended
 */
import { CallAbort } from '../abort-signal.js';
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import type { EncodedRows } from '../wire/row-encoding.js';
import type { WireColumn, WireValue } from '../sql/values.js';
import { ResultBatcher } from './result-stream.js';
import {
  batchLimits,
  consistencyTokenOf,
  endLease,
  headerTotals,
  type OkHeader,
  type SessionLimits,
} from './single-statement.js';
import type { Access } from './access.js';
import { checkStatement } from './statement.js';

/** Transaction state; see the module comment for the transitions. */
export type TransactionState = 'awaitingBegin' | 'beginning' | 'open' | 'finishing' | 'ended';

const TRANSITIONS: Record<TransactionState, readonly TransactionState[]> = {
  awaitingBegin: ['beginning', 'ended'],
  beginning: ['open', 'finishing', 'ended'],
  open: ['finishing', 'ended'],
  finishing: ['ended'],
  ended: [],
};

/** Isolation level names as they arrive from the proto. */
const ISOLATION_SQL: Record<string, string> = {
  ISOLATION_LEVEL_READ_UNCOMMITTED: 'READ UNCOMMITTED',
  ISOLATION_LEVEL_READ_COMMITTED: 'READ COMMITTED',
  ISOLATION_LEVEL_REPEATABLE_READ: 'REPEATABLE READ',
  ISOLATION_LEVEL_SERIALIZABLE: 'SERIALIZABLE',
};

/** A statement inside the stream. */
export interface StatementInput {
  sql?: string;
  params?: WireValue[];
  max_rows_per_batch?: number;
}

/** One TransactionRequest as decoded by proto-loader (`oneofs: true`). */
export interface TransactionRequestInput {
  request_id?: string;
  action?: 'begin' | 'query' | 'execute' | 'commit' | 'rollback';
  begin?: { cluster?: string; isolation_level?: string; read_only?: boolean; idle_timeout_ms?: number };
  query?: StatementInput;
  execute?: StatementInput;
  commit?: object;
  rollback?: object;
}

/** One TransactionResponse, in proto-loader's object form. */
export type TransactionResponseOutput = { request_id: string } & (
  | { begun: { backend: string; connection_id: string } }
  | { metadata: { columns: WireColumn[] } }
  | { rows: { rows: EncodedRows } }
  | {
      done: {
        row_count: string;
        warning_count: number;
        backend: string;
        backend_role: string;
        elapsed_us: string;
      };
    }
  | { executed: Record<string, unknown> }
  | { committed: { consistency_token: string } }
  | { rolled_back: Record<string, never> }
  | {
      error: {
        code: number;
        mysql_errno: number;
        sql_state: string;
        message: string;
        reason: string;
        transaction_rolled_back: boolean;
      };
    }
);

/** What the session writes to (the gRPC duplex call, through the server adapter). */
export interface TransactionOutput {
  /** Sends a response; false when the client's buffer is full. */
  send(resp: TransactionResponseOutput): boolean;
  onceDrain(cb: () => void): void;
  /** Ends the call: OK without an error, else with its status. Called exactly once. */
  end(err?: GatewayError): void;
  /** Stop / restart reading requests (too many queued). */
  pauseInput(): void;
  resumeInput(): void;
}

/** Timeouts (config `transactions`). */
export interface TransactionSettings {
  /** Default idle timeout, ms. */
  readonly idleTimeoutMs: number;
  /** Largest idle timeout a client may ask for, ms. */
  readonly maxIdleTimeoutMs: number;
  /** Longest a transaction may stay open, ms. */
  readonly maxLifetimeMs: number;
}

/** Events the registry and telemetry observe. */
export interface TransactionObserver {
  ended(session: TransactionSession, outcome: 'committed' | 'rolledBack' | 'aborted'): void;
}

/** The rollback statement, sent whatever the call's state. */
const ROLLBACK = { sql: 'ROLLBACK', params: [] } as const;

/** A signal that never fires (statements that must run even after the caller left). */
const NEVER_ABORTED = new AbortController().signal;

/** Requests queued beyond this pause reading from the client. */
const MAX_QUEUED = 256;

/** One Transaction stream. */
export class TransactionSession {
  private stateValue: TransactionState = 'awaitingBegin';
  private readonly queue: TransactionRequestInput[] = [];
  private pumping = false;
  /** The running pump, awaited by an abort before it rolls back. */
  private current: Promise<void> = Promise.resolve();
  private inputPaused = false;
  private halfClosed = false;
  private lease: Lease<DbConnection> | undefined;
  private backend: Backend | undefined;
  private dirty = false;
  private readonly internal = new CallAbort();
  private readonly ctx: StatementContext;
  private idleTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  private idleTimeoutMs: number;
  private finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    private readonly clusters: ClusterRegistry,
    private readonly limits: SessionLimits & { defaultRowsPerBatch: number },
    private readonly settings: TransactionSettings,
    callCtx: StatementContext,
    private readonly access: Access,
    private readonly output: TransactionOutput,
    private readonly observer?: TransactionObserver,
  ) {
    this.ctx = {
      deadline: callCtx.deadline,
      signal: this.internal,
      trace: callCtx.trace,
    };
    // The call's signal aborts the session's (a listener: AbortSignal.any costs far more).
    const callSignal = callCtx.signal;
    if (callSignal.aborted) this.internal.abort(callSignal.reason);
    else callSignal.addEventListener('abort', () => this.internal.abort(callSignal.reason), { once: true });
    this.idleTimeoutMs = settings.idleTimeoutMs;
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    if (this.ctx.signal.aborted) queueMicrotask(() => this.onAbort());
    else this.ctx.signal.addEventListener('abort', () => this.onAbort(), { once: true });
    this.armIdleTimer();
  }

  /** Current state. */
  get state(): TransactionState {
    return this.stateValue;
  }

  /** Resolves once the session has ended and its connection is back in the pool (or destroyed). */
  whenEnded(): Promise<void> {
    return this.finished;
  }

  /** A request arrived. */
  push(req: TransactionRequestInput): void {
    if (this.stateValue === 'ended') return;
    this.queue.push(req);
    this.armIdleTimer();
    if (this.queue.length > MAX_QUEUED && !this.inputPaused) {
      this.inputPaused = true;
      this.output.pauseInput();
    }
    this.startPump();
  }

  /** The client half-closed its side. */
  halfClose(): void {
    this.halfClosed = true;
    this.startPump();
  }

  private startPump(): void {
    if (!this.pumping) this.current = this.pump();
  }

  /** Ends the session from outside (gateway shutdown): rolls back. */
  abort(reason: GatewayError): Promise<void> {
    this.internal.abort(reason);
    return this.finished;
  }

  private transition(to: TransactionState): void {
    if (!TRANSITIONS[this.stateValue].includes(to)) {
      throw new GatewayError(
        Code.INTERNAL,
        'ILLEGAL_TRANSITION',
        `transaction cannot go from ${this.stateValue} to ${to}`,
      );
    }
    this.stateValue = to;
  }

  private armIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.stateValue === 'ended') return;
    this.idleTimer = setTimeout(() => {
      if (this.pumping) return this.armIdleTimer();
      this.internal.abort(
        new GatewayError(
          Code.DEADLINE_EXCEEDED,
          'TRANSACTION_IDLE_TIMEOUT',
          `no request for ${this.idleTimeoutMs} ms: transaction rolled back`,
        ),
      );
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.stateValue !== 'ended' && !this.ctx.signal.aborted) {
        const req = this.queue.shift() as TransactionRequestInput;
        if (this.inputPaused && this.queue.length < MAX_QUEUED / 2) {
          this.inputPaused = false;
          this.output.resumeInput();
        }
        try {
          await this.handle(req);
        } catch (err) {
          // A bug must not wedge the stream or its connection: end it, rolling back.
          await this.finish(GatewayError.from(err));
        }
      }
      if (
        this.halfClosed &&
        this.queue.length === 0 &&
        this.stateValue !== 'ended' &&
        !this.ctx.signal.aborted
      ) {
        await this.finish(
          new GatewayError(
            Code.ABORTED,
            'TRANSACTION_ABANDONED',
            'the stream was closed without commit: transaction rolled back',
          ),
        );
      }
    } finally {
      this.pumping = false;
      this.armIdleTimer();
    }
  }

  private async handle(req: TransactionRequestInput): Promise<void> {
    const id = req.request_id ?? '';
    const action = req.action;
    if (this.stateValue === 'awaitingBegin') {
      if (action !== 'begin') {
        return this.finish(
          errors.failedPrecondition(
            'BEGIN_REQUIRED',
            'the first request of a Transaction stream must be begin',
          ),
        );
      }
      return this.begin(id, req.begin ?? {});
    }
    switch (action) {
      case 'begin':
        return this.inBandError(
          id,
          errors.failedPrecondition('ALREADY_BEGUN', 'the transaction has already begun'),
        );
      case 'query':
      case 'execute':
        return this.statement(id, action, req[action] ?? {});
      case 'commit':
        return this.commit(id);
      case 'rollback':
        return this.rollback(id);
      default:
        return this.inBandError(
          id,
          errors.invalidArgument(
            'EMPTY_REQUEST',
            'the request has no action (begin, query, execute, commit or rollback)',
          ),
        );
    }
  }

  private async begin(id: string, begin: NonNullable<TransactionRequestInput['begin']>): Promise<void> {
    this.transition('beginning');
    let isolation: string | undefined;
    if (begin.isolation_level && begin.isolation_level !== 'ISOLATION_LEVEL_UNSPECIFIED') {
      isolation = ISOLATION_SQL[begin.isolation_level];
      if (!isolation)
        return this.finish(errors.invalidArgument('BAD_ISOLATION_LEVEL', 'unknown isolation_level'));
    }
    if (begin.idle_timeout_ms && begin.idle_timeout_ms > 0) {
      this.idleTimeoutMs = Math.min(begin.idle_timeout_ms, this.settings.maxIdleTimeoutMs);
    }
    let lease: Lease<DbConnection>;
    try {
      const cluster = this.clusters.get(begin.cluster);
      this.access.useCluster(cluster.name);
      const readOnly = begin.read_only === true;
      if (!readOnly) this.access.write('a read-write transaction (begin with read_only: true)');
      const route = readOnly ? cluster.routeRead({ readOnly: true }) : cluster.routeWrite();
      this.ctx.trace?.routed(route);
      this.backend = route.backend;
      lease = await this.backend.acquire(this.ctx);
    } catch (err) {
      return this.finish(GatewayError.from(err));
    }
    this.lease = lease;
    if (this.ctx.signal.aborted) return this.finish(GatewayError.from(this.ctx.signal.reason));
    const conn = lease.resource;
    try {
      if (isolation) {
        await this.backend.run(
          conn,
          { sql: `SET TRANSACTION ISOLATION LEVEL ${isolation}`, params: [] },
          undefined,
          this.ctx,
        );
      }
      const start = begin.read_only ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION';
      await this.backend.run(conn, { sql: start, params: [] }, undefined, this.ctx);
    } catch (err) {
      return this.finish(GatewayError.from(err));
    }
    this.transition('open');
    this.lifetimeTimer = setTimeout(() => {
      this.internal.abort(
        new GatewayError(
          Code.DEADLINE_EXCEEDED,
          'TRANSACTION_LIFETIME',
          `transaction open longer than ${this.settings.maxLifetimeMs} ms (transactions.maxLifetimeMs): rolled back`,
        ),
      );
    }, this.settings.maxLifetimeMs);
    this.lifetimeTimer.unref();
    this.output.send({
      request_id: id,
      begun: { backend: this.backend.name, connection_id: String(conn.threadId) },
    });
  }

  private async statement(id: string, kind: 'query' | 'execute', input: StatementInput): Promise<void> {
    if (this.stateValue !== 'open') return this.inBandError(id, this.notOpen());
    const backend = this.backend as Backend;
    const conn = (this.lease as Lease<DbConnection>).resource;
    let stmt: ReturnType<typeof checkStatement>;
    try {
      this.access.request();
      stmt = checkStatement(input.sql, input.params, this.limits, 'transaction');
      if (!stmt.info.readOnly) this.access.write('a statement not proven read-only');
    } catch (err) {
      return this.inBandError(id, GatewayError.from(err));
    }
    if (stmt.info.sessionState) this.dirty = true;
    const started = process.hrtime.bigint();
    try {
      if (kind === 'execute') {
        const outcome = await backend.run(conn, stmt, undefined, this.ctx);
        const t = headerTotals(outcome.header as OkHeader | undefined, backend.name);
        this.output.send({
          request_id: id,
          executed: {
            affected_rows: String(t.affectedRows),
            last_insert_id: t.lastInsertId,
            warning_count: t.warningCount,
            info: t.info,
            backend: t.backend,
            elapsed_us: String((process.hrtime.bigint() - started) / 1000n),
            consistency_token: t.consistencyToken,
          },
        });
        return;
      }
      const batcher = new ResultBatcher(
        conn,
        {
          metadata: (columns) => this.output.send({ request_id: id, metadata: { columns } }),
          rows: (rows) => this.output.send({ request_id: id, rows: { rows } }),
          onceDrain: (cb) => this.output.onceDrain(cb),
        },
        batchLimits(this.limits, input.max_rows_per_batch),
        (err) => backend.abortStatement(conn, err),
      );
      try {
        const outcome = await backend.run(conn, stmt, batcher, this.ctx);
        batcher.finish();
        this.ctx.trace?.streamed(backend, outcome.rowCount, batcher.bytes);
        this.output.send({
          request_id: id,
          done: {
            row_count: String(outcome.rowCount),
            warning_count: outcome.header?.warningStatus ?? 0,
            backend: backend.name,
            backend_role: backend.role,
            elapsed_us: String((process.hrtime.bigint() - started) / 1000n),
          },
        });
      } catch (err) {
        batcher.discard();
        throw batcher.failure ?? err;
      }
    } catch (err) {
      const e = GatewayError.from(err);
      if (conn.broken) {
        // The pinned connection is gone or was killed: the server has rolled back.
        this.inBandError(id, withRollback(e));
        return this.finish(
          this.ctx.signal.aborted
            ? GatewayError.from(this.ctx.signal.reason)
            : new GatewayError(
                Code.UNAVAILABLE,
                'TRANSACTION_ROLLED_BACK',
                `connection lost: the transaction was rolled back (${e.message})`,
                {
                  cause: e,
                },
              ),
        );
      }
      this.inBandError(id, e);
      if (e.transactionRolledBack) {
        return this.finish(
          new GatewayError(e.code, e.reason, `${e.message} (the transaction was rolled back)`, { cause: e }),
        );
      }
    }
  }

  private async commit(id: string): Promise<void> {
    if (this.stateValue !== 'open') return this.inBandError(id, this.notOpen());
    this.transition('finishing');
    const backend = this.backend as Backend;
    const conn = (this.lease as Lease<DbConnection>).resource;
    let token = '';
    try {
      const outcome = await backend.run(conn, { sql: 'COMMIT', params: [] }, undefined, this.ctx);
      token = consistencyTokenOf(outcome.header as OkHeader | undefined);
    } catch (err) {
      const e = GatewayError.from(err);
      if (conn.broken) {
        return this.finish(
          new GatewayError(
            Code.UNAVAILABLE,
            'COMMIT_OUTCOME_UNKNOWN',
            `connection lost during commit: the outcome is unknown (${e.message})`,
            {
              cause: e,
              mayHaveExecuted: true,
            },
          ),
        );
      }
      this.inBandError(id, withRollback(e));
      return this.finish(e);
    }
    this.output.send({ request_id: id, committed: { consistency_token: token } });
    if (this.release('committed')) this.output.end();
  }

  private async rollback(id: string): Promise<void> {
    if (this.stateValue !== 'open') return this.inBandError(id, this.notOpen());
    this.transition('finishing');
    await this.rollbackConnection();
    this.output.send({ request_id: id, rolled_back: {} });
    if (this.release('rolledBack')) this.output.end();
  }

  private notOpen(): GatewayError {
    return errors.failedPrecondition(
      'TRANSACTION_NOT_OPEN',
      `the transaction is ${this.stateValue === 'finishing' ? 'ending' : 'not open'}`,
    );
  }

  /** Rolls back on the pinned connection; a connection that cannot roll back is poisoned (the server rolls back on disconnect). */
  private async rollbackConnection(): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.resource.broken || !this.backend) return;
    try {
      // Not bound by the call's signal or deadline: the rollback must happen even when the
      // caller has gone.
      await this.backend.run(lease.resource, ROLLBACK, undefined, {
        signal: NEVER_ABORTED,
        trace: this.ctx.trace,
      });
    } catch (err) {
      lease.resource.poison(err);
    }
  }

  /** Ends the lease and the state machine; false when that already happened. */
  private release(outcome: 'committed' | 'rolledBack' | 'aborted'): boolean {
    if (this.stateValue === 'ended') return false;
    this.clearTimers();
    const lease = this.lease;
    this.lease = undefined;
    if (lease) endLease(lease, this.dirty);
    this.transition('ended');
    // Requests pipelined after the end (e.g. a statement sent behind commit) are answered, not dropped.
    for (const req of this.queue.splice(0)) {
      this.inBandError(
        req.request_id ?? '',
        errors.failedPrecondition('TRANSACTION_ENDED', 'the transaction has already ended'),
      );
    }
    this.observer?.ended(this, outcome);
    this.ctx.trace?.transactionEnded(outcome);
    this.resolveFinished();
    return true;
  }

  /** Ends the session with an error (or OK when `err` is undefined after a clean end), rolling back. */
  /** Ends the session with `err`, rolling back whatever is open. Later calls are no-ops. */
  private async finish(err: GatewayError): Promise<void> {
    if (this.stateValue === 'ended') return;
    if (this.stateValue === 'beginning' || this.stateValue === 'open') this.transition('finishing');
    await this.rollbackConnection();
    if (this.release('aborted')) this.output.end(err);
  }

  private onAbort(): void {
    // A running statement is killed by Backend.run through the same signal; once the pump has
    // settled (it stops at the abort), roll back whatever is still open.
    const reason = GatewayError.from(this.ctx.signal.reason);
    const finish = () => this.finish(reason);
    void this.current.then(finish, finish);
  }

  private inBandError(id: string, e: GatewayError): void {
    this.output.send({
      request_id: id,
      error: {
        code: e.code,
        mysql_errno: e.mysqlErrno ?? 0,
        sql_state: e.sqlState ?? '',
        message: e.message,
        reason: e.reason,
        transaction_rolled_back: e.transactionRolledBack,
      },
    });
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.lifetimeTimer) clearTimeout(this.lifetimeTimer);
    this.idleTimer = undefined;
    this.lifetimeTimer = undefined;
  }
}

function withRollback(e: GatewayError): GatewayError {
  if (e.transactionRolledBack) return e;
  return new GatewayError(e.code, e.reason, e.message, {
    mysqlErrno: e.mysqlErrno,
    sqlState: e.sqlState,
    cause: e,
    transactionRolledBack: true,
  });
}
