/**
 * The Transaction stream's state machine: begin, statements in order on ONE pinned connection,
 * then commit or rollback. Anything else that ends the stream (half-close without commit,
 * cancel, deadline, idle timeout, lifetime, lost connection, gateway shutdown) rolls back.
 *
 * States (illegal transitions throw):
 *   awaitingBegin -> beginning -> open -> finishing -> ended
 *   beginning -> finishing (begin failed after a connection was leased)
 *   any state but ended -> ended
 */
import { CallAbort } from '../abort-signal.js';
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import { type Clock, systemClock } from '../pool/clock.js';
import type { Lease } from '../pool/lease.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import type { Access } from './access.js';
import type { StoreLookup } from './idempotency-execute.js';
import { CommandInbox } from './command-inbox.js';
import { TransactionKey } from './idempotency-transaction.js';
import type {
  BeginCommand,
  Caller,
  StatementCommand,
  TransactionCommand,
  TransactionEvents,
} from './commands.js';
import {
  type CommitOutcome,
  commitOn,
  endLease,
  rollbackOn,
  type StatementRunner,
  startTransaction,
} from './statement-runner.js';
import { type ReplaySettings, TransactionReplayer } from './transaction-replay.js';

/** Transaction state; see the module comment for the transitions. */
export type TransactionState = 'awaitingBegin' | 'beginning' | 'open' | 'finishing' | 'ended';

const TRANSITIONS: Record<TransactionState, readonly TransactionState[]> = {
  awaitingBegin: ['beginning', 'ended'],
  beginning: ['open', 'finishing', 'ended'],
  open: ['finishing', 'ended'],
  finishing: ['ended'],
  ended: [],
};

/** Timeouts and replay bounds (config `transactions`); replay bounds left out take their defaults. */
export interface TransactionSettings extends Partial<ReplaySettings> {
  /** Default idle timeout, ms. */
  readonly idleTimeoutMs: number;
  /** Largest idle timeout a client may ask for, ms. */
  readonly maxIdleTimeoutMs: number;
  /** Longest a transaction may stay open, ms. */
  readonly maxLifetimeMs: number;
}

/** What an open transaction looks like from outside (the status page, Admin.GetStatus). */
export interface TransactionInfo {
  /** The caller's principal ('' when authentication is off). */
  readonly principal: string;
  /** When the stream opened, epoch ms. */
  readonly openedAt: number;
  /** Its cluster and pinned backend, once begun ('' before). */
  readonly cluster: string;
  readonly backend: string;
  /** MySQL connection id of the pinned connection, 0 before begin. */
  readonly connectionId: number;
  readonly state: TransactionState;
  /** The begin's request tag ('' without one, or before begin). */
  readonly requestTag: string;
}

/** Events the registry and telemetry observe. */
export interface TransactionObserver {
  ended(session: TransactionSession, outcome: 'committed' | 'rolledBack' | 'aborted'): void;
}

/** What a {@link TransactionSession} is built from (by `SessionService.openTransaction`). */
export interface TransactionSessionOptions {
  readonly clusters: ClusterRegistry;
  readonly runner: StatementRunner;
  readonly settings: TransactionSettings;
  /** The caller: the call's deadline, signal and trace, and its permissions. */
  readonly caller: Caller;
  /** Where the session reports what happened. */
  readonly events: TransactionEvents;
  /** Hears when the session ends (the session registry). */
  readonly observer?: TransactionObserver;
  /** Runs the idle and lifetime timers; unit tests pass a fake one. @default systemClock */
  readonly clock?: Clock;
  /** The idempotency key store of each cluster (none: a keyed begin fails FAILED_PRECONDITION). */
  readonly idempotency?: StoreLookup;
  /** Whether a cluster replays transactions whose begin did not ask (`clusters.<name>.transactions.replay`). @default none does */
  readonly replayByDefault?: (cluster: string) => boolean;
}

/** One Transaction stream. */
export class TransactionSession {
  private stateValue: TransactionState = 'awaitingBegin';
  /** The requests, handled in order by one pump; an abort awaits it before rolling back. */
  private readonly inbox: CommandInbox<TransactionCommand>;
  private lease: Lease<DbConnection> | undefined;
  private backend: Backend | undefined;
  private dirty = false;
  private readonly internal = new CallAbort();
  private readonly ctx: StatementContext;
  private idleTimer: unknown;
  private lifetimeTimer: unknown;
  private readonly clock: Clock;
  private idleTimeoutMs: number;
  private finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly clusters: ClusterRegistry;
  private readonly runner: StatementRunner;
  private readonly settings: TransactionSettings;
  private readonly access: Access;
  private readonly output: TransactionEvents;
  private readonly observer: TransactionObserver | undefined;
  private readonly openedAt = Date.now();
  private requestTag = '';
  private readonly stores: StoreLookup;
  /** The begin's idempotency key, once claimed (idempotency-transaction.ts). */
  private key: TransactionKey | undefined;
  /** Set while the transaction is replayable (docs/transaction-replay.md). */
  private replayer: TransactionReplayer | undefined;
  private readonly replayByDefault: (cluster: string) => boolean;

  constructor(opts: TransactionSessionOptions) {
    this.replayByDefault = opts.replayByDefault ?? (() => false);
    this.clusters = opts.clusters;
    this.runner = opts.runner;
    this.settings = opts.settings;
    this.access = opts.caller.access;
    this.output = opts.events;
    this.observer = opts.observer;
    this.clock = opts.clock ?? systemClock;
    this.stores = opts.idempotency ?? (() => undefined);
    const callCtx = opts.caller.ctx;
    const settings = opts.settings;
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
    this.inbox = new CommandInbox<TransactionCommand>({
      handle: (req) => this.handle(req),
      accepting: () => this.stateValue !== 'ended' && !this.ctx.signal.aborted,
      // A bug must not wedge the stream or its connection: end it, rolling back.
      failed: (err) => this.finish(GatewayError.from(err)),
      drained: () =>
        this.finish(
          new GatewayError(
            Code.ABORTED,
            'TRANSACTION_ABANDONED',
            'the stream was closed without commit: transaction rolled back',
          ),
        ),
      idle: () => this.armIdleTimer(),
      pauseInput: () => this.output.pauseInput(),
      resumeInput: () => this.output.resumeInput(),
    });
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

  /** Who holds the transaction, where, since when. */
  info(): TransactionInfo {
    return {
      principal: this.access.principal,
      openedAt: this.openedAt,
      cluster: this.backend?.cluster ?? '',
      backend: this.backend?.name ?? '',
      connectionId: this.lease?.resource.threadId ?? 0,
      state: this.stateValue,
      requestTag: this.requestTag,
    };
  }

  /** Resolves once the session has ended and its connection is back in the pool (or destroyed). */
  whenEnded(): Promise<void> {
    return this.finished;
  }

  /** A request arrived. */
  push(req: TransactionCommand): void {
    if (this.stateValue === 'ended') return;
    this.armIdleTimer();
    this.inbox.push(req);
  }

  /** The client half-closed its side. */
  halfClose(): void {
    this.inbox.halfClose();
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
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    if (this.stateValue === 'ended') return;
    // systemClock's timers are unref()ed: an idle transaction does not keep the process alive.
    this.idleTimer = this.clock.setTimeout(() => {
      if (this.inbox.busy) return this.armIdleTimer();
      this.internal.abort(
        new GatewayError(
          Code.DEADLINE_EXCEEDED,
          'TRANSACTION_IDLE_TIMEOUT',
          `no request for ${this.idleTimeoutMs} ms: transaction rolled back`,
        ),
      );
    }, this.idleTimeoutMs);
  }

  private async handle(req: TransactionCommand): Promise<void> {
    const id = req.id;
    if (this.stateValue === 'awaitingBegin') {
      if (req.kind === 'begin') return this.begin(id, req.begin);
      if (req.kind === 'invalid' && req.wasBegin) {
        // A begin the server could not decode (an unknown isolation level, say) ends the stream.
        this.transition('beginning');
        return this.finish(req.error);
      }
      return this.finish(
        errors.failedPrecondition(
          'BEGIN_REQUIRED',
          'the first request of a Transaction stream must be begin',
        ),
      );
    }
    switch (req.kind) {
      case 'begin':
        return this.inBandError(
          id,
          errors.failedPrecondition('ALREADY_BEGUN', 'the transaction has already begun'),
        );
      case 'query':
      case 'execute':
        return this.statement(id, req.kind, req.statement);
      case 'commit':
        return this.commit(id);
      case 'rollback':
        return this.rollback(id);
      case 'invalid':
        return this.inBandError(
          id,
          req.wasBegin
            ? errors.failedPrecondition('ALREADY_BEGUN', 'the transaction has already begun')
            : req.error,
        );
    }
  }

  private async begin(id: string, begin: BeginCommand): Promise<void> {
    this.transition('beginning');
    this.requestTag = begin.requestTag ?? '';
    if (begin.idleTimeoutMs > 0) {
      this.idleTimeoutMs = Math.min(begin.idleTimeoutMs, this.settings.maxIdleTimeoutMs);
    }
    let lease: Lease<DbConnection>;
    let key: TransactionKey | undefined;
    try {
      const cluster = this.clusters.get(begin.cluster);
      this.access.useCluster(cluster.name);
      const readOnly = begin.readOnly;
      if (!readOnly) this.access.write('a read-write transaction (begin a read-only one instead)');
      const route = readOnly ? cluster.routeRead({ readOnly: true }) : cluster.routeWrite();
      this.ctx.trace?.routed(route);
      this.backend = route.backend;
      if (begin.idempotencyKey) {
        key = await TransactionKey.prepare(
          this.stores,
          cluster,
          this.access.principal,
          begin.idempotencyKey,
          begin,
          this.ctx,
        );
      }
      lease = await this.backend.acquire(this.ctx);
    } catch (err) {
      return this.finish(GatewayError.from(err));
    }
    if (this.stateValue === 'ended') {
      // The session ended (aborted) while the connection was on its way: hand it straight back.
      endLease(lease, false);
      return;
    }
    this.lease = lease;
    if (this.ctx.signal.aborted) return this.finish(GatewayError.from(this.ctx.signal.reason));
    const conn = lease.resource;
    try {
      await startTransaction(this.backend, conn, begin.isolationLevel, begin.readOnly, this.ctx);
      // Waits here while a concurrent transaction holds the key; refused when it committed.
      await key?.claim(this.backend, conn, begin, this.ctx);
      this.key = key;
    } catch (err) {
      return this.finish(GatewayError.from(err));
    }
    this.transition('open');
    const cluster = this.clusters.get(begin.cluster);
    if (begin.replay === true || this.replayByDefault(cluster.name))
      this.replayer = new TransactionReplayer(
        cluster,
        begin,
        this.runner,
        this.settings,
        this.clock,
        this.ctx.trace,
      );
    // A keyed transaction's key row is not a recorded statement: a replay claims it again on the
    // new connection, right after BEGIN (the lost transaction's row went with it).
    if (this.replayer && key) {
      const claimed = key;
      this.replayer.afterBegin = (b, c, ctx) => claimed.claim(b, c, begin, ctx);
    }
    this.lifetimeTimer = this.clock.setTimeout(() => {
      this.internal.abort(
        new GatewayError(
          Code.DEADLINE_EXCEEDED,
          'TRANSACTION_LIFETIME',
          `transaction open longer than ${this.settings.maxLifetimeMs} ms (transactions.maxLifetimeMs): rolled back`,
        ),
      );
    }, this.settings.maxLifetimeMs);
    this.output.begun(id, this.backend.name, conn.threadId);
  }

  private async statement(id: string, kind: 'query' | 'execute', input: StatementCommand): Promise<void> {
    if (this.stateValue !== 'open') return this.inBandError(id, this.notOpen());
    const backend = this.backend as Backend;
    const conn = (this.lease as Lease<DbConnection>).resource;
    let stmt: ReturnType<StatementRunner['check']>;
    try {
      this.access.request();
      stmt = this.runner.check(input.sql, input.params, 'transaction');
      if (!stmt.info.readOnly) this.access.write('a statement not proven read-only');
    } catch (err) {
      return this.inBandError(id, GatewayError.from(err));
    }
    if (stmt.info.sessionState) this.dirty = true;
    const started = process.hrtime.bigint();
    // A replayable transaction checksums what the client sees (transaction-replay.ts).
    const sum = this.replayer?.checksum();
    let sent = false;
    try {
      if (kind === 'execute') {
        const totals = await this.runner.write(backend, conn, stmt, this.ctx);
        sum?.executed(totals);
        this.replayer?.record(kind, input, sum);
        this.output.executed(id, totals, (process.hrtime.bigint() - started) / 1000n);
        return;
      }
      const out = this.output;
      const totals = await this.runner.streamRows(
        backend,
        conn,
        stmt,
        {
          columns: (columns) => {
            sent = true;
            sum?.columns(columns);
            out.columns(id, columns);
          },
          rows: (rows) => out.rows(id, rows),
          onceDrain: (cb) => out.onceDrain(cb),
        },
        input.maxRowsPerBatch,
        this.ctx,
        sum && ((values) => sum.row(values)),
      );
      sum?.done(totals);
      this.replayer?.record(kind, input, sum);
      out.done(id, totals, (process.hrtime.bigint() - started) / 1000n);
    } catch (err) {
      const e = GatewayError.from(err);
      if (this.replayer?.shouldReplay(e, this.ctx.signal.aborted, sent)) {
        // Lost before COMMIT: replay elsewhere, then run this statement again there.
        if (await this.replayAfterLoss(started, e)) return this.statement(id, kind, input);
        return;
      }
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
      if (!e.transactionRolledBack) {
        // A server error is part of the result: the replay must meet it again.
        sum?.error(e);
        this.replayer?.record(kind, input, sum);
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
    const lost = this.lease?.resource.broken ? GatewayError.from(this.lease.resource.brokenCause) : undefined;
    if (lost && this.replayer?.shouldReplay(lost, this.ctx.signal.aborted, false)) {
      // The connection died while idle and COMMIT was not sent: replay, then commit there.
      if (!(await this.replayAfterLoss(process.hrtime.bigint(), lost))) return;
    }
    this.transition('finishing');
    const backend = this.backend as Backend;
    const conn = (this.lease as Lease<DbConnection>).resource;
    const key = this.key;
    let done: CommitOutcome;
    try {
      await key?.beforeCommit(conn, this.ctx);
      done = await commitOn(backend, conn, this.ctx);
    } catch (err) {
      const e = GatewayError.from(err);
      this.inBandError(id, withRollback(e));
      return this.finish(e);
    }
    let token: string;
    if (!done.lost) {
      token = done.token;
      await key?.committed(conn, token, this.ctx);
    } else if (!key) {
      return this.finish(done.unknown);
    } else {
      try {
        token = await key.resolveLostCommit(backend, done.cause, this.ctx);
      } catch (err) {
        return this.finish(GatewayError.from(err));
      }
    }
    this.output.committed(id, token);
    if (this.release('committed')) this.output.end();
  }

  private async rollback(id: string): Promise<void> {
    if (this.stateValue !== 'open') return this.inBandError(id, this.notOpen());
    this.transition('finishing');
    await this.rollbackConnection();
    this.output.rolledBack(id);
    if (this.release('rolledBack')) this.output.end();
  }

  /**
   * Replaces the lost (or deadlocked) pinned connection by a new one on which the recorded
   * statements were re-run with equal results; false when the replay failed and the stream ended.
   */
  private async replayAfterLoss(startedAt: bigint, cause: GatewayError): Promise<boolean> {
    const lost = this.lease as Lease<DbConnection>;
    this.lease = undefined;
    try {
      const replay = (this.replayer as TransactionReplayer).replay(
        lost,
        cause,
        this.dirty,
        this.ctx,
        startedAt,
      );
      const { replayed, info } = await replay;
      this.lease = replayed.lease;
      this.backend = replayed.backend;
      this.output.replayed(info);
      return true;
    } catch (err) {
      // Nothing is open any more: finish only ends the stream.
      await this.finish(GatewayError.from(err));
      return false;
    }
  }

  private notOpen(): GatewayError {
    return errors.failedPrecondition(
      'TRANSACTION_NOT_OPEN',
      `the transaction is ${this.stateValue === 'finishing' ? 'ending' : 'not open'}`,
    );
  }

  /** Rolls back on the pinned connection; a connection that cannot roll back is poisoned (the server rolls back on disconnect). */
  private async rollbackConnection(): Promise<void> {
    if (this.lease && this.backend) await rollbackOn(this.backend, this.lease.resource, this.ctx.trace);
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
    for (const req of this.inbox.takeAll()) {
      this.inBandError(
        req.id,
        errors.failedPrecondition('TRANSACTION_ENDED', 'the transaction has already ended'),
      );
    }
    this.observer?.ended(this, outcome);
    this.ctx.trace?.transactionEnded(outcome);
    this.resolveFinished();
    return true;
  }

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
    void this.inbox.settled().then(finish, finish);
  }

  private inBandError(id: string, e: GatewayError): void {
    this.output.failed(id, e);
  }

  private clearTimers(): void {
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    if (this.lifetimeTimer !== undefined) this.clock.clearTimeout(this.lifetimeTimer);
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
