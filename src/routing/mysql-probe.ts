/**
 * The health monitor's real probe: checks over a dedicated connection of one backend
 * (read_only, replication status, user queries), bounded by the check timeout.
 */
import type { DbConnection, RowSink } from '../backend/connection.js';
import { errors, GatewayError } from '../errors.js';
import { type Clock, systemClock } from '../pool/clock.js';
import {
  describeError,
  type HealthProbe,
  type ProbeCheckOptions,
  type ProbeResult,
  type ReplicationStatus,
} from './health-state.js';

/** The part of a {@link DbConnection} the probe uses. */
export type ProbeConnection = Pick<
  DbConnection,
  'run' | 'exec' | 'close' | 'destroy' | 'broken' | 'isMariaDb'
>;

/** Opens one connection, no retries (`Connector.openOnce`). */
export interface ProbeConnector {
  openOnce(): Promise<ProbeConnection>;
}

/** Time sources of {@link mysqlProbe}, injectable for tests. */
export interface MysqlProbeDeps {
  /** Monotonic ms for `pingMs`. @default performance.now */
  readonly now?: () => number;
  /** Timer of the check timeout. @default the system clock (timers `unref()`ed) */
  readonly clock?: Clock;
}

const ER_PARSE_ERROR = 1064;

/** A result read whole: column names and rows (small results only). */
interface Rows {
  readonly names: readonly string[];
  readonly rows: readonly unknown[][];
}

async function readRows(conn: ProbeConnection, sql: string): Promise<Rows> {
  let names: string[] = [];
  const rows: unknown[][] = [];
  const sink: RowSink = {
    fields: (fields) => {
      names = fields.map((f) => f.name);
    },
    row: (row) => {
      rows.push(row);
    },
  };
  await conn.run(sql, [], sink);
  return { names, rows };
}

/** A cell as text: binary-protocol cells arrive as strings or numbers, text-protocol ones as Buffers. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/** The cell of the first column called one of `names` (case-insensitive), undefined if none is. */
function cell(rows: Rows, row: readonly unknown[], ...names: string[]): unknown {
  for (const name of names) {
    const i = rows.names.findIndex((n) => n.toLowerCase() === name.toLowerCase());
    if (i >= 0) return row[i];
  }
  return undefined;
}

/** `@@read_only`: 0/1 (MySQL, MariaDB up to 11.7) or OFF/ON/NO_LOCK/... (MariaDB 11.8 enum). */
function parseReadOnly(value: unknown): boolean {
  const text = (cellText(value) ?? '0').trim().toUpperCase();
  return text !== '0' && text !== 'OFF';
}

/**
 * Reads the first row of `SHOW REPLICA STATUS` (MySQL 8.0.22+, MariaDB 10.5.1+) or, on servers
 * that do not know that statement, `SHOW SLAVE STATUS`. Column names: `Replica_*`/`*_Source`
 * (MySQL 8.0.22+) or `Slave_*`/`*_Master` (MariaDB, older MySQL).
 */
function parseReplicaStatus(rows: Rows): ReplicationStatus | undefined {
  const row = rows.rows[0];
  if (row === undefined) return undefined;
  const yes = (...names: string[]) => cellText(cell(rows, row, ...names))?.toLowerCase() === 'yes';
  const behind = cellText(cell(rows, row, 'Seconds_Behind_Source', 'Seconds_Behind_Master'));
  const seconds = behind === null || behind === '' ? Number.NaN : Number(behind);
  return {
    ioRunning: yes('Replica_IO_Running', 'Slave_IO_Running'),
    sqlRunning: yes('Replica_SQL_Running', 'Slave_SQL_Running'),
    secondsBehind: Number.isFinite(seconds) ? seconds : null,
  };
}

/** One check's hold on the connection, so a timed-out check cannot touch a later connection. */
interface Attempt {
  conn: ProbeConnection | undefined;
  abandoned: boolean;
}

class MysqlProbe implements HealthProbe {
  private conn: ProbeConnection | undefined;
  private statusSql = 'SHOW REPLICA STATUS';
  private busy = false;
  private closed = false;

  constructor(
    private readonly connector: ProbeConnector,
    private readonly now: () => number,
    private readonly clock: Clock,
  ) {}

  async check(timeoutMs: number, options: ProbeCheckOptions = {}): Promise<ProbeResult> {
    if (this.closed) throw errors.failedPrecondition('HEALTH_PROBE_CLOSED', 'health probe is closed');
    // One connection, one statement at a time.
    if (this.busy) throw errors.failedPrecondition('HEALTH_PROBE_BUSY', 'a health check is already running');
    this.busy = true;
    const attempt: Attempt = { conn: undefined, abandoned: false };
    const { signal } = options;
    let timer: unknown;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      const giveUp = (err: unknown) => {
        // The statement may still be running: destroy the connection and open a new one next
        // time. No KILL: the built-in statements are instant, and the server drops a statement
        // of a gone client at its next read or write (a slow user query may run on until then).
        attempt.abandoned = true;
        if (attempt.conn) {
          attempt.conn.destroy();
          if (this.conn === attempt.conn) this.conn = undefined;
        }
        reject(err);
      };
      timer = this.clock.setTimeout(
        () =>
          giveUp(
            errors.deadlineExceeded('HEALTH_CHECK_TIMEOUT', `health check timed out after ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      if (signal) {
        onAbort = () => giveUp(GatewayError.from(signal.reason));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    const work = this.runChecks(attempt, options);
    work.catch(() => {});
    try {
      return await Promise.race([work, bounded]);
    } finally {
      this.clock.clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    if (this.busy) conn.destroy();
    else await conn.close();
  }

  private async connection(attempt: Attempt): Promise<ProbeConnection> {
    let conn = this.conn;
    if (conn?.broken) {
      this.conn = undefined;
      void conn.close();
      conn = undefined;
    }
    if (!conn) {
      conn = await this.connector.openOnce();
      if (attempt.abandoned || this.closed) {
        conn.destroy();
        throw errors.cancelled('HEALTH_CHECK_ABANDONED', 'health check abandoned');
      }
      this.conn = conn;
    }
    attempt.conn = conn;
    return conn;
  }

  private async runChecks(attempt: Attempt, options: ProbeCheckOptions): Promise<ProbeResult> {
    const conn = await this.connection(attempt);
    const replication = options.replication === true;
    const withGtid = replication && conn.isMariaDb;
    const started = this.now();
    const first = await readRows(
      conn,
      withGtid
        ? 'SELECT @@global.read_only AS read_only, @@global.gtid_slave_pos AS gtid_slave_pos'
        : 'SELECT @@global.read_only AS read_only',
    );
    const pingMs = Math.round((this.now() - started) * 100) / 100;
    const firstRow = first.rows[0] ?? [];
    const readOnly = parseReadOnly(cell(first, firstRow, 'read_only'));
    let status: ReplicationStatus | undefined;
    if (replication) {
      status = parseReplicaStatus(await this.replicaStatus(conn));
      const gtid = withGtid ? cellText(cell(first, firstRow, 'gtid_slave_pos')) : null;
      if (status && gtid !== null) status = { ...status, gtidSlavePos: gtid };
    }
    const queries = options.queries ?? [];
    for (let i = 0; i < queries.length; i++) {
      try {
        await conn.exec(queries[i]!);
      } catch (err) {
        const e = GatewayError.from(err);
        // Names the query by index and the error by code: never its text or a result.
        const message = `healthCheck.queries[${i}] failed: ${describeError(e)}`;
        throw new GatewayError(e.code, 'HEALTH_QUERY_FAILED', message, { cause: e });
      }
    }
    return status ? { pingMs, readOnly, replication: status } : { pingMs, readOnly };
  }

  private async replicaStatus(conn: ProbeConnection): Promise<Rows> {
    try {
      return await readRows(conn, this.statusSql);
    } catch (err) {
      // Servers older than MySQL 8.0.22 / MariaDB 10.5.1 only know SHOW SLAVE STATUS.
      if (
        this.statusSql !== 'SHOW SLAVE STATUS' &&
        (err as GatewayError).mysqlErrno === ER_PARSE_ERROR &&
        !conn.broken
      ) {
        this.statusSql = 'SHOW SLAVE STATUS';
        return readRows(conn, this.statusSql);
      }
      throw err;
    }
  }
}

/**
 * The real {@link HealthProbe} of one backend. Each check, over one dedicated connection opened
 * with `connector.openOnce()` (no retries: a failed open is a failed check) and reopened after it
 * broke or a check timed out:
 * 1. `SELECT @@global.read_only` (plus `@@global.gtid_slave_pos` on MariaDB replicas); its round
 *    trip is `pingMs`;
 * 2. replicas: `SHOW REPLICA STATUS` (falling back on `SHOW SLAVE STATUS`); needs the
 *    REPLICATION CLIENT (MySQL) or SLAVE MONITOR (MariaDB) privilege;
 * 3. each of `options.queries`, in order; a failure names the query's index.
 * A check slower than `timeoutMs` fails and destroys the connection.
 */
export function mysqlProbe(connector: ProbeConnector, deps: MysqlProbeDeps = {}): HealthProbe {
  return new MysqlProbe(connector, deps.now ?? (() => performance.now()), deps.clock ?? systemClock);
}
