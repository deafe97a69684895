/**
 * The Admin RPC (thin adapter): GetStatus answers the gateway's status snapshot
 * (admin/gateway-status.ts, the same one the admin HTTP `/status.json` serves) in the proto's
 * encoding (admin/status-encoding.ts).
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { encodeGetStatusResponse } from '../admin/status-encoding.js';
import type { HandlerDeps } from './handler-deps.js';

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
