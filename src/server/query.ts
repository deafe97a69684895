/** The Query RPC: decodes the request, streams the session's result, encodes each event. */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ResultSink } from '../session/commands.js';
import { tagged } from './call-scaffold.js';
import type { HandlerDeps } from './handler-deps.js';
import { type QueryRequestMessage, queryCommandOf } from './request-decode.js';
import { encodeQueryStats } from './response-encode.js';

/** Builds the Query handler. */
export function queryHandler(deps: HandlerDeps) {
  return (call: ServerWritableStream<QueryRequestMessage, unknown>): void => {
    const sink: ResultSink = {
      columns: (columns) => {
        call.write({ metadata: { columns } });
      },
      rows: (rows) => call.write({ rows: { rows } }),
      onceDrain: (cb) => call.once('drain', cb),
    };
    deps.scaffold.serve(
      'Query',
      call,
      {},
      (env) => deps.sessions.query(tagged(env, queryCommandOf(call.request)), env, sink),
      {
        ok: (totals, env) => {
          call.write({ stats: encodeQueryStats(totals, (process.hrtime.bigint() - env.startedNs) / 1000n) });
          call.end();
        },
        fail: (status) => call.emit('error', status),
      },
    );
  };
}
