/**
 * The status routes (thin adapters over the one status snapshot, gateway-status.ts, that
 * Admin.GetStatus answers too): `/status.json` sends it, `/status` sends the page that shows it
 * (status-page.ts). Both show internals (backend addresses, errors, pool figures): they are
 * registered through {@link AdminHttpServer.route} like every admin route, on a listener bound to
 * loopback by default.
 */
import type { ServerResponse } from 'node:http';
import type { GatewayStatus } from './gateway-status.js';
import type { StatusHistoryJson } from './status-history.js';
import { type AdminHttpServer, sendJson } from './admin-http-server.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

const PAGE_BYTES = Buffer.from(STATUS_PAGE_HTML, 'utf8');

function sendPage(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': PAGE_BYTES.length,
    'content-security-policy': STATUS_PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(PAGE_BYTES);
}

/**
 * Registers `/status.json` (the snapshot `status()` returns, with what `extras()` adds, e.g. the
 * top `query_digests`), `/status/history.json` (the last minutes, `history()`; an empty history
 * without it) and `/status` (the page) on `server`.
 */
export function addStatusRoutes(
  server: AdminHttpServer,
  status: () => GatewayStatus,
  history: () => StatusHistoryJson = () => ({ interval_ms: 1000, samples: [] }),
  extras: () => Record<string, unknown> = () => ({}),
): void {
  server.route('/status.json', (_req, res) => sendJson(res, 200, { ...status(), ...extras() }));
  server.route('/status/history.json', (_req, res) => sendJson(res, 200, history()));
  server.route('/status', (_req, res) => sendPage(res));
}
