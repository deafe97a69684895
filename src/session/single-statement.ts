/**
 * Query and Execute outside a transaction: one statement on one leased connection, which goes
 * back to the pool afterwards (reset first when the statement could have changed session state,
 * destroyed when its state is unknown).
 */
import type { Backend, StatementContext } from '../backend/backend.js';
import type { DbConnection } from '../backend/connection.js';
import { GatewayError } from '../errors.js';
import type { Lease } from '../pool/lease.js';
import type { Cluster, ClusterRegistry, ReadRequest, Route } from '../routing/cluster.js';
import type {
  Caller,
  ExecuteCommand,
  ExecuteTotals,
  QueryCommand,
  QueryTotals,
  ReadRouting,
  ResultSink,
} from './commands.js';
import { hedgedRead } from './hedge.js';
import { runKeyedExecute, type StoreLookup } from './idempotency-execute.js';
import { endLease, isConnectionFailure, type StatementRunner } from './statement-runner.js';
import type { CheckedStatement } from './statement.js';

/** How long a replica may take to apply a consistency token before the read goes to the primary, in seconds. */
export const CONSISTENCY_WAIT_SEC = 0.1;

/** The router's view of a read: proven read-only or not, and the caller's routing wishes. */
export function readRequest(readOnly: boolean, routing: ReadRouting): ReadRequest {
  return {
    readOnly,
    readPreference: routing.readPreference,
    maxStalenessMs: routing.maxStalenessMs,
  };
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
 * Leases a connection on `route`'s backend for a read that must see `token` (none when empty): a
 * replica that has not applied the token in time is given up for the cluster's primary.
 */
export async function acquireForRead(
  cluster: Cluster,
  route: Route,
  token: string,
  ctx: StatementContext,
): Promise<{ backend: Backend; lease: Lease<DbConnection> }> {
  let backend = route.backend;
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
  return { backend, lease };
}

/**
 * Runs a Query, streaming its result into `sink`. A read-only statement whose backend fails
 * before anything reached the client is retried once, on another usable backend when there is
 * one; on a cluster with hedging on, one that has not answered within the hedge delay is also
 * sent to another backend (hedge.ts). Nothing else is ever re-sent.
 */
export async function runQuery(
  clusters: ClusterRegistry,
  runner: StatementRunner,
  cmd: QueryCommand,
  caller: Caller,
  sink: ResultSink,
): Promise<QueryTotals> {
  const { ctx, access } = caller;
  const cluster = clusters.get(cmd.cluster);
  access.useCluster(cluster.name);
  const stmt = runner.check(cmd.sql, cmd.params, 'query');
  if (!stmt.info.readOnly) access.write('a statement not proven read-only');
  const read = readRequest(stmt.info.readOnly, cmd);
  let route = cluster.routeRead(read);
  ctx.trace?.routed(route);
  let sentAnything = false;
  const tracking: ResultSink = {
    columns: (columns) => {
      sentAnything = true;
      sink.columns(columns);
    },
    rows: (rows) => {
      sentAnything = true;
      return sink.rows(rows);
    },
    onceDrain: (cb) => sink.onceDrain(cb),
  };
  // Hedging (hedge.ts) is built only when enabled: otherwise this is one property read.
  const hedging = stmt.info.readOnly ? cluster.options.hedging : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      if (hedging === undefined) return await queryOn(cluster, route, runner, stmt, cmd, ctx, tracking);
      return await hedgedRead(
        hedging,
        cluster,
        read,
        route,
        (r, c, s) => queryOn(cluster, r, runner, stmt, cmd, c, s),
        ctx,
        tracking,
      );
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

async function queryOn(
  cluster: Cluster,
  route: Route,
  runner: StatementRunner,
  stmt: CheckedStatement,
  cmd: QueryCommand,
  ctx: StatementContext,
  sink: ResultSink,
): Promise<QueryTotals> {
  const { backend, lease } = await acquireForRead(cluster, route, cmd.consistencyToken, ctx);
  try {
    return await runner.streamRows(backend, lease.resource, stmt, sink, cmd.maxRowsPerBatch, ctx);
  } finally {
    endLease(lease, stmt.info.sessionState);
  }
}

/** Runs an Execute on the cluster's primary; with an idempotency key, at most once per key (idempotency-execute.ts). */
export async function runExecute(
  clusters: ClusterRegistry,
  runner: StatementRunner,
  cmd: ExecuteCommand,
  caller: Caller,
  stores: StoreLookup = () => undefined,
): Promise<ExecuteTotals> {
  const { ctx, access } = caller;
  const cluster = clusters.get(cmd.cluster);
  access.useCluster(cluster.name);
  access.write('Execute');
  if (cmd.idempotencyKey)
    return runKeyedExecute(cluster, stores(cluster.name), runner, cmd, cmd.idempotencyKey, caller);
  const stmt = runner.check(cmd.sql, cmd.params, 'execute');
  const route = cluster.routeWrite();
  ctx.trace?.routed(route);
  const backend = route.backend;
  let lease: Lease<DbConnection> | undefined;
  try {
    lease = await backend.acquire(ctx);
    return await runner.write(backend, lease.resource, stmt, ctx);
  } catch (err) {
    // Never re-sent: the statement may have reached the server.
    const e = GatewayError.from(err);
    if (isConnectionFailure(e)) cluster.reportConnectionError(backend, e);
    throw e;
  } finally {
    if (lease) endLease(lease, stmt.info.sessionState);
  }
}
