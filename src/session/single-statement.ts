/**
 * Query and Execute outside a transaction: one statement on one leased connection, which goes
 * back to the pool afterwards (reset first when the statement could have changed session state,
 * destroyed when its state is unknown).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { Code, errors, GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { Cluster, ClusterRegistry, ReadPreference, Route } from '../routing/cluster.js';
import type { WireValue } from '../sql/values.js';
import { type BatchLimits, ResultBatcher, type ResultWriter } from './result-stream.js';
import type { Access } from './access.js';
import { type CheckedStatement, checkStatement, type StatementLimits } from './statement.js';

/** Limits that apply to single statements. */
export type SessionLimits = StatementLimits & BatchLimits;

/** A Query request as decoded from the wire. */
export interface QueryInput {
  /** What the caller may do: checked once the cluster and the statement are known. */
  readonly access: Access;
  readonly cluster?: string;
  readonly sql?: string;
  readonly params?: WireValue[];
  readonly readPreference?: ReadPreference | undefined;
  readonly maxStalenessMs?: number;
  readonly maxRowsPerBatch?: number;
  /** From an earlier Execute or commit: the read must see that write. */
  readonly consistencyToken?: string;
}

/** An Execute request as decoded from the wire. */
export interface ExecuteInput {
  /** What the caller may do: checked once the cluster is known. */
  readonly access: Access;
  readonly cluster?: string;
  readonly sql?: string;
  readonly params?: WireValue[];
}

/** Totals of a Query (the `stats` message). */
export interface QueryTotals {
  readonly rowCount: number;
  readonly warningCount: number;
  readonly backend: string;
  readonly backendRole: string;
  readonly bytes: number;
}

/** The outcome of Execute. */
export interface ExecuteTotals {
  readonly affectedRows: number;
  readonly lastInsertId: string;
  readonly warningCount: number;
  readonly info: string;
  readonly backend: string;
  /** GTID of the write (session-tracked), '' when the statement wrote nothing or the server does not say. */
  readonly consistencyToken: string;
}

/** The OK packet fields the gateway reads. */
export interface OkHeader {
  affectedRows?: number;
  insertId?: number | string | bigint;
  warningStatus?: number;
  info?: string;
  stateChanges?: { systemVariables?: Record<string, string>; gtids?: string[] };
}

/** The GTID a write produced, from session tracking (MariaDB `last_gtid`, MySQL own GTIDs). */
export function consistencyTokenOf(header: OkHeader | undefined): string {
  const changes = header?.stateChanges;
  return changes?.systemVariables?.last_gtid || changes?.gtids?.join(',') || '';
}

/** Returns a lease: destroyed when the connection broke or was poisoned, else reset if `dirty`. */
export function endLease(lease: Lease<DbConnection>, dirty: boolean): void {
  const conn = lease.resource;
  if (conn.broken) lease.destroy(conn.brokenCause);
  else lease.release({ reset: dirty });
}

/** Clamps a client's batch size request to the configured bounds. */
export function batchLimits(
  limits: BatchLimits & { defaultRowsPerBatch: number },
  requested: number | undefined,
): BatchLimits {
  const rows =
    requested && requested > 0 ? Math.min(requested, limits.maxRowsPerBatch) : limits.defaultRowsPerBatch;
  return {
    maxRowsPerBatch: rows,
    maxBatchBytes: limits.maxBatchBytes,
    maxRowsPerQuery: limits.maxRowsPerQuery,
    maxBytesPerQuery: limits.maxBytesPerQuery,
  };
}

/** How long a replica may take to apply a consistency token before the read goes to the primary, in seconds. */
export const CONSISTENCY_WAIT_SEC = 0.1;

const TOKEN_PATTERN = /^[0-9A-Za-z:,-]{1,4096}$/;

/** Connection-level failures: worth telling the health monitor, and safe to retry for reads. */
export function isConnectionFailure(e: GatewayError): boolean {
  return (
    e.code === Code.UNAVAILABLE &&
    (e.reason === 'BACKEND_UNAVAILABLE' ||
      e.reason === 'CONNECTION_KILLED' ||
      e.reason === 'BACKEND_SHUTTING_DOWN')
  );
}

/**
 * True when the replica behind `conn` has applied `token` (waiting at most
 * {@link CONSISTENCY_WAIT_SEC}): MariaDB `MASTER_GTID_WAIT`, MySQL `WAIT_FOR_EXECUTED_GTID_SET`.
 */
async function hasApplied(
  backend: Backend,
  conn: DbConnection,
  token: string,
  ctx: StatementContext,
): Promise<boolean> {
  let result: unknown;
  const sql = conn.isMariaDb ? 'SELECT MASTER_GTID_WAIT(?, ?)' : 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)';
  const params = [token, CONSISTENCY_WAIT_SEC];
  await backend.run(conn, { sql, params }, { fields: () => {}, row: (r) => (result = r[0]) }, ctx);
  return Number(result) === 0;
}

/**
 * Runs a Query, streaming its result into `writer`. A read-only statement whose backend fails
 * before anything reached the client is retried once, on another usable backend when there is
 * one; nothing else is ever re-sent.
 */
export async function runQuery(
  clusters: ClusterRegistry,
  limits: SessionLimits & { defaultRowsPerBatch: number },
  input: QueryInput,
  ctx: StatementContext,
  writer: ResultWriter,
): Promise<QueryTotals> {
  const cluster = clusters.get(input.cluster);
  input.access.useCluster(cluster.name);
  const stmt = checkStatement(input.sql, input.params, limits, 'query');
  if (!stmt.info.readOnly) input.access.write('a statement not proven read-only');
  const token = input.consistencyToken ?? '';
  if (token && !TOKEN_PATTERN.test(token)) {
    throw errors.invalidArgument(
      'BAD_CONSISTENCY_TOKEN',
      'consistency_token is not a token returned by this gateway',
    );
  }
  const read = {
    readOnly: stmt.info.readOnly,
    readPreference: input.readPreference,
    maxStalenessMs: input.maxStalenessMs,
  };
  let route = cluster.routeRead(read);
  ctx.trace?.routed(route);
  let sentAnything = false;
  const tracking: ResultWriter = {
    metadata: (columns) => {
      sentAnything = true;
      writer.metadata(columns);
    },
    rows: (rows) => {
      sentAnything = true;
      return writer.rows(rows);
    },
    onceDrain: (cb) => writer.onceDrain(cb),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await runQueryOn(cluster, route, stmt, token, limits, input, ctx, tracking);
    } catch (err) {
      const e = GatewayError.from(err);
      if (!isConnectionFailure(e)) throw e;
      cluster.reportConnectionError(route.backend, e);
      if (attempt > 1 || !stmt.info.readOnly || sentAnything || ctx.signal.aborted) throw e;
      const failed = route.backend;
      try {
        route = cluster.routeRead(read, failed);
      } catch {
        throw e;
      }
      ctx.trace?.retry(attempt + 1, failed, e);
      ctx.trace?.routed(route);
    }
  }
}

async function runQueryOn(
  cluster: Cluster,
  initial: Route,
  stmt: CheckedStatement,
  token: string,
  limits: SessionLimits & { defaultRowsPerBatch: number },
  input: QueryInput,
  ctx: StatementContext,
  writer: ResultWriter,
): Promise<QueryTotals> {
  let backend = initial.backend;
  let lease = await backend.acquire(ctx);
  if (token && backend.role === 'replica') {
    let applied = false;
    try {
      applied = await hasApplied(backend, lease.resource, token, ctx);
    } catch (err) {
      endLease(lease, false);
      throw err;
    }
    if (!applied) {
      // Read-your-writes: this replica has not caught up with the caller's write yet.
      endLease(lease, false);
      backend = cluster.primary;
      ctx.trace?.routed({ backend, reason: 'replica has not applied the consistency token: primary' });
      lease = await backend.acquire(ctx);
    }
  }
  const conn = lease.resource;
  const batcher = new ResultBatcher(conn, writer, batchLimits(limits, input.maxRowsPerBatch), (err) =>
    backend.abortStatement(conn, err),
  );
  try {
    const outcome = await backend.run(conn, stmt, batcher, ctx);
    batcher.finish();
    ctx.trace?.streamed(backend, outcome.rowCount, batcher.bytes);
    return {
      rowCount: outcome.rowCount,
      warningCount: outcome.header?.warningStatus ?? 0,
      backend: backend.name,
      backendRole: backend.role,
      bytes: batcher.bytes,
    };
  } catch (err) {
    batcher.discard();
    throw batcher.failure ?? err;
  } finally {
    endLease(lease, stmt.info.sessionState);
  }
}

/** Runs an Execute on the cluster's primary. */
export async function runExecute(
  clusters: ClusterRegistry,
  limits: StatementLimits,
  input: ExecuteInput,
  ctx: StatementContext,
): Promise<ExecuteTotals> {
  const cluster = clusters.get(input.cluster);
  input.access.useCluster(cluster.name);
  input.access.write('Execute');
  const stmt = checkStatement(input.sql, input.params, limits, 'execute');
  const route = cluster.routeWrite();
  ctx.trace?.routed(route);
  const backend = route.backend;
  let lease: Lease<DbConnection> | undefined;
  try {
    lease = await backend.acquire(ctx);
    const outcome = await backend.run(lease.resource, stmt, undefined, ctx);
    return headerTotals(outcome.header as OkHeader | undefined, backend.name);
  } catch (err) {
    // Never re-sent: the statement may have reached the server.
    const e = GatewayError.from(err);
    if (isConnectionFailure(e)) cluster.reportConnectionError(backend, e);
    throw e;
  } finally {
    if (lease) endLease(lease, stmt.info.sessionState);
  }
}

/** Maps an OK packet to {@link ExecuteTotals}. */
export function headerTotals(header: OkHeader | undefined, backend: string): ExecuteTotals {
  return {
    affectedRows: header?.affectedRows ?? 0,
    lastInsertId: String(header?.insertId ?? 0),
    warningCount: header?.warningStatus ?? 0,
    info: header?.info ?? '',
    backend,
    consistencyToken: consistencyTokenOf(header),
  };
}
