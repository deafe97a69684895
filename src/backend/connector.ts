/**
 * Opens connections to one backend, retrying with exponential backoff and full jitter.
 *
 * Only connection establishment is retried here: nothing has been sent to the server yet, so a
 * retry can never run a statement twice (the original design's retry wrapper re-ran whole
 * operations, writes included; we do not).
 */
import { readFileSync } from 'node:fs';
import mysql, { type ConnectionOptions } from 'mysql2';
import { Code, GatewayError } from '../errors.js';
import { isMariaDbConnection } from '../internals.js';
import { DRIVER_CONNECTION_OPTIONS } from '../sql/values.js';
import { DbConnection, type DriverConnection } from './connection.js';

/** Everything needed to open connections to one server. Mapped from the config by the composition root. */
export interface ConnectorSettings {
  /** Display name, "host:port" unless configured. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Returns the password; never stored in a printable field. */
  readonly password: () => string;
  readonly database: string;
  /** TCP connect + handshake timeout, in ms (mysql2 `connectTimeout`). */
  readonly connectTimeoutMs: number;
  /** Server waits this long for the gateway to send (session `net_read_timeout`), in ms. */
  readonly readTimeoutMs: number;
  /** Server waits this long for the gateway to read, e.g. while a slow client holds a stream back (session `net_write_timeout`), in ms. */
  readonly writeTimeoutMs: number;
  /** TCP keep-alive and its initial delay in ms. */
  readonly keepAlive: boolean;
  readonly keepAliveIntervalMs: number;
  readonly tls: {
    readonly enabled: boolean;
    readonly verify: boolean;
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
    readonly servername: string;
  };
  /** Connection character set and collation (`SET NAMES`). */
  readonly charset: string;
  readonly collation: string;
  /** Session `sql_mode`. */
  readonly sqlMode: string;
  /** Retry policy for opening connections. */
  readonly reconnect: {
    readonly attempts: number;
    readonly initialDelayMs: number;
    readonly maxDelayMs: number;
  };
  /** Prepared statements cached per connection (each holds server memory; the server-wide cap is `max_prepared_stmt_count`). */
  readonly maxPreparedStatements: number;
}

/**
 * A connection that is connecting: mysql2's `createConnection` result, which emits `connect` once
 * the handshake is done or `error` if it fails.
 */
export interface ConnectingDriverConnection extends DriverConnection {
  once(event: 'connect' | 'error', listener: (arg: unknown) => void): unknown;
  removeListener(event: 'error', listener: (err: unknown) => void): unknown;
}

/** Clock, randomness and the driver, injectable for tests. */
export interface ConnectorDeps {
  /** Starts a driver connection. @default mysql2's `createConnection` */
  readonly createConnection?: (options: ConnectionOptions) => ConnectingDriverConnection;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called for each failed attempt (metrics/logs/spans). */
  readonly onAttemptFailed?: (attempt: number, err: GatewayError, delayMs: number) => void;
}

/** The delay before retry `attempt` (1-based): full jitter over an exponential ceiling. */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** The statement that puts a fresh (or reset) connection into the gateway's session state. */
export function sessionInitSql(s: ConnectorSettings): string {
  const q = (v: string) => `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;
  const parts = [
    `NAMES ${s.charset.replace(/[^A-Za-z0-9_]/g, '')} COLLATE ${s.collation.replace(/[^A-Za-z0-9_]/g, '')}`,
    `sql_mode = ${q(s.sqlMode)}`,
    `time_zone = '+00:00'`,
    `net_read_timeout = ${Math.max(1, Math.ceil(s.readTimeoutMs / 1000))}`,
    `net_write_timeout = ${Math.max(1, Math.ceil(s.writeTimeoutMs / 1000))}`,
  ];
  return `SET ${parts.join(', ')}`;
}

function abortError(signal: AbortSignal): GatewayError {
  return GatewayError.from(signal.reason ?? new Error('aborted'));
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Opens {@link DbConnection}s to one backend. */
export class Connector {
  private readonly initSql: string;
  private readonly ssl: Record<string, unknown> | undefined;

  constructor(
    private readonly settings: ConnectorSettings,
    private readonly deps: ConnectorDeps = {},
  ) {
    this.initSql = sessionInitSql(settings);
    const { tls } = settings;
    this.ssl = tls.enabled
      ? {
          rejectUnauthorized: tls.verify,
          ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
          ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
          ...(tls.key ? { key: readFileSync(tls.key) } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        }
      : undefined;
  }

  /**
   * Opens a connection, retrying failed attempts with backoff. Rejects with UNAVAILABLE carrying
   * the last error when attempts run out, or with the abort reason.
   */
  async open(signal: AbortSignal): Promise<DbConnection> {
    const { attempts, initialDelayMs, maxDelayMs } = this.settings.reconnect;
    const random = this.deps.random ?? Math.random;
    const sleep = this.deps.sleep ?? defaultSleep;
    let last: GatewayError | undefined;
    for (let attempt = 1; attempt <= Math.max(1, attempts); attempt++) {
      if (signal.aborted) throw abortError(signal);
      try {
        return await this.openOnce();
      } catch (err) {
        last = GatewayError.from(err);
        // Wrong credentials or an unknown database will not heal by retrying.
        if (last.code === Code.PERMISSION_DENIED || last.code === Code.NOT_FOUND) throw last;
        if (attempt >= attempts) break;
        const delay = backoffDelayMs(attempt, initialDelayMs, maxDelayMs, random);
        this.deps.onAttemptFailed?.(attempt, last, delay);
        await sleep(delay, signal);
      }
    }
    throw new GatewayError(
      Code.UNAVAILABLE,
      'BACKEND_UNAVAILABLE',
      `cannot connect to ${this.settings.name}: ${last?.message ?? 'unknown error'}`,
      {
        cause: last,
      },
    );
  }

  /** One connection attempt, session settings applied. */
  openOnce(): Promise<DbConnection> {
    const s = this.settings;
    const createConnection = this.deps.createConnection ?? mysql.createConnection;
    return new Promise<DbConnection>((resolve, reject) => {
      const conn = createConnection({
        host: s.host,
        port: s.port,
        user: s.user,
        password: s.password(),
        database: s.database || undefined,
        connectTimeout: s.connectTimeoutMs,
        enableKeepAlive: s.keepAlive,
        keepAliveInitialDelay: s.keepAliveIntervalMs,
        ssl: this.ssl as never,
        ...DRIVER_CONNECTION_OPTIONS,
        charset: s.collation.toUpperCase(),
        maxPreparedStatements: s.maxPreparedStatements,
        // Never let the server ask the gateway for one of its own files.
        flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
      });
      const onError = (err: unknown) => {
        conn.destroy();
        reject(GatewayError.from(err));
      };
      conn.once('error', onError);
      conn.once('connect', () => {
        conn.removeListener('error', onError);
        // Session tracking puts the GTID of each write in its OK packet: the consistency token.
        const isMariaDb = isMariaDbConnection(conn);
        const initSql = `${this.initSql}, ${isMariaDb ? "session_track_system_variables = 'last_gtid'" : "session_track_gtids = 'OWN_GTID'"}`;
        const db = new DbConnection(conn, initSql, (this.deps.now ?? Date.now)());
        db.exec(initSql).then(
          () => resolve(db),
          (err: unknown) => {
            db.destroy();
            reject(err);
          },
        );
      });
    });
  }
}
