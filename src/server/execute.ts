/** The Execute RPC: decodes the request, runs it through the session layer, encodes the outcome. */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { tagged } from './call-scaffold.js';
import type { HandlerDeps } from './handler-deps.js';
import { type ExecuteRequestMessage, executeCommandOf } from './request-decode.js';
import { encodeExecuted } from './response-encode.js';

/** Builds the Execute handler. */
export function executeHandler(deps: HandlerDeps) {
  return (call: ServerUnaryCall<ExecuteRequestMessage, unknown>, callback: sendUnaryData<unknown>): void => {
    deps.scaffold.serve(
      'Execute',
      call,
      {},
      (env) => deps.sessions.execute(tagged(env, executeCommandOf(call.request)), env),
      {
        ok: (totals, env) =>
          callback(null, encodeExecuted(totals, (process.hrtime.bigint() - env.startedNs) / 1000n)),
        fail: (status) => callback(status),
      },
    );
  };
}
