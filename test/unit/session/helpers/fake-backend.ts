/**
 * A fake {@link Backend} whose `acquire`, `run` and `abortStatement` are scripted and recorded.
 * `run` keeps Backend.run's contract: it refuses an already aborted signal, an abort of the
 * caller's signal mid-statement goes through `abortStatement` (which poisons the connection and
 * fails the statement at once), and a fatal driver error breaks the connection.
 */
import type {
  Backend,
  BackendRole,
  BoundStatement,
  StatementContext,
} from '../../../../src/backend/backend.js';
import type { DbConnection, RowSink, StatementOutcome } from '../../../../src/backend/connection.js';
import { errors, GatewayError } from '../../../../src/errors.js';
import type { Lease } from '../../../../src/pool/lease.js';
import type { ResultShape, WireColumn, WireValue } from '../../../../src/sql/values.js';
import { FakeConnection } from './fake-connection.js';

/** How a lease ended. */
export type LeaseEnd =
  | { readonly kind: 'release'; readonly reset: boolean }
  | { readonly kind: 'destroy'; readonly reason: unknown };

/** A lease that records every end and, like the pool's, throws when ended twice. */
export class FakeLease implements Lease<DbConnection> {
  readonly acquiredAt = 0;
  readonly ends: LeaseEnd[] = [];

  constructor(readonly conn: FakeConnection) {}

  get resource(): DbConnection {
    return this.conn.db;
  }

  release(opts?: { readonly reset?: boolean }): void {
    this.end({ kind: 'release', reset: opts?.reset === true });
  }

  destroy(reason?: unknown): void {
    this.end({ kind: 'destroy', reason });
  }

  private end(how: LeaseEnd): void {
    this.ends.push(how);
    if (this.ends.length > 1) {
      throw errors.failedPrecondition('LEASE_ALREADY_RELEASED', 'lease was already released or destroyed');
    }
  }
}

/** One `run` call as the backend saw it. */
export interface RunCall {
  readonly conn: FakeConnection;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly sink: RowSink | undefined;
  readonly ctx: StatementContext;
}

/** What a statement does: resolve with an outcome (undefined = an empty OK), or throw. */
export type RunScript = (
  call: RunCall,
) => Promise<StatementOutcome | undefined> | StatementOutcome | undefined;

/** An OK packet outcome. */
export function ok(header?: Record<string, unknown>): StatementOutcome {
  return { rowCount: 0, header: header as never, protocol: 'binary' };
}

/** A result shape whose columns are named `names` and whose rows decode as they are. */
export function fakeShape(names: readonly string[]): ResultShape {
  const columns = names.map((name) => ({ name }) as WireColumn);
  // Cells are wire values already: each column's decoder hands its cell on.
  const plan = {
    kinds: new Uint8Array(names.length),
    decoders: names.map(() => (cell: unknown) => cell as WireValue),
  };
  return { columns, decode: (row: unknown) => row as WireValue[], plan };
}

/** A script streaming `rows` under columns `names`. */
export function rowsResult(names: readonly string[], rows: readonly unknown[][]): RunScript {
  return ({ sink }) => {
    sink?.fields([], 'binary', fakeShape(names));
    for (const row of rows) sink?.row([...row]);
    return { rowCount: rows.length, header: undefined, protocol: 'binary' };
  };
}

function matches(match: string | RegExp, sql: string): boolean {
  return typeof match === 'string' ? match === sql : match.test(sql);
}

/** A statement that never answers (until the connection is aborted or lost). */
export const hang: RunScript = () => new Promise<undefined>(() => {});

export class FakeBackend {
  inFlight = 0;
  readonly weight = 1;
  readonly cluster = 'default';
  /** Every run call, in order. */
  readonly runs: RunCall[] = [];
  /** Every lease handed out, in order. */
  readonly leases: FakeLease[] = [];
  /** Every abortStatement call. */
  readonly aborted: { conn: FakeConnection; reason: GatewayError }[] = [];
  /** abortStatement poisons the connection without failing the statement in flight. */
  killOnly = false;
  /** acquire calls, including failed ones. */
  acquires = 0;
  /** Runs before each acquire hands out a lease; throw to fail the acquire. */
  onAcquire: ((ctx: StatementContext) => Promise<void> | void) | undefined;
  readonly #scripts: { match: string | RegExp; script: RunScript; once: boolean }[] = [];
  readonly #runWaiters: { match: string | RegExp; resolve: (call: RunCall) => void }[] = [];
  #nextThreadId: number;

  constructor(
    readonly name: string,
    readonly role: BackendRole = 'primary',
    firstThreadId = 100,
  ) {
    this.#nextThreadId = firstThreadId;
  }

  /** Scripts every statement matching `match` (exact text or RegExp); later scripts win. */
  on(match: string | RegExp, script: RunScript): this {
    this.#scripts.unshift({ match, script, once: false });
    return this;
  }

  /** Scripts the next statement matching `match` only. */
  once(match: string | RegExp, script: RunScript): this {
    this.#scripts.unshift({ match, script, once: true });
    return this;
  }

  /** Resolves with the first run (past or future) of a statement matching `match`. */
  started(match: string | RegExp): Promise<RunCall> {
    const seen = this.runs.find((r) => matches(match, r.sql));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#runWaiters.push({ match, resolve }));
  }

  /** SQL of every run, in order. */
  get sqls(): string[] {
    return this.runs.map((r) => r.sql);
  }

  /** This fake where the session expects a real backend. */
  get backend(): Backend {
    return this as unknown as Backend;
  }

  async acquire(ctx: StatementContext): Promise<Lease<DbConnection>> {
    this.acquires++;
    if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
    await this.onAcquire?.(ctx);
    const lease = new FakeLease(new FakeConnection(this.#nextThreadId++));
    this.leases.push(lease);
    return lease;
  }

  run(
    conn: DbConnection,
    stmt: BoundStatement,
    sink: RowSink | undefined,
    ctx: StatementContext,
  ): Promise<StatementOutcome> {
    const fake = conn as unknown as FakeConnection;
    // Recorded even when refused below: a test sees every statement the session tried to send.
    const call: RunCall = { conn: fake, sql: stmt.sql, params: stmt.params, sink, ctx };
    this.runs.push(call);
    if (ctx.signal.aborted) return Promise.reject(GatewayError.from(ctx.signal.reason));
    if (fake.broken) return Promise.reject(errors.unavailable('CONNECTION_KILLED', 'connection is broken'));
    const i = this.#scripts.findIndex((s) => matches(s.match, stmt.sql));
    const entry = i >= 0 ? this.#scripts[i] : undefined;
    if (entry?.once) this.#scripts.splice(i, 1);
    const outcome = new Promise<StatementOutcome>((resolve, reject) => {
      let settled = false;
      const signal = ctx.signal;
      const onAbort = () => this.abortStatement(conn, GatewayError.from(signal.reason));
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fake.failInflight = undefined;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      fake.failInflight = (err) => settle(() => reject(GatewayError.from(err)));
      signal.addEventListener('abort', onAbort, { once: true });
      let result: Promise<StatementOutcome | undefined>;
      try {
        // Synchronously, as mysql2 parses a socket read: rows reach the sink before run returns.
        result = Promise.resolve(entry?.script(call));
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (out) => settle(() => resolve(out ?? ok())),
        (err: unknown) =>
          settle(() => {
            if ((err as { fatal?: boolean }).fatal) fake.lose(err as Error);
            reject(GatewayError.from(err));
          }),
      );
    });
    for (let w = this.#runWaiters.length - 1; w >= 0; w--) {
      const waiter = this.#runWaiters[w];
      if (waiter && matches(waiter.match, stmt.sql)) {
        this.#runWaiters.splice(w, 1);
        waiter.resolve(call);
      }
    }
    return outcome;
  }

  /**
   * Like Backend.abortStatement: poisons the connection and fails the statement in flight with
   * `reason` at once; with {@link killOnly} it only poisons (the statement then ends however its
   * script says, as a KILL QUERY alone would make it).
   */
  abortStatement(conn: DbConnection, reason: GatewayError): void {
    const fake = conn as unknown as FakeConnection;
    this.aborted.push({ conn: fake, reason });
    if (this.killOnly) fake.poison(reason);
    else fake.abort(reason);
  }
}
