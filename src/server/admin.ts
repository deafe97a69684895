/**
 * The Admin RPCs (thin adapters): GetStatus answers the gateway's status snapshot
 * (admin/gateway-status.ts, the same one the admin HTTP `/status.json` serves) in the proto's
 * encoding (admin/status-encoding.ts); GetQueryStats answers the query digests
 * (telemetry/query-digests.ts) in theirs (admin/query-stats.ts).
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { encodeGetQueryStatsResponse } from '../admin/query-stats.js';
import { encodeGetStatusResponse } from '../admin/status-encoding.js';
import type { HandlerDeps } from './handler-deps.js';
import { type GetQueryStatsRequestMessage, queryStatsRequestOf } from './request-decode.js';

/** Builds the GetStatus handler. */
export function getStatusHandler(deps: HandlerDeps) {
  return (call: ServerUnaryCall<{ cluster?: string }, unknown>, callback: sendUnaryData<unknown>): void => {
    deps.scaffold.serve(
      'GetStatus',
      call,
      { admin: true },
      async () => encodeGetStatusResponse(deps.status(call.request.cluster || undefined)),
      {
        ok: (response) => callback(null, response),
        fail: (status) => callback(status),
      },
    );
  };
}

/** Builds the GetQueryStats handler: the digests sorted, filtered and limited as asked, then reset when asked. */
export function getQueryStatsHandler(deps: HandlerDeps) {
  return (
    call: ServerUnaryCall<GetQueryStatsRequestMessage, unknown>,
    callback: sendUnaryData<unknown>,
  ): void => {
    deps.scaffold.serve(
      'GetQueryStats',
      call,
      { admin: true },
      async () => {
        const { query, reset } = queryStatsRequestOf(call.request);
        const { digests, maxEntries } = deps.queryStats;
        const response = encodeGetQueryStatsResponse(digests, query, maxEntries);
        if (reset) digests?.reset();
        return response;
      },
      {
        ok: (response) => callback(null, response),
        fail: (status) => callback(status),
      },
    );
  };
}
