/**
 * Hedged reads: a read-only Query that has had no answer from its backend within the hedge delay
 * (src/routing/hedge-policy.ts) is sent to another backend the router would choose for it; the
 * first answer (result metadata, which precedes every row, or an error that is not a connection
 * failure) wins, and the other attempt is aborted through the cancel path every call has (KILL
 * QUERY on its server, its connection destroyed once the kill went through).
 *
 * Cost of a read on a cluster with hedging on: one timer (cleared at the first answer), a signal
 * and a sink wrapper per attempt, one DDSketch sample. With hedging off this file is not entered.
 */
import { CallAbort } from '../abort-signal.js';
import type { StatementContext } from '../backend/backend.js';
import { errors, GatewayError } from '../errors.js';
import type { Cluster, ReadRequest, Route } from '../routing/cluster.js';
import type { HedgePolicy } from '../routing/hedge-policy.js';
import type { QueryTotals, ResultColumn, ResultSink } from './commands.js';
import { isConnectionFailure } from './statement-runner.js';

/** Runs the read on `route` with `ctx`, streaming into `sink` (single-statement.ts `queryOn`). */
export type ReadAttempt = (route: Route, ctx: StatementContext, sink: ResultSink) => Promise<QueryTotals>;

/** One of the (at most two) attempts of a hedged read. */
interface Attempt {
  readonly route: Route;
  readonly startedAt: number;
  /** Aborted when the caller's signal is, and when the other attempt wins. */
  readonly abort: CallAbort;
  readonly sink: ResultSink;
  done: boolean;
}

/**
 * Runs `attempt` on `route`, hedged per `policy`: resolves or rejects with the winning attempt's
 * outcome. A connection failure of one attempt while the other still runs is reported to the
 * health monitor and left to the other; when every attempt failed so, the last failure is thrown
 * (the caller's retry rule applies to it as to any read).
 */
export function hedgedRead(
  policy: HedgePolicy,
  cluster: Cluster,
  read: ReadRequest,
  route: Route,
  attempt: ReadAttempt,
  ctx: StatementContext,
  sink: ResultSink,
): Promise<QueryTotals> {
  policy.earn();
  return new Promise<QueryTotals>((resolve, reject) => {
    new HedgedRead(policy, cluster, read, attempt, ctx, sink, resolve, reject).start(route);
  });
}

class HedgedRead {
  private readonly attempts: Attempt[] = [];
  private winner: Attempt | undefined;
  private timer: unknown;
  private delayMs = 0;

  constructor(
    private readonly policy: HedgePolicy,
    private readonly cluster: Cluster,
    private readonly read: ReadRequest,
    private readonly attempt: ReadAttempt,
    private readonly ctx: StatementContext,
    private readonly sink: ResultSink,
    private readonly resolve: (totals: QueryTotals) => void,
    private readonly reject: (err: GatewayError) => void,
  ) {}

  start(route: Route): void {
    this.delayMs = this.policy.delayMs(route.backend.name);
    this.timer = this.policy.clock.setTimeout(() => this.onDelay(), this.delayMs);
    this.launch(route);
  }

  private launch(route: Route): void {
    const parent = this.ctx.signal;
    const abort = new CallAbort();
    const a: Attempt = {
      route,
      startedAt: this.policy.clock.now(),
      abort,
      done: false,
      sink: {
        columns: (columns: readonly ResultColumn[]) => {
          if (this.claim(a, true)) this.sink.columns(columns);
        },
        // A loser's rows (none reach here once it is aborted) are dropped and never pause it.
        rows: (rows) => (this.winner === a ? this.sink.rows(rows) : true),
        onceDrain: (cb) => (this.winner === a ? this.sink.onceDrain(cb) : cb()),
      },
    };
    this.attempts.push(a);
    const onParentAbort = () => abort.abort(parent.reason);
    if (parent.aborted) abort.abort(parent.reason);
    else parent.addEventListener('abort', onParentAbort, { once: true });
    const attemptCtx: StatementContext = {
      deadline: this.ctx.deadline,
      trace: this.ctx.trace,
      signal: abort,
    };
    this.attempt(route, attemptCtx, a.sink).then(
      (totals) => {
        parent.removeEventListener('abort', onParentAbort);
        a.done = true;
        // A statement always sends metadata before it completes (ResultBatcher.finish).
        if (this.claim(a, true)) this.resolve(totals);
      },
      (err: unknown) => {
        parent.removeEventListener('abort', onParentAbort);
        a.done = true;
        this.failed(a, GatewayError.from(err));
      },
    );
  }

  /**
   * `a` answered: it wins unless the other did first. The timer is cleared, the other attempt
   * aborted, and a successful answer's time recorded as the backend's latency.
   */
  private claim(a: Attempt, ok: boolean): boolean {
    if (this.winner !== undefined) return this.winner === a;
    this.winner = a;
    this.clearTimer();
    if (ok) this.policy.record(a.route.backend.name, this.policy.clock.now() - a.startedAt);
    if (this.attempts.length > 1) {
      const hedge = this.attempts[1] as Attempt;
      // The caller leaving ends both attempts: no attempt won.
      if (!this.ctx.signal.aborted) this.ctx.trace?.hedge(a === hedge ? 'won' : 'lost', a.route.backend);
      const loser = a === hedge ? (this.attempts[0] as Attempt) : hedge;
      if (!loser.done) {
        loser.abort.abort(
          errors.cancelled(
            'HEDGE_LOST',
            `another backend answered this read first; the statement on "${loser.route.backend.name}" was cancelled`,
          ),
        );
      }
    }
    return true;
  }

  private failed(a: Attempt, e: GatewayError): void {
    if (this.winner !== undefined) {
      // The winner failed after its metadata (mid-stream); a loser's failure is its abort.
      if (this.winner === a) this.reject(e);
      return;
    }
    const othersRunning = this.attempts.some((o) => o !== a && !o.done);
    if (isConnectionFailure(e) && othersRunning) {
      // Not an answer: the other attempt may still give one.
      this.cluster.reportConnectionError(a.route.backend, e);
      return;
    }
    if (isConnectionFailure(e) && this.attempts.length > 1) {
      // Both attempts lost their connection: no winner; the caller's retry rule decides.
      this.winner = a;
      this.clearTimer();
      this.reject(e);
      return;
    }
    // An error the server answered (a syntax error, an unknown table ...), the caller leaving, or
    // the only attempt's connection failure: that is the answer.
    this.claim(a, false);
    this.reject(e);
  }

  private onDelay(): void {
    this.timer = undefined;
    const first = this.attempts[0] as Attempt;
    if (this.winner !== undefined || this.ctx.signal.aborted || first.done) return;
    let route: Route | undefined;
    try {
      route = this.cluster.routeRead(this.read, first.route.backend);
    } catch {
      route = undefined;
    }
    if (route === undefined || route.backend === first.route.backend) {
      this.ctx.trace?.hedge('skipped_no_backend', first.route.backend);
      return;
    }
    if (!this.policy.trySpend()) {
      this.ctx.trace?.hedge('skipped_budget', first.route.backend);
      return;
    }
    this.ctx.trace?.hedge('sent', route.backend);
    this.ctx.trace?.routed({
      backend: route.backend,
      reason: `hedge: ${first.route.backend.name} had not answered within ${this.delayMs} ms`,
    });
    this.launch(route);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.policy.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
