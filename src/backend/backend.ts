/**
 * One MySQL/MariaDB server as the gateway sees it: its connection pool, the connector that
 * opens connections, and a separate control connection used to KILL QUERY statements whose
 * caller has gone (cancelled, or past its deadline).
 */
import { type AbortSignalLike, CallAbort } from '../abort-signal.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import { Pool } from '../pool/pool.js';
import type { PoolEvent } from '../pool/pool-events.js';
import type { PoolOptions } from '../pool/pool-options.js';
import type { CallTrace } from '../telemetry/call-trace.js';
import type { DbConnection, RowSink, StatementOutcome } from './connection.js';

/** A statement ready to send: SQL with `?` placeholders and the driver's bind params. */
export interface BoundStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The same statement with literals instead of placeholders (text-protocol fallback). */
  readonly textSql?: () => string;
  /** From the classifier, for the statement's span; the gateway's own statements have none. */
  readonly info?: { readonly operation: string; readonly summary: string };
}
import { type ConnectorSettings, Connector, type ConnectorDeps } from './connector.js';

/** Role of a backend in its cluster. */
export type BackendRole = 'primary' | 'replica';

/** Per-call data a statement needs: when to give up and how to learn the caller left. */
export interface StatementContext {
  /** Absolute deadline, epoch ms; undefined = none. */
  readonly deadline?: number | undefined;
  /** Fires when the caller cancels or the deadline passes; its `reason` is a GatewayError. */
  readonly signal: AbortSignalLike;
  /** The call's trace: statement spans, pool waits and routing are reported to it. */
  readonly trace?: CallTrace | undefined;
}

/** Options for {@link Backend}. */
export interface BackendOptions {
  readonly settings: ConnectorSettings;
  readonly role: BackendRole;
  readonly cluster: string;
  /** Share of reads relative to the cluster's other replicas. @default 1 */
  readonly weight?: number;
  /** Pool options; `name` is filled in from the cluster and backend names. */
  readonly pool: Omit<PoolOptions, 'name'>;
  /** Query used to validate idle connections; empty = COM_PING. */
  readonly validationQuery: string;
  readonly connectorDeps?: ConnectorDeps;
  readonly onPoolEvent?: (backend: Backend, e: PoolEvent) => void;
}

/**
 * The server-side bound sent with a statement, in whole seconds, rounded UP into a few buckets
 * so that the per-connection prepared statement cache does not fill with one text per deadline.
 * The gateway's own KILL QUERY enforces the exact deadline; this is the backstop if the gateway
 * itself dies.
 */
export function statementTimeBucketSec(remainingMs: number): number {
  const s = Math.ceil(remainingMs / 1000);
  if (s <= 10) return s;
  if (s <= 60) return Math.ceil(s / 10) * 10;
  if (s <= 600) return Math.ceil(s / 60) * 60;
  return Math.ceil(s / 3600) * 3600;
}

/** Aborted when either signal is: a caller's signal and its backend going down, for a pool wait. */
class EitherSignal implements AbortSignalLike {
  constructor(
    private readonly a: AbortSignalLike,
    private readonly b: AbortSignalLike,
  ) {}

  get aborted(): boolean {
    return this.a.aborted || this.b.aborted;
  }

  get reason(): unknown {
    return this.a.aborted ? this.a.reason : this.b.reason;
  }

  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void {
    // Both may fire: the pool's listener fails its waiter once and ignores the second call.
    this.a.addEventListener(type, listener, options);
    this.b.addEventListener(type, listener, options);
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    this.a.removeEventListener(type, listener);
    this.b.removeEventListener(type, listener);
  }
}

/** A backend server with its pool. */
export class Backend {
  readonly name: string;
  readonly role: BackendRole;
  readonly cluster: string;
  readonly settings: ConnectorSettings;
  readonly pool: Pool<DbConnection>;
  /** Opens connections to this server (also used by the health monitor's probe). */
  readonly connector: Connector;
  readonly weight: number;
  /** Leases held right now: what least-outstanding-requests routing compares. */
  inFlight = 0;
  private control: Promise<DbConnection> | undefined;
  /** Aborted by {@link markDown} with the reason acquires fail; replaced by {@link markUp}. */
  private down = new CallAbort();
  /** Connections with a statement in flight, failed at once by {@link markDown}. */
  private readonly running = new Set<DbConnection>();
  private readonly pendingKills = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(opts: BackendOptions) {
    this.name = opts.settings.name;
    this.role = opts.role;
    this.cluster = opts.cluster;
    this.settings = opts.settings;
    this.weight = opts.weight ?? 1;
    this.connector = new Connector(opts.settings, opts.connectorDeps);
    const validationQuery = opts.validationQuery;
    this.pool = new Pool<DbConnection>(
      {
        create: (signal) => this.connector.open(signal),
        destroy: (c) => c.close(),
        validate: async (c) => {
          if (c.broken) return false;
          if (validationQuery) await c.exec(validationQuery);
          else await c.ping();
          return true;
        },
        reset: (c) => c.reset(),
      },
      { ...opts.pool, name: `${opts.cluster}/${opts.role} ${this.name}` },
      opts.onPoolEvent ? { onEvent: (e) => opts.onPoolEvent?.(this, e) } : {},
    );
  }

  /** Starts warming the pool to its minimum. */
  start(): void {
    this.pool.start();
  }

  /**
   * Leases a connection, bounded by the pool's acquire timeout and the call's deadline. A pooled
   * connection that broke while idle (server restarted, connection killed) is destroyed and
   * another one taken, so callers do not see errors from connections that were already dead.
   */
  async acquire(ctx: StatementContext): Promise<Lease<DbConnection>> {
    this.inFlight++;
    let counted = true;
    const done = () => {
      if (counted) this.inFlight--;
      counted = false;
    };
    const started = performance.now();
    const down = this.down;
    try {
      if (down.aborted) throw down.reason;
      for (;;) {
        const lease = await this.pool.acquire({
          deadline: ctx.deadline,
          signal: new EitherSignal(ctx.signal, down),
        });
        if (lease.resource.broken) {
          lease.destroy(lease.resource.brokenCause);
          continue;
        }
        ctx.trace?.poolAcquired(this.pool.options.name, performance.now() - started);
        return {
          resource: lease.resource,
          acquiredAt: lease.acquiredAt,
          release: (opts) => {
            lease.release(opts);
            done();
          },
          destroy: (reason) => {
            lease.destroy(reason);
            done();
          },
        };
      }
    } catch (err) {
      done();
      // The pool reports an abort as CANCELLED: when the backend went down, say that instead.
      if (down.aborted && !ctx.signal.aborted) throw down.reason;
      throw err;
    }
  }

  /**
   * Runs one statement on a leased connection. When the caller cancels or its deadline passes
   * mid-statement, the statement is killed on the server (KILL QUERY over the control
   * connection), the call fails at once with the abort reason, and the connection is poisoned
   * so that its lease holder destroys it (it is never handed to another caller in an unknown
   * state).
   */
  async run(
    conn: DbConnection,
    stmt: BoundStatement,
    sink: RowSink | undefined,
    ctx: StatementContext,
  ): Promise<StatementOutcome> {
    if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
    if (this.down.aborted) {
      // A connection held across the fall (a transaction's): its server does not answer.
      conn.poison(this.down.reason);
      throw this.down.reason;
    }
    let maxStatementTimeSec = 0;
    if (ctx.deadline !== undefined) {
      const remaining = ctx.deadline - Date.now();
      if (remaining <= 0)
        throw errors.deadlineExceeded('DEADLINE_EXCEEDED', 'deadline exceeded before the statement was sent');
      maxStatementTimeSec = statementTimeBucketSec(remaining);
    }
    // One listener on the caller's signal, no per-statement promise or signal: an abort fails the
    // connection's in-flight statement directly.
    const signal = ctx.signal;
    const onAbort = () => this.abortStatement(conn, GatewayError.from(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    const span = ctx.trace?.statement(this, conn, stmt);
    this.running.add(conn);
    try {
      const textSql = stmt.textSql;
      const outcome = await conn.run(span ? span.sql(stmt.sql) : stmt.sql, stmt.params, sink, {
        maxStatementTimeSec,
        ...(textSql ? { textSql: span ? span.lazySql(textSql) : textSql } : {}),
      });
      span?.end(outcome.rowCount);
      return outcome;
    } catch (err) {
      span?.fail(GatewayError.from(err));
      throw err;
    } finally {
      this.running.delete(conn);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Statements in flight right now. */
  get statementsInFlight(): number {
    return this.running.size;
  }

  /** True while the health monitor has this backend down ({@link markDown} .. {@link markUp}). */
  get markedDown(): boolean {
    return this.down.aborted;
  }

  /**
   * The health monitor marked this backend down (it stopped answering, e.g. a hung host), so
   * nothing waits for it until a deadline:
   * - every statement in flight fails at once with UNAVAILABLE `BACKEND_UNAVAILABLE`, stating
   *   that it may have reached MySQL (`mayHaveExecuted`), and its connection is poisoned so that
   *   its lease holder destroys it. No KILL QUERY: a server that does not answer would not run
   *   it either. A read that has sent nothing yet is retried elsewhere (a connection failure);
   * - callers waiting for one of its connections, those that ask for one, and statements sent
   *   on a connection already held (a transaction's) fail at once with UNAVAILABLE
   *   `BACKEND_UNAVAILABLE` (nothing was sent; the held connection is poisoned), until
   *   {@link markUp}.
   * Returns how many statements were failed. Idempotent while down.
   */
  markDown(why: string): number {
    if (!this.down.aborted) {
      this.down.abort(
        errors.unavailable(
          'BACKEND_UNAVAILABLE',
          `backend "${this.name}" is marked down (${why}): nothing was sent to it`,
        ),
      );
    }
    const conns = [...this.running];
    if (conns.length === 0) return 0;
    const reason = new GatewayError(
      Code.UNAVAILABLE,
      'BACKEND_UNAVAILABLE',
      `backend "${this.name}" was marked down while the statement was in flight (${why}): ` +
        'the statement may have reached MySQL, so its outcome is unknown',
      { mayHaveExecuted: true },
    );
    for (const conn of conns) conn.abort(reason);
    return conns.length;
  }

  /** The health monitor brought this backend back: connections may be asked for again. */
  markUp(): void {
    if (this.down.aborted) this.down = new CallAbort();
  }

  /**
   * Stops the statement running on `conn` with `reason`: KILL QUERY on the server, the statement's
   * `run` rejects at once with `reason`, and the connection is poisoned so that its lease holder
   * destroys it. Used when the caller leaves and when a result breaks a limit.
   */
  abortStatement(conn: DbConnection, reason: GatewayError): void {
    conn.abort(reason, this.killQuery(conn.threadId));
  }

  /** Kills the statement running on connection `threadId` (not the connection itself). Never rejects. */
  killQuery(threadId: number): Promise<void> {
    const p = (async () => {
      try {
        const control = await this.controlConnection();
        await control.exec(`KILL QUERY ${Math.trunc(threadId)}`);
      } catch {
        // The backend may be down, or the statement already gone (unknown thread id); the poisoned
        // connection is destroyed anyway. The control connection is kept for close() to close: a
        // broken one is replaced (and closed) by the next kill, a failed open clears itself.
      }
    })();
    this.pendingKills.add(p);
    void p.finally(() => this.pendingKills.delete(p));
    return p;
  }

  private controlConnection(): Promise<DbConnection> {
    const current = this.control;
    if (current) {
      return current.then((c) => {
        if (!c.broken) return c;
        if (this.control === current) this.control = undefined;
        void c.close();
        return this.controlConnection();
      });
    }
    const opened = this.connector.openOnce();
    this.control = opened;
    opened.catch(() => {
      if (this.control === opened) this.control = undefined;
    });
    return opened;
  }

  /** Closes the pool (after leases are returned) and the control connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.pendingKills]);
      await this.pool.close();
      const control = this.control;
      this.control = undefined;
      if (control) await control.then((c) => c.close()).catch(() => {});
    })();
    return this.closing;
  }
}
