/** The Query RPC: decodes the request, streams the session's result, encodes each event. */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { tagged } from './call-scaffold.js';
import type { HandlerDeps } from './handler-deps.js';
import { QueryAnswer } from './query-answer.js';
import { type QueryRequestMessage, queryCommandOf } from './request-decode.js';
import { encodeQueryStats } from './response-encode.js';

/** Builds the Query handler. */
export function queryHandler(deps: HandlerDeps) {
  return (call: ServerWritableStream<QueryRequestMessage, unknown>): void => {
    const answer = new QueryAnswer(call, call.request.accept_single_message === true);
    deps.scaffold.serve(
      'Query',
      call,
      {},
      (env) => deps.sessions.query(tagged(env, queryCommandOf(call.request)), env, answer),
      {
        ok: (totals, env) =>
          answer.finish(encodeQueryStats(totals, (process.hrtime.bigint() - env.startedNs) / 1000n)),
        fail: (status) => {
          answer.drop();
          call.emit('error', status);
        },
      },
    );
  };
}
