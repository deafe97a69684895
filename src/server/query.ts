/** The Query RPC: a thin adapter over {@link runQuery}. */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ReadPreference } from '../routing/cluster.js';
import type { ResultWriter } from '../session/result-stream.js';
import { runQuery } from '../session/single-statement.js';
import type { WireValue } from '../sql/values.js';
import { callScope } from './call-context.js';
import type { HandlerDeps } from './handler-deps.js';
import { toStatus } from './status.js';

/** QueryRequest as proto-loader decodes it. */
export interface QueryRequestMessage {
  cluster?: string;
  sql?: string;
  params?: WireValue[];
  read_preference?: string;
  max_staleness_ms?: number;
  consistency_token?: string;
  max_rows_per_batch?: number;
}

/** Maps the proto's enum name to the router's preference (unset/unspecified = cluster default). */
export function readPreferenceOf(name: string | undefined): ReadPreference | undefined {
  if (!name || name === 'READ_PREFERENCE_UNSPECIFIED') return undefined;
  return name.replace(/^READ_PREFERENCE_/, '') as ReadPreference;
}

/** Builds the Query handler. */
export function queryHandler(deps: HandlerDeps) {
  return (call: ServerWritableStream<QueryRequestMessage, unknown>): void => {
    const started = process.hrtime.bigint();
    const trace = deps.telemetry.startCall('Query', call.metadata);
    const scope = callScope(call, trace);
    const req = call.request;
    const input = {
      cluster: req.cluster,
      sql: req.sql,
      params: req.params,
      readPreference: readPreferenceOf(req.read_preference),
      maxStalenessMs: req.max_staleness_ms,
      maxRowsPerBatch: req.max_rows_per_batch,
      consistencyToken: req.consistency_token,
    };
    const writer: ResultWriter = {
      metadata: (columns) => {
        call.write({ metadata: { columns } });
      },
      rows: (rows) => call.write({ rows: { rows } }),
      onceDrain: (cb) => call.once('drain', cb),
    };
    let principal = '';
    deps.guard
      .run(call, (access) => runQuery(deps.clusters, deps.limits, { access, ...input }, scope.ctx, writer), {
        trace,
        onIdentified: (name) => {
          principal = name;
        },
      })
      .then(
        (totals) => {
          scope.dispose();
          call.write({
            stats: {
              row_count: String(totals.rowCount),
              warning_count: totals.warningCount,
              backend: totals.backend,
              backend_role: totals.backendRole,
              elapsed_us: String((process.hrtime.bigint() - started) / 1000n),
            },
          });
          trace.end();
          call.end();
        },
        (err: unknown) => {
          scope.dispose();
          trace.end(err);
          deps.onError('Query', err, trace, principal);
          call.emit('error', toStatus(err));
        },
      );
  };
}
