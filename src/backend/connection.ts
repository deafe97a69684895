/**
 * One MySQL/MariaDB connection as the gateway uses it: statements streamed row by row with
 * flow control down to the socket, session reset, ping, and a clear "broken" flag.
 *
 * Wraps a mysql2 core (callback) connection. Statements run through the binary protocol
 * (server-side prepared statements, cached per connection); a statement the server cannot
 * prepare (ER_UNSUPPORTED_PS) is retried once through the text protocol, which is safe because
 * a refused prepare never ran anything.
 */
import type { FieldPacket, ResultSetHeader } from 'mysql2';
import { GatewayError } from '../errors.js';
import { destroyConnectionSocket, isMariaDbConnection, resetConnection } from '../internals.js';
import { type Clock, systemClock } from '../pool/clock.js';
import {
  binaryTypeCast,
  needsBinaryTypeCast,
  type ResultShape,
  ResultShapeCache,
  readTextAsBytes,
  TEXT_RESULT_OPTIONS,
} from '../sql/values.js';

/** Receives a result as it is read from the socket. */
export interface RowSink {
  /**
   * Column definitions, once, before the first row, with the result's compiled columns and row
   * decoder (cached per statement text on this connection; built on first use).
   */
  fields(fields: readonly FieldPacket[], protocol: 'binary' | 'text', shape: ResultShape): void;
  /** One row, as mysql2 decoded it with the sql/ module's result options for `protocol`. */
  row(row: unknown[]): void;
  /**
   * The sink encodes rows with the shape's `plan`: binary-protocol UTF-8 text cells may then
   * arrive as their bytes rather than as strings (see `readTextAsBytes`).
   */
  readonly textAsBytes?: boolean;
}

/** Outcome of a statement. */
export interface StatementOutcome {
  /** Rows passed to the sink. */
  readonly rowCount: number;
  /** OK packet of a statement that returned no rows. */
  readonly header: ResultSetHeader | undefined;
  /** Protocol the statement ran with. */
  readonly protocol: 'binary' | 'text';
}

/** Options of a single statement. */
export interface StatementOptions {
  /** Server-side bound for the statement in seconds (MariaDB `max_statement_time`); 0 = none. */
  readonly maxStatementTimeSec?: number;
  /**
   * The statement with its params written in as literals, for the text-protocol fallback when
   * the server cannot prepare it. Without it, a statement with params is not retried.
   */
  readonly textSql?: () => string;
}

/**
 * One statement as mysql2's `execute(sql, values)` / `query(options)` return it: an emitter of
 * `fields`, `result` (a row array, or the OK packet), `error` and `end`.
 */
export interface DriverCommand {
  // biome-ignore lint/suspicious/noExplicitAny: mysql2's listener signature
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * The part of a mysql2 core (callback) connection that {@link DbConnection} uses; mysql2's
 * `Connection` is one (plus the internals in src/internals.ts: `_isMariaDB`, `reset`, `stream`).
 * Narrow so that unit tests can drive a DbConnection over a fake.
 */
export interface DriverConnection {
  /** Server thread id of the connection, from the handshake. */
  readonly threadId: number | null | undefined;
  /** Fatal errors (`error`) and the server closing the connection (`end`). */
  on(event: 'error' | 'end', listener: (err?: unknown) => void): unknown;
  /** A prepared statement (binary protocol). */
  execute(sql: string, values: never): DriverCommand;
  /** A text-protocol statement, as an emitter (`options` holds `sql` and `values`) or with a callback. */
  query(options: never): DriverCommand;
  query(sql: string, cb: (err: unknown) => void): unknown;
  /** Stops / resumes reading from the socket. */
  pause(): void;
  resume(): void;
  /** COM_PING. */
  ping(cb: (err: unknown) => void): unknown;
  /** COM_QUIT, then closes the socket. */
  end(cb: (err: unknown) => void): unknown;
  /** Closes the socket without COM_QUIT. */
  destroy(): void;
}

const ER_UNSUPPORTED_PS = 1295;

function withTimeout(p: Promise<void>, ms: number, clock: Clock): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    p.then(
      () => {
        clock.clearTimeout(timer);
        resolve();
      },
      () => {
        clock.clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * A pooled connection. Not safe for concurrent statements: the pool's lease (or the
 * transaction session) serializes use.
 */
export class DbConnection {
  /** MySQL connection id (`CONNECTION_ID()`), the target of KILL QUERY. */
  readonly threadId: number;
  /** The server is MariaDB (statement bounds use `SET STATEMENT max_statement_time`). */
  readonly isMariaDb: boolean;
  /** Epoch ms when the connection was opened. */
  readonly openedAt: number;
  private brokenReason: unknown;
  private closed = false;
  private beforeClose: Promise<void> | undefined;
  /**
   * Fails the statement in flight. mysql2 reports a fatal error (server gone, connection killed)
   * on the connection, not on an event-style command, which would otherwise wait forever.
   */
  private failInflight: ((err: unknown) => void) | undefined;
  /** Reading is paused (flow control). mysql2 cannot start a command on a paused connection. */
  private paused = false;
  /** Compiled result shapes by statement text, for the statements this connection prepared. */
  private readonly shapes = new ResultShapeCache();

  /**
   * @param conn A connected mysql2 connection (or a fake of one).
   * @param initSql Re-applied after each {@link reset}.
   * @param now Epoch ms, for {@link openedAt}.
   * @param clock Timers bounding {@link close}. @default systemClock
   */
  constructor(
    private readonly conn: DriverConnection,
    private readonly initSql: string,
    now: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.threadId = conn.threadId ?? 0;
    this.isMariaDb = isMariaDbConnection(conn);
    this.openedAt = now;
    conn.on('error', (err) => {
      // Fatal errors arrive here; the pool destroys the connection when its lease ends.
      this.brokenReason ??= err;
      this.failInflight?.(err);
    });
    conn.on('end', () => {
      const err = Object.assign(new Error('connection closed by server'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      });
      this.brokenReason ??= err;
      this.failInflight?.(err);
    });
  }

  /** True once the connection failed fatally or was closed: it must be destroyed, not reused. */
  get broken(): boolean {
    return this.brokenReason !== undefined || this.closed;
  }

  /** Why the connection broke, when it did. */
  get brokenCause(): unknown {
    return this.brokenReason;
  }

  /**
   * Runs one statement, streaming rows into `sink`. Resolves when the statement is complete,
   * rejects with a {@link GatewayError}. A fatal error marks the connection broken.
   */
  run(
    sql: string,
    params: readonly unknown[],
    sink: RowSink | undefined,
    opts: StatementOptions = {},
  ): Promise<StatementOutcome> {
    const bound = (text: string) =>
      opts.maxStatementTimeSec && opts.maxStatementTimeSec > 0 && this.isMariaDb
        ? `SET STATEMENT max_statement_time=${opts.maxStatementTimeSec} FOR ${text}`
        : text;
    return this.runWith('binary', bound(sql), params, sink).catch((err: unknown) => {
      // A refused prepare ran nothing, so running the statement as text cannot run it twice.
      if ((err as GatewayError).mysqlErrno === ER_UNSUPPORTED_PS && !this.broken) {
        if (params.length === 0) return this.runWith('text', bound(sql), [], sink);
        if (opts.textSql) return this.runWith('text', bound(opts.textSql()), [], sink);
      }
      throw err;
    });
  }

  private runWith(
    protocol: 'binary' | 'text',
    sql: string,
    params: readonly unknown[],
    sink: RowSink | undefined,
  ): Promise<StatementOutcome> {
    if (this.broken) return Promise.reject(this.brokenError());
    // A statement left the connection paused (its client was slow when its last rows went out):
    // a command issued now would never start.
    if (this.paused) this.resume();
    return new Promise<StatementOutcome>((resolve, reject) => {
      const values = params.length > 0 ? params : undefined;
      // The binary protocol's result options are all on the connection (DRIVER_CONNECTION_OPTIONS):
      // mysql2's execute(sql, values) form skips the per-call option merging of execute(options),
      // which cost ~5% of the gateway's CPU per point select.
      // biome-ignore lint/suspicious/noExplicitAny: mysql2's typings do not expose the event-emitter form
      const cmd: any =
        protocol === 'binary'
          ? this.conn.execute(sql, values as never)
          : this.conn.query({ ...TEXT_RESULT_OPTIONS, sql, values } as never);
      let rowCount = 0;
      let header: ResultSetHeader | undefined;
      let failed: unknown;
      let settled = false;
      this.failInflight = (err) => {
        if (settled) return;
        settled = true;
        this.failInflight = undefined;
        reject(GatewayError.from(err));
      };
      cmd.on('fields', (fields: FieldPacket[] | undefined) => {
        if (fields === undefined) return;
        // mysql2 compiles the row parser after this event: GEOMETRY needs raw bytes.
        if (protocol === 'binary' && needsBinaryTypeCast(fields as never))
          cmd.options.typeCast = binaryTypeCast;
        sink?.fields(fields, protocol, this.shapes.shape(sql, fields, protocol));
        if (protocol === 'binary' && sink?.textAsBytes) readTextAsBytes(fields as never);
      });
      cmd.on('result', (row: unknown) => {
        if (Array.isArray(row)) {
          rowCount++;
          sink?.row(row);
        } else {
          header = row as ResultSetHeader;
        }
      });
      cmd.on('error', (err: unknown) => {
        failed = err;
        if ((err as { fatal?: boolean }).fatal) this.brokenReason ??= err;
      });
      cmd.on('end', () => {
        if (settled) return;
        settled = true;
        this.failInflight = undefined;
        if (failed !== undefined) reject(GatewayError.from(failed));
        else resolve({ rowCount, header, protocol });
      });
    });
  }

  /**
   * Marks the connection unusable (its session is in an unknown state, e.g. a statement was
   * killed mid-flight). `beforeClose` (the KILL QUERY) is awaited, at most 2 s, before the socket
   * is closed, so the server stops the statement before it notices the client is gone.
   */
  poison(reason: unknown, beforeClose?: Promise<void>): void {
    this.brokenReason ??= reason ?? new Error('connection poisoned');
    if (beforeClose) this.beforeClose = beforeClose;
  }

  /**
   * {@link poison}s the connection and fails the statement in flight (if any) at once with
   * `reason`, without waiting for the server: the caller left, or the result broke a limit.
   */
  abort(reason: unknown, beforeClose?: Promise<void>): void {
    this.poison(reason, beforeClose);
    this.failInflight?.(reason);
  }

  /** Stops reading from the socket (the server blocks once the TCP window fills). */
  pause(): void {
    this.paused = true;
    this.conn.pause();
  }

  /** Resumes reading from the socket. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.conn.resume();
  }

  /** COM_PING. */
  ping(): Promise<void> {
    return this.simple((cb) => this.conn.ping(cb));
  }

  /** Runs a statement and discards its result (validation queries, session setup). */
  exec(sql: string): Promise<void> {
    return this.simple((cb) => this.conn.query(sql, (err) => cb(err)));
  }

  /**
   * Clears all session state (COM_RESET_CONNECTION: user and session variables, temporary
   * tables, prepared statements, named locks, open transaction) and re-applies the gateway's
   * session settings.
   */
  async reset(): Promise<void> {
    await this.simple((cb) => resetConnection(this.conn, cb));
    if (this.initSql) await this.exec(this.initSql);
  }

  /** Closes gracefully (COM_QUIT), falling back to destroying the socket. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.brokenReason !== undefined) {
      if (this.beforeClose) await withTimeout(this.beforeClose, 2000, this.clock);
      this.hardClose();
      return;
    }
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.conn.destroy();
        resolve();
      }, 1000);
      this.conn.end(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.closed = true;
    this.hardClose();
  }

  /**
   * mysql2's destroy() only ends the socket gracefully; a server blocked writing to a paused
   * socket would then hold the connection (and its statement, as `Killed`) until
   * net_write_timeout. Destroying the socket itself resets it at once.
   */
  private hardClose(): void {
    this.conn.destroy();
    destroyConnectionSocket(this.conn);
  }

  private brokenError(): GatewayError {
    return GatewayError.from(
      this.brokenReason ?? Object.assign(new Error('connection closed'), { fatal: true }),
    );
  }

  private simple(start: (cb: (err: unknown) => void) => void): Promise<void> {
    if (this.broken) return Promise.reject(this.brokenError());
    if (this.paused) this.resume();
    return new Promise<void>((resolve, reject) => {
      start((err) => {
        if (err) {
          if ((err as { fatal?: boolean }).fatal) this.brokenReason ??= err;
          reject(GatewayError.from(err));
        } else resolve();
      });
    });
  }
}
