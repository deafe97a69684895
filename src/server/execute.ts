/** The Execute RPC: a thin adapter over {@link runExecute}. */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { runExecute } from '../session/single-statement.js';
import type { WireValue } from '../sql/values.js';
import { callScope } from './call-context.js';
import type { HandlerDeps } from './handler-deps.js';
import { toStatus } from './status.js';

/** ExecuteRequest as proto-loader decodes it. */
export interface ExecuteRequestMessage {
  cluster?: string;
  sql?: string;
  params?: WireValue[];
}

/** Builds the Execute handler. */
export function executeHandler(deps: HandlerDeps) {
  return (call: ServerUnaryCall<ExecuteRequestMessage, unknown>, callback: sendUnaryData<unknown>): void => {
    const started = process.hrtime.bigint();
    const trace = deps.telemetry.startCall('Execute', call.metadata);
    const scope = callScope(call, trace);
    const req = call.request;
    let principal = '';
    deps.guard
      .run(
        call,
        (access) =>
          runExecute(
            deps.clusters,
            deps.limits,
            { access, cluster: req.cluster, sql: req.sql, params: req.params },
            scope.ctx,
          ),
        {
          trace,
          onIdentified: (name) => {
            principal = name;
          },
        },
      )
      .then(
        (t) => {
          scope.dispose();
          trace.end();
          callback(null, {
            affected_rows: String(t.affectedRows),
            last_insert_id: t.lastInsertId,
            warning_count: t.warningCount,
            info: t.info,
            backend: t.backend,
            consistency_token: t.consistencyToken,
            elapsed_us: String((process.hrtime.bigint() - started) / 1000n),
          });
        },
        (err: unknown) => {
          scope.dispose();
          trace.end(err);
          deps.onError('Execute', err, trace, principal);
          callback(toStatus(err));
        },
      );
  };
}
