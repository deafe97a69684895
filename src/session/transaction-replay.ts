/**
 * Transaction replay (`BeginRequest.replay`, docs/transaction-replay.md): a replayable
 * transaction records each statement it ran (SQL, parameters, kind) and a SHA-256 checksum of
 * what the client saw of it (columns and row values as sent, row and warning counts, affected
 * rows, last insert id, or the error), never the rows themselves. When its pinned connection is
 * lost before COMMIT was sent, {@link replayTransaction} opens a new connection to the cluster,
 * begins with the same options and re-runs the statements, comparing checksums: equal, the
 * transaction goes on there; different, it ends ABORTED `REPLAY_MISMATCH`.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, GatewayError } from '../errors.js';
import type { Clock } from '../pool/clock.js';
import type { Lease } from '../pool/lease.js';
import type { Cluster } from '../routing/cluster.js';
import type { CallTrace, TransactionReplayOutcome } from '../telemetry/call-trace.js';
import type { WireValue } from '../sql/values.js';
import type {
  BeginCommand,
  ExecuteTotals,
  QueryTotals,
  ReplayInfo,
  ResultColumn,
  ResultSink,
  StatementCommand,
} from './commands.js';
import { endLease, isConnectionFailure, type StatementRunner, startTransaction } from './statement-runner.js';

/** Replay bounds (config `transactions.replay*`). */
export interface ReplaySettings {
  /** Longest a replay may take: reconnect, BEGIN, re-run, ms. @default 10000 */
  readonly replayTimeoutMs: number;
  /** Most statements recorded. @default 1000 */
  readonly replayMaxStatements: number;
  /** Most bytes of SQL text and parameters recorded. @default 4194304 */
  readonly replayMaxBytes: number;
  /** Replay after a deadlock (1213) too. @default false */
  readonly replayOnDeadlock: boolean;
}

/** The defaults of {@link ReplaySettings}, for callers that leave some out. */
export const DEFAULT_REPLAY_SETTINGS: ReplaySettings = {
  replayTimeoutMs: 10_000,
  replayMaxStatements: 1000,
  replayMaxBytes: 4 * 1024 * 1024,
  replayOnDeadlock: false,
};

/**
 * An incremental checksum of one statement's result as the client saw it. Every field is
 * length-prefixed, so no two different results hash the same input.
 */
export class ResultChecksum {
  private readonly hash: Hash = createHash('sha256');

  private put(tag: string, text: string): void {
    this.hash.update(`${tag}${Buffer.byteLength(text)}:`);
    this.hash.update(text);
  }

  /** The result's columns (names, types, flags: everything sent). */
  columns(columns: readonly ResultColumn[]): void {
    this.put('C', JSON.stringify(columns));
  }

  /** One row's values, as sent: one hash update per row (each update crosses into native code). */
  row(values: readonly WireValue[]): void {
    // Every value is length-prefixed (text in UTF-16 units, bytes in bytes), so no two rows hash
    // the same input.
    let text = `R${values.length}:`;
    for (const value of values) {
      const v = value as Partial<Record<string, unknown>>;
      let kind: string;
      let s: string;
      if (v.string_value !== undefined) {
        kind = 's';
        s = v.string_value as string;
      } else if (v.int64_value !== undefined) {
        kind = 'i';
        s = v.int64_value as string;
      } else if (v.uint64_value !== undefined) {
        kind = 'u';
        s = v.uint64_value as string;
      } else if (v.double_value !== undefined) {
        kind = 'd';
        s = String(v.double_value);
      } else if (v.bytes_value !== undefined) {
        // Bytes go to the hash as they are, after the text so far.
        const b = v.bytes_value as Uint8Array;
        this.hash.update(`${text}b${b.byteLength}:`);
        this.hash.update(b);
        text = '';
        continue;
      } else {
        text += 'n';
        continue;
      }
      text += `${kind}${s.length}:${s}`;
    }
    this.hash.update(text);
  }

  /** A query's end: its row and warning counts. */
  done(totals: QueryTotals): void {
    this.put('D', `${totals.rowCount},${totals.warningCount}`);
  }

  /** A statement without rows: affected rows, last insert id, warnings. */
  executed(totals: ExecuteTotals): void {
    this.put('E', `${totals.affectedRows},${totals.lastInsertId},${totals.warningCount}`);
  }

  /** A statement that failed on the server: the same failure must come back. */
  error(e: GatewayError): void {
    this.put('X', `${e.code},${e.reason},${e.mysqlErrno ?? ''},${e.sqlState ?? ''}`);
  }

  /** The checksum, hex. Call once. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** One recorded statement. */
export interface RecordedStatement {
  readonly kind: 'query' | 'execute';
  readonly statement: StatementCommand;
  /** {@link ResultChecksum.digest} of the first run. */
  readonly checksum: string;
}

/** Bytes a statement takes in the log: its SQL and its parameters' contents. */
export function recordedBytes(statement: StatementCommand): number {
  let bytes = Buffer.byteLength(statement.sql);
  for (const p of statement.params) {
    const v = p as Record<string, unknown>;
    const value = v.string_value ?? v.bytes_value ?? v.int64_value ?? v.uint64_value;
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (Buffer.isBuffer(value) || value instanceof Uint8Array) bytes += value.length;
    else bytes += 8;
  }
  return bytes;
}

/**
 * The statements of one replayable transaction, bounded by count and bytes: past a bound the log
 * is dropped and {@link enabled} turns false for the rest of the transaction.
 */
export class ReplayLog {
  private readonly entries: RecordedStatement[] = [];
  private bytes = 0;
  /** Why replay was turned off ('' while on). */
  disabledWhy = '';

  constructor(private readonly settings: ReplaySettings) {}

  /** True while the transaction can still be replayed. */
  get enabled(): boolean {
    return this.disabledWhy === '';
  }

  /** Recorded statements, in order. */
  get statements(): readonly RecordedStatement[] {
    return this.entries;
  }

  /** Bytes recorded so far. */
  get recordedBytes(): number {
    return this.bytes;
  }

  /**
   * Records a statement that ran; returns false (and turns replay off, dropping the log) when it
   * passes a bound or replay was already off.
   */
  record(kind: 'query' | 'execute', statement: StatementCommand, checksum: string): boolean {
    if (!this.enabled) return false;
    const bytes = this.bytes + recordedBytes(statement);
    if (this.entries.length + 1 > this.settings.replayMaxStatements) {
      this.disable(
        `more than ${this.settings.replayMaxStatements} statements (transactions.replayMaxStatements)`,
      );
      return false;
    }
    if (bytes > this.settings.replayMaxBytes) {
      this.disable(`more than ${this.settings.replayMaxBytes} bytes recorded (transactions.replayMaxBytes)`);
      return false;
    }
    this.bytes = bytes;
    this.entries.push({ kind, statement, checksum });
    return true;
  }

  /** Turns replay off for the rest of the transaction. */
  disable(why: string): void {
    if (!this.enabled) return;
    this.disabledWhy = why;
    this.entries.length = 0;
    this.bytes = 0;
  }
}

/**
 * True when `e` says the pinned connection itself was lost (closed, reset, killed, the server
 * going away: errno 2006/2013/4031 and the driver's network codes map to these reasons), so that
 * the server rolled the transaction back and a replay may go on elsewhere. Gateway-made aborts
 * (cancel, deadline, a result over a limit) are not losses.
 */
export function isConnectionLoss(e: GatewayError): boolean {
  return isConnectionFailure(e) || (e.mysqlErrno !== undefined && [2006, 2013, 4031].includes(e.mysqlErrno));
}

/** True when `e` is a deadlock that MySQL answered by rolling the transaction back. */
export function isDeadlock(e: GatewayError): boolean {
  return e.mysqlErrno === 1213 && e.transactionRolledBack;
}

/** A sink that drops what a re-run statement returns (never streamed twice) into a checksum. */
function checksumSink(sum: ResultChecksum): ResultSink {
  return { columns: (c) => sum.columns(c), rows: () => true, onceDrain: (cb) => cb() };
}

/**
 * Runs one statement and returns the checksum of what the client saw; a server error is part of
 * the result (checksummed), a lost connection is thrown.
 */
export async function runAndChecksum(
  runner: StatementRunner,
  backend: Backend,
  conn: DbConnection,
  kind: 'query' | 'execute',
  input: StatementCommand,
  ctx: StatementContext,
): Promise<string> {
  const sum = new ResultChecksum();
  const stmt = runner.check(input.sql, input.params, 'transaction');
  try {
    if (kind === 'execute') sum.executed(await runner.write(backend, conn, stmt, ctx));
    else {
      const totals = await runner.streamRows(
        backend,
        conn,
        stmt,
        checksumSink(sum),
        input.maxRowsPerBatch,
        ctx,
        (values) => sum.row(values),
      );
      sum.done(totals);
    }
  } catch (err) {
    const e = GatewayError.from(err);
    if (conn.broken || e.transactionRolledBack) throw e;
    sum.error(e);
  }
  return sum.digest();
}

/** What {@link replayTransaction} needs. */
export interface ReplayRequest {
  readonly cluster: Cluster;
  readonly begin: BeginCommand;
  readonly log: ReplayLog;
  readonly runner: StatementRunner;
  readonly settings: ReplaySettings;
  /** The session's signal and trace; the deadline is the call's (undefined = none). */
  readonly ctx: StatementContext;
  readonly clock: Clock;
  /** Runs on the new connection right after BEGIN, before the statements (e.g. a key row). */
  readonly afterBegin?: AfterBegin | undefined;
}

/** Work a transaction did on its connection outside its statements, redone after BEGIN on replay. */
export type AfterBegin = (backend: Backend, conn: DbConnection, ctx: StatementContext) => Promise<void>;

/** A replay that succeeded: the new lease, already inside the re-run transaction. */
export interface Replayed {
  readonly backend: Backend;
  readonly lease: Lease<DbConnection>;
  readonly statements: number;
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * Opens a new connection to the cluster (its primary, or a replica for a read-only
 * transaction, routed as begin routes), begins with the same options and re-runs the log's
 * statements, comparing checksums. Waits for the backend to come back within
 * `replayTimeoutMs` and the call's deadline, retrying after connection failures. Throws ABORTED
 * `REPLAY_MISMATCH` on the first different result, UNAVAILABLE `REPLAY_FAILED` when no
 * connection could be had in time; the new connection is released on every failure.
 */
export async function replayTransaction(req: ReplayRequest): Promise<Replayed> {
  const { cluster, begin, log, runner, ctx, clock } = req;
  const limit = Date.now() + req.settings.replayTimeoutMs;
  const deadline = ctx.deadline === undefined ? limit : Math.min(limit, ctx.deadline);
  const rctx: StatementContext = { deadline, signal: ctx.signal, trace: ctx.trace };
  let delay = RETRY_FIRST_MS;
  let last: GatewayError | undefined;
  for (;;) {
    if (ctx.signal.aborted) throw GatewayError.from(ctx.signal.reason);
    if (Date.now() >= deadline) {
      throw new GatewayError(
        Code.UNAVAILABLE,
        'REPLAY_FAILED',
        `connection lost and the transaction could not be replayed within ${req.settings.replayTimeoutMs} ms ` +
          `(transactions.replayTimeoutMs) or the call deadline: it was rolled back${last ? ` (${last.message})` : ''}`,
        { cause: last },
      );
    }
    let lease: Lease<DbConnection> | undefined;
    try {
      const route = begin.readOnly ? cluster.routeRead({ readOnly: true }) : cluster.routeWrite();
      lease = await route.backend.acquire(rctx);
      const conn = lease.resource;
      await startTransaction(route.backend, conn, begin.isolationLevel, begin.readOnly, rctx);
      await req.afterBegin?.(route.backend, conn, rctx);
      const entries = log.statements;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as RecordedStatement;
        const sum = await runAndChecksum(runner, route.backend, conn, entry.kind, entry.statement, rctx);
        if (sum !== entry.checksum) {
          await rollbackQuietly(route.backend, conn, rctx);
          endLease(lease, true);
          lease = undefined;
          throw new GatewayError(
            Code.ABORTED,
            'REPLAY_MISMATCH',
            `the transaction was lost with its connection and replayed, but statement ${i + 1} of ${entries.length} ` +
              'gave a different result (a non-deterministic statement such as NOW() or RAND(), or data changed ' +
              'by another transaction): the transaction was rolled back',
          );
        }
      }
      return { backend: route.backend, lease, statements: entries.length };
    } catch (err) {
      const e = GatewayError.from(err);
      if (lease) endLease(lease, true);
      if (e.reason === 'REPLAY_MISMATCH' || ctx.signal.aborted) throw e;
      // Only the backend being away is worth waiting for; anything else ends the replay now.
      if (!isConnectionLoss(e) && e.reason !== 'PRIMARY_UNRESPONSIVE' && e.code !== Code.DEADLINE_EXCEEDED) {
        throw new GatewayError(
          e.code === Code.ABORTED ? Code.ABORTED : Code.UNAVAILABLE,
          'REPLAY_FAILED',
          `connection lost and the replay failed: the transaction was rolled back (${e.message})`,
          { cause: e, mysqlErrno: e.mysqlErrno, sqlState: e.sqlState },
        );
      }
      last = e;
    }
    await wait(clock, Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
}

async function rollbackQuietly(backend: Backend, conn: DbConnection, ctx: StatementContext): Promise<void> {
  try {
    await backend.run(conn, { sql: 'ROLLBACK', params: [] }, undefined, ctx);
  } catch (err) {
    conn.poison(err);
  }
}

/** Waits `ms` on `clock`, or until `signal` aborts. */
function wait(clock: Clock, ms: number, signal: StatementContext['signal']): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The replay side of one Transaction stream: records what the session ran, decides whether a
 * failure is worth a replay, and runs it. The session owns the leases; this owns the log.
 */
export class TransactionReplayer {
  readonly log: ReplayLog;
  /**
   * What the session did on its connection right after BEGIN outside the recorded statements
   * (an idempotency key row, say): redone on the new connection before the statements re-run.
   */
  afterBegin: AfterBegin | undefined;

  private readonly settings: ReplaySettings;

  /** `settings` left out take {@link DEFAULT_REPLAY_SETTINGS}. */
  constructor(
    private readonly cluster: Cluster,
    private readonly begin: BeginCommand,
    private readonly runner: StatementRunner,
    settings: Partial<ReplaySettings>,
    private readonly clock: Clock,
    private readonly trace: CallTrace | undefined,
  ) {
    this.settings = { ...DEFAULT_REPLAY_SETTINGS, ...settings };
    this.log = new ReplayLog(this.settings);
  }

  /** A checksum for the next statement's result; undefined once replay is off. */
  checksum(): ResultChecksum | undefined {
    return this.log.enabled ? new ResultChecksum() : undefined;
  }

  /** Records a statement that ran (its result in `sum`); past a bound, turns replay off and says so. */
  record(kind: 'query' | 'execute', input: StatementCommand, sum: ResultChecksum | undefined): void {
    if (sum === undefined || !this.log.enabled) return;
    if (!this.log.record(kind, input, sum.digest())) {
      this.trace?.transactionReplayOff(this.cluster.name, this.log.disabledWhy);
    }
  }

  /**
   * True when `e`, met by a statement or before COMMIT, should be answered by a replay: the
   * connection was lost (or, with `replayOnDeadlock`, MySQL rolled back on a deadlock), replay is
   * still on, the caller has not left, and nothing of the failing statement reached the client.
   */
  shouldReplay(e: GatewayError, callerLeft: boolean, sentOutput: boolean): boolean {
    if (!this.log.enabled || callerLeft || sentOutput) return false;
    return isConnectionLoss(e) || (this.settings.replayOnDeadlock && isDeadlock(e));
  }

  /**
   * Ends the lease of the `lost` connection (destroyed; a deadlocked one, still alive, goes back
   * to the pool, reset when `dirty`) and replays on a new connection ({@link replayTransaction});
   * reports the outcome to the trace. `startedAt` is when the loss was noticed
   * (process.hrtime.bigint()).
   */
  async replay(
    lost: Lease<DbConnection>,
    cause: GatewayError,
    dirty: boolean,
    ctx: StatementContext,
    startedAt: bigint,
  ): Promise<{ readonly replayed: Replayed; readonly info: ReplayInfo }> {
    const previousConnectionId = lost.resource.threadId;
    if (!isDeadlock(cause)) lost.resource.poison(cause);
    endLease(lost, dirty);
    const statements = this.log.statements.length;
    try {
      const replayed = await replayTransaction({
        cluster: this.cluster,
        begin: this.begin,
        log: this.log,
        runner: this.runner,
        settings: this.settings,
        ctx,
        clock: this.clock,
        afterBegin: this.afterBegin,
      });
      const elapsedUs = (process.hrtime.bigint() - startedAt) / 1000n;
      this.trace?.transactionReplay(this.cluster.name, 'replayed', statements, Number(elapsedUs) / 1000);
      return {
        replayed,
        info: {
          backend: replayed.backend.name,
          connectionId: replayed.lease.resource.threadId,
          previousConnectionId,
          statements,
          elapsedUs,
        },
      };
    } catch (err) {
      const e = GatewayError.from(err);
      const outcome: TransactionReplayOutcome = e.reason === 'REPLAY_MISMATCH' ? 'mismatch' : 'failed';
      const elapsedMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      this.trace?.transactionReplay(this.cluster.name, outcome, statements, elapsedMs);
      throw e;
    }
  }
}
