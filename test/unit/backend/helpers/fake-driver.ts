/**
 * A fake of the mysql2 core connection as src/backend uses it ({@link ConnectingDriverConnection}):
 * statements are event emitters the test drives (fields, rows, OK, errors), callback commands
 * (query with a callback, ping, reset, COM_QUIT) answer on the next tick or are held, and every
 * call is logged in order. Behaves as mysql2 does where the gateway depends on it: a fatal socket
 * error is emitted on the connection, never on the event-style command in flight.
 */

import { EventEmitter } from 'node:events';
import type { ConnectionOptions, FieldPacket } from 'mysql2';
import type { DbConnection } from '../../../../src/backend/connection.js';
import type { ConnectorSettings, ConnectingDriverConnection } from '../../../../src/backend/connector.js';
import { deferred, type Deferred } from '../../pool/helpers/fake-hooks.js';

export { deferred } from '../../pool/helpers/fake-hooks.js';

/** MYSQL_TYPE_VAR_STRING, utf8mb4: a column needing no special decoding. */
const VAR_STRING = 253;

/** Column definitions as mysql2 gives them, for `names`. */
export function fieldPackets(names: readonly string[]): FieldPacket[] {
  return names.map(
    (name) =>
      ({
        name,
        columnType: VAR_STRING,
        type: VAR_STRING,
        characterSet: 45,
        flags: 0,
      }) as unknown as FieldPacket,
  );
}

/** A MySQL server error (ERR packet) as mysql2 reports it. */
export function serverError(errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { errno, sqlState });
}

/** A fatal driver/socket error as mysql2 reports it (e.g. `ECONNRESET`). */
export function socketError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code, fatal: true });
}

/** One event-style statement (`execute` or `query(options)`), driven by the test. */
export class FakeCommand extends EventEmitter {
  /** mysql2 reads per-command options (e.g. `typeCast`) from here. */
  readonly options: Record<string, unknown> = {};

  constructor(
    readonly kind: 'execute' | 'query',
    readonly sql: string,
    readonly values: unknown,
  ) {
    super();
  }

  /** Column definitions, then `rows`, then the end of the result. */
  resultSet(names: readonly string[], rows: readonly unknown[][]): void {
    this.emit('fields', fieldPackets(names));
    for (const row of rows) this.emit('result', [...row]);
    this.emit('end');
  }

  /** An OK packet (a statement without a result set). */
  ok(header: Record<string, unknown> = { affectedRows: 1, insertId: 0 }): void {
    this.emit('result', header);
    this.emit('end');
  }

  /** An ERR packet: mysql2 emits `error`, then `end`. */
  fail(err: Error): void {
    this.emit('error', err);
    this.emit('end');
  }
}

/** What a callback command does: succeed, fail, or wait until the test settles it. */
export type SimpleAnswer = 'ok' | Error | 'hold';

/** A callback command held by the test. */
export interface HeldCall {
  readonly what: string;
  resolve(): void;
  reject(err: unknown): void;
}

export class FakeDriverConnection extends EventEmitter implements ConnectingDriverConnection {
  /** Every call, in order: `execute:SQL`, `query:SQL`, `ping`, `reset`, `pause`, `resume`, `end`, `destroy`. */
  readonly calls: string[] = [];
  /** Event-style statements, in order. */
  readonly commands: FakeCommand[] = [];
  /** Callback commands held (answer `'hold'`). */
  readonly held: HeldCall[] = [];
  /** Answers of callback commands, by `what` (the SQL, `ping`, `reset`, `end`); default `'ok'`. */
  readonly answers = new Map<string, SimpleAnswer>();
  /** The socket (mysql2's `Connection#stream`). */
  readonly stream = { destroyed: false, destroy: () => this.destroySocket() };
  /** mysql2's handshake flag (src/internals.ts reads it). */
  _isMariaDB: boolean;
  /** Reading from the socket is paused. */
  paused = false;
  /** Resolves when the socket is destroyed. */
  readonly socketDestroyed: Deferred<void> = deferred<void>();

  constructor(
    readonly threadId: number,
    readonly options: ConnectionOptions,
    isMariaDb: boolean,
  ) {
    super();
    this._isMariaDB = isMariaDb;
  }

  /** The statement issued last. */
  get lastCommand(): FakeCommand {
    const cmd = this.commands.at(-1);
    if (!cmd) throw new Error(`fake connection ${this.threadId}: no statement issued`);
    return cmd;
  }

  execute(sql: string, values: never): FakeCommand {
    return this.command('execute', sql, values);
  }

  query(options: never): FakeCommand;
  query(sql: string, cb: (err: unknown) => void): unknown;
  query(arg: unknown, cb?: (err: unknown) => void): unknown {
    if (typeof arg === 'string') {
      this.simple(arg, `query:${arg}`, cb!);
      return undefined;
    }
    const opts = arg as { sql: string; values?: unknown };
    return this.command('query', opts.sql, opts.values);
  }

  ping(cb: (err: unknown) => void): void {
    this.simple('ping', 'ping', cb);
  }

  /** mysql2's untyped COM_RESET_CONNECTION. */
  reset(cb: (err: unknown) => void): void {
    this.simple('reset', 'reset', cb);
  }

  pause(): void {
    this.calls.push('pause');
    this.paused = true;
  }

  resume(): void {
    this.calls.push('resume');
    this.paused = false;
  }

  end(cb: (err: unknown) => void): void {
    this.simple('end', 'end', cb);
  }

  destroy(): void {
    this.calls.push('destroy');
  }

  /** The socket failed: mysql2 emits the fatal error on the connection. */
  failSocket(err: Error): void {
    this.emit('error', err);
  }

  private destroySocket(): void {
    this.stream.destroyed = true;
    this.socketDestroyed.resolve();
  }

  private command(kind: 'execute' | 'query', sql: string, values: unknown): FakeCommand {
    this.calls.push(`${kind}:${sql}`);
    if (this.paused)
      throw new Error('fake connection: statement issued on a paused connection (mysql2 would hang)');
    const cmd = new FakeCommand(kind, sql, values);
    this.commands.push(cmd);
    return cmd;
  }

  private simple(what: string, call: string, cb: (err: unknown) => void): void {
    this.calls.push(call);
    if (this.paused)
      throw new Error(`fake connection: ${what} issued on a paused connection (mysql2 would hang)`);
    const answer = this.answers.get(what) ?? 'ok';
    if (answer === 'hold') {
      this.held.push({ what, resolve: () => cb(null), reject: (err) => cb(err) });
      return;
    }
    setImmediate(() => cb(answer === 'ok' ? null : answer));
  }
}

/** What the next connection attempt does: connect, or fail the handshake with an error. */
export type ConnectOutcome = 'connect' | Error;

/** A `createConnection` for {@link ConnectorDeps}: opens {@link FakeDriverConnection}s, thread ids 101, 102, ... */
export class FakeDriver {
  /** Every connection created, in order. */
  readonly connections: FakeDriverConnection[] = [];
  /** Outcomes of the next attempts, in order; then `'connect'`. */
  readonly outcomes: ConnectOutcome[] = [];
  /** Servers report MariaDB. */
  isMariaDb = true;
  /** Answers every new connection starts with (see {@link FakeDriverConnection.answers}). */
  readonly answers = new Map<string, SimpleAnswer>();

  /** The `createConnection` to inject. */
  readonly create = (options: ConnectionOptions): FakeDriverConnection => {
    const conn = new FakeDriverConnection(101 + this.connections.length, options, this.isMariaDb);
    for (const [what, answer] of this.answers) conn.answers.set(what, answer);
    this.connections.push(conn);
    const outcome = this.outcomes.shift() ?? 'connect';
    setImmediate(() => {
      if (outcome === 'connect') conn.emit('connect', {});
      else conn.emit('error', outcome);
    });
    return conn;
  };

  /** The driver connection under `db`. */
  driverOf(db: DbConnection): FakeDriverConnection {
    const conn = this.connections.find((c) => c.threadId === db.threadId);
    if (!conn) throw new Error(`no fake connection with thread id ${db.threadId}`);
    return conn;
  }
}

/** Settings of a test backend: 3 connect attempts, backoff 100 ms doubling up to 1 s. */
export const TEST_SETTINGS: ConnectorSettings = Object.freeze({
  name: 'db1:3306',
  host: '127.0.0.1',
  port: 3306,
  user: 'gateway',
  password: () => 'not-a-real-password',
  database: 'gwtest',
  connectTimeoutMs: 1000,
  readTimeoutMs: 30_000,
  writeTimeoutMs: 60_000,
  keepAlive: true,
  keepAliveIntervalMs: 10_000,
  tls: { enabled: false, verify: true, ca: '', cert: '', key: '', servername: '' },
  charset: 'utf8mb4',
  collation: 'utf8mb4_general_ci',
  sqlMode: 'STRICT_ALL_TABLES',
  reconnect: { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 },
  maxPreparedStatements: 16,
});

/** Polls `condition` on each macrotask turn until true; fails after `turns` turns (no timers involved). */
export async function until(condition: () => boolean, what: string, turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets `n` macrotask turns pass, so that anything already due (promise chains, setImmediate) runs. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
