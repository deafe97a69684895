/**
 * The table that records idempotency keys on a cluster's primary: one row per (cluster,
 * principal, key) with the request's fingerprint and its outcome, written in the same
 * transaction as the write it records (idempotency-execute.ts), so the row exists if and only if
 * the write committed. The table is created when missing; a background sweeper deletes expired
 * keys in small batches. Every statement goes through {@link Backend.run}.
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { IdempotencySettings } from '../config/cluster-schema.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { ExecuteTotals } from './commands.js';
import { endLease } from './statement-runner.js';

/** What a key row holds once its write committed. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly affectedRows: number;
  readonly lastInsertId: string;
  readonly warningCount: number;
  readonly info: string;
  /** The COMMIT's consistency token ('' when it was not recorded). */
  readonly consistencyToken: string;
  /** A serialized outcome (Batch), '' for Execute. */
  readonly outcome: string;
}

/** Rows deleted per expiry statement: small, so no statement holds many locks. */
export const EXPIRY_BATCH_ROWS = 500;

/** MySQL's duplicate key error. */
export const ER_DUP_ENTRY = 1062;

/** Server errors that mean the table cannot be created or read: privileges, unknown schema or table. */
const MISSING_TABLE_ERRNOS = new Set([1044, 1049, 1142, 1146]);

/** A signal that never fires (the sweeper runs on its own deadline). */
const NEVER_ABORTED = new AbortController().signal;

/** Longest time one sweep may take, ms. */
const SWEEP_DEADLINE_MS = 30_000;

const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;

/** The key table as SQL names it: `schema`.`table`, or `table` alone without a schema. */
export function keyTableName(schema: string, table: string): string {
  return schema ? `${q(schema)}.${q(table)}` : q(table);
}

/** The grant the gateway's account needs for the key table in `schema`. */
export function keyTableGrant(schema: string): string {
  return schema
    ? `CREATE, SELECT, INSERT, UPDATE, DELETE ON ${q(schema)}.*`
    : 'a default database (primary.database or idempotency.schema) and CREATE on it';
}

/** The statement that creates the key table `table` (as {@link keyTableName} names it) when missing. */
export function createKeyTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  cluster VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  principal VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  idem_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  state VARCHAR(16) CHARACTER SET ascii NOT NULL,
  affected_rows BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_insert_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  warning_count INT UNSIGNED NOT NULL DEFAULT 0,
  info VARCHAR(1024) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
  consistency_token VARCHAR(4096) CHARACTER SET ascii NOT NULL DEFAULT '',
  outcome MEDIUMTEXT CHARACTER SET utf8mb4 NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (cluster, principal, idem_key),
  KEY by_created_at (created_at)
) ENGINE=InnoDB`;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** The idempotency key table of one cluster. */
export class IdempotencyStore {
  /** The table as SQL names it, schema-qualified when a schema is known. */
  readonly table: string;
  private readonly schemaName: string;
  private ready: Promise<void> | undefined;
  /** The table is known to exist: the sweeper runs only then (no noise where keys are not set up). */
  private tableReady = false;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private closed = false;

  constructor(
    /** The cluster whose keys this store holds. */
    readonly cluster: string,
    /** The cluster's primary, where the table lives. */
    private readonly primary: Backend,
    readonly settings: IdempotencySettings,
    /** Told about sweeps that failed (the sweeper keeps going). */
    private readonly onSweepError: (err: GatewayError) => void = () => {},
  ) {
    this.schemaName = settings.schema || primary.settings.database;
    this.table = keyTableName(this.schemaName, settings.table);
  }

  /** The statement that creates the table. */
  createTableSql(): string {
    return createKeyTableSql(this.table);
  }

  /**
   * Resolves once the table exists (created when missing; an existing table the account cannot
   * create is fine). Throws FAILED_PRECONDITION `IDEMPOTENCY_TABLE_UNAVAILABLE` naming the table
   * and the grant needed, or the backend's error when the primary cannot be reached; the next
   * call tries again.
   */
  ensureTable(ctx: StatementContext): Promise<void> {
    if (this.ready) return this.ready;
    const attempt = this.withConnection(ctx, async (conn) => {
      try {
        await this.primary.run(conn, { sql: this.createTableSql(), params: [] }, undefined, ctx);
      } catch (err) {
        const e = GatewayError.from(err);
        if (e.mysqlErrno === undefined) throw e;
        // Created by someone else (a migration) and usable, though this account may not create it.
        try {
          await this.primary.run(
            conn,
            { sql: `SELECT 1 FROM ${this.table} LIMIT 0`, params: [] },
            undefined,
            ctx,
          );
        } catch {
          throw this.unavailable(e);
        }
      }
    });
    this.ready = attempt;
    attempt.then(
      () => (this.tableReady = true),
      () => {
        if (this.ready === attempt) this.ready = undefined;
      },
    );
    return attempt;
  }

  private unavailable(cause: GatewayError): GatewayError {
    const grant = keyTableGrant(this.schemaName);
    const why = MISSING_TABLE_ERRNOS.has(cause.mysqlErrno ?? 0)
      ? 'does not exist and cannot be created'
      : 'cannot be created';
    return new GatewayError(
      Code.FAILED_PRECONDITION,
      'IDEMPOTENCY_TABLE_UNAVAILABLE',
      `the idempotency key table ${this.table} of cluster "${this.cluster}" ${why} (MySQL error ${cause.mysqlErrno}): the gateway's account needs ${grant}, or create the table as docs/idempotency.md shows`,
      { cause },
    );
  }

  /** Inserts the key row, state 'running', inside the caller's open transaction on `conn`. */
  async insertRunning(
    conn: DbConnection,
    principal: string,
    key: string,
    fingerprint: string,
    ctx: StatementContext,
  ): Promise<void> {
    await this.primary.run(
      conn,
      {
        sql: `INSERT INTO ${this.table} (cluster, principal, idem_key, fingerprint, state) VALUES (?, ?, ?, ?, 'running')`,
        params: [this.cluster, principal, key, fingerprint],
      },
      undefined,
      ctx,
    );
  }

  /** Stores the outcome in the key row, inside the same transaction, before COMMIT. */
  async complete(
    conn: DbConnection,
    principal: string,
    key: string,
    totals: Omit<ExecuteTotals, 'backend' | 'consistencyToken'>,
    outcome: string,
    ctx: StatementContext,
  ): Promise<void> {
    await this.primary.run(
      conn,
      {
        sql: `UPDATE ${this.table} SET state = 'done', affected_rows = ?, last_insert_id = ?, warning_count = ?, info = ?, outcome = ? WHERE cluster = ? AND principal = ? AND idem_key = ?`,
        params: [
          String(totals.affectedRows),
          totals.lastInsertId,
          totals.warningCount,
          totals.info.slice(0, 1024),
          outcome === '' ? null : outcome,
          this.cluster,
          principal,
          key,
        ],
      },
      undefined,
      ctx,
    );
  }

  /** Records the COMMIT's consistency token (after COMMIT, in autocommit; best effort). */
  async setToken(
    conn: DbConnection,
    principal: string,
    key: string,
    token: string,
    ctx: StatementContext,
  ): Promise<void> {
    await this.primary.run(
      conn,
      {
        sql: `UPDATE ${this.table} SET consistency_token = ? WHERE cluster = ? AND principal = ? AND idem_key = ?`,
        params: [token, this.cluster, principal, key],
      },
      undefined,
      ctx,
    );
  }

  /**
   * The committed record of a key, or undefined. A locking read: while another transaction
   * holds the key row uncommitted, it waits for that transaction to end (bounded by `ctx`).
   */
  async find(
    conn: DbConnection,
    principal: string,
    key: string,
    ctx: StatementContext,
  ): Promise<IdempotencyRecord | undefined> {
    let found: unknown[] | undefined;
    await this.primary.run(
      conn,
      {
        sql: `SELECT fingerprint, CAST(affected_rows AS CHAR), CAST(last_insert_id AS CHAR), warning_count, info, consistency_token, outcome FROM ${this.table} WHERE cluster = ? AND principal = ? AND idem_key = ? LOCK IN SHARE MODE`,
        params: [this.cluster, principal, key],
      },
      { fields: () => {}, row: (r) => (found = r) },
      ctx,
    );
    if (!found) return undefined;
    return {
      fingerprint: text(found[0]),
      affectedRows: Number(text(found[1])),
      lastInsertId: text(found[2]) || '0',
      warningCount: Number(found[3] ?? 0),
      info: text(found[4]),
      consistencyToken: text(found[5]),
      outcome: text(found[6]),
    };
  }

  /**
   * A consistency token that covers every write committed on the primary so far (MariaDB
   * `@@gtid_binlog_pos`, MySQL `@@gtid_executed`): what a replay answers when the write's own
   * token was not recorded.
   */
  async currentPosition(conn: DbConnection, ctx: StatementContext): Promise<string> {
    let pos: unknown;
    const sql = conn.isMariaDb ? 'SELECT @@gtid_binlog_pos' : 'SELECT @@gtid_executed';
    await this.primary.run(conn, { sql, params: [] }, { fields: () => {}, row: (r) => (pos = r[0]) }, ctx);
    return text(pos).replaceAll(/\s/g, '');
  }

  /**
   * Deletes keys older than the ttl, {@link EXPIRY_BATCH_ROWS} per statement, repeated while a
   * statement deleted a full batch. Resolves with the number deleted.
   */
  async deleteExpired(
    ctx: StatementContext = { signal: NEVER_ABORTED, deadline: Date.now() + SWEEP_DEADLINE_MS },
  ): Promise<number> {
    return this.withConnection(ctx, async (conn) => {
      let total = 0;
      for (;;) {
        const out = await this.primary.run(
          conn,
          {
            sql: `DELETE FROM ${this.table} WHERE cluster = ? AND created_at < NOW(6) - INTERVAL ? MICROSECOND LIMIT ${EXPIRY_BATCH_ROWS}`,
            params: [this.cluster, String(this.settings.ttlMs * 1000)],
          },
          undefined,
          ctx,
        );
        const n = (out.header as { affectedRows?: number } | undefined)?.affectedRows ?? 0;
        total += n;
        if (n < EXPIRY_BATCH_ROWS || this.closed) return total;
      }
    });
  }

  /**
   * Starts the expiry sweeper (an unref'd timer; one sweep at a time). Sweeps wait until the
   * table is known to exist ({@link ensureTable} succeeded once).
   */
  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => {
      if (this.sweeping || !this.tableReady) return;
      this.sweeping = this.deleteExpired()
        .catch((err: unknown) => this.onSweepError(GatewayError.from(err)))
        .finally(() => (this.sweeping = undefined));
    }, this.settings.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops the sweeper and waits for a sweep in progress. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** Runs `fn` on a connection leased from the primary, returned afterwards. */
  async withConnection<T>(ctx: StatementContext, fn: (conn: DbConnection) => Promise<T>): Promise<T> {
    const lease: Lease<DbConnection> = await this.primary.acquire(ctx);
    try {
      return await fn(lease.resource);
    } finally {
      endLease(lease, false);
    }
  }
}

/**
 * `store` with its key table in place: throws FAILED_PRECONDITION `IDEMPOTENCY_UNAVAILABLE` when
 * `cluster` has no store, or the store's error when its table cannot be created.
 */
export async function readyStore(
  store: IdempotencyStore | undefined,
  cluster: string,
  ctx: StatementContext,
): Promise<IdempotencyStore> {
  if (!store) {
    throw errors.failedPrecondition(
      'IDEMPOTENCY_UNAVAILABLE',
      `idempotency keys are not available on cluster "${cluster}"`,
    );
  }
  await store.ensureTable(ctx);
  return store;
}
