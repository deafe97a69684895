/**
 * Who may read the admin HTTP pages that show internals (`/metrics`, `/status`…). On a loopback
 * listener (the default) only local processes can connect, so they are open; on any other address
 * with authentication on, a request needs `Authorization: Bearer <token>` of an admin principal.
 */
import type { IncomingMessage } from 'node:http';
import type { AdminRefusal } from './admin-http-server.js';
import { Code, GatewayError } from '../errors.js';
import type { CallGuard } from '../auth/call-guard.js';

/** `true` for addresses only the local machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The admin listener's check for non-public pages; `undefined` when every page is open. */
export function adminPageAuthorizer(
  guard: CallGuard,
  host: string,
): ((req: IncomingMessage) => AdminRefusal | undefined) | undefined {
  if (!guard.enabled || isLoopback(host)) return undefined;
  return (req) => {
    try {
      guard.adminByToken(req.headers.authorization);
      return undefined;
    } catch (err) {
      const e = GatewayError.from(err);
      return { status: e.code === Code.PERMISSION_DENIED ? 403 : 401, message: e.message };
    }
  };
}
