/**
 * The one place where {@link GatewayError}s become gRPC statuses. Structured details travel in
 * trailing metadata that any language's gRPC client can read:
 * `mysql-errno`, `mysql-sqlstate` and `gateway-reason`, and `x-consistency-token` on errors that carry one.
 */
import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { GatewayError } from '../errors.js';

/** Trailer names (ASCII metadata keys). */
export const TRAILER = {
  errno: 'mysql-errno',
  sqlState: 'mysql-sqlstate',
  reason: 'gateway-reason',
  consistencyToken: 'x-consistency-token',
} as const;

/** A status for grpc-js: `callback(err)` for unary calls, `call.emit('error', err)` for streams. */
export type WireStatus = Partial<StatusObject> & { code: number; details: string; metadata: Metadata };

/** Maps anything caught to a status. Messages never carry stack traces or parameter values. */
export function toStatus(err: unknown): WireStatus {
  const e = GatewayError.from(err);
  const metadata = new Metadata();
  metadata.set(TRAILER.reason, e.reason);
  if (e.mysqlErrno !== undefined) metadata.set(TRAILER.errno, String(e.mysqlErrno));
  if (e.sqlState !== undefined) metadata.set(TRAILER.sqlState, e.sqlState);
  if (e.consistencyToken) metadata.set(TRAILER.consistencyToken, e.consistencyToken);
  return { code: e.code, details: e.message, metadata };
}
