/**
 * The admin HTTP listener (`config.admin`): plain node:http on its own port, loopback by
 * default, for what operators and their tools look at: `/metrics` (Prometheus), `/healthz`,
 * `/readyz`, `/status` and `/status.json`. Routes are registered by path (see
 * {@link AdminHttpServer.route}) and all go through one dispatch, so further pages plug in
 * without touching the listener. Routes showing internals go through `authorize` first unless
 * registered `public` (the health probes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves one route. May be async; a rejection answers 500. */
export type AdminRouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options of {@link AdminHttpServer.create}. */
export interface AdminHttpServerOptions {
  /** Address to listen on (`admin.host`). @default '127.0.0.1' */
  readonly host?: string;
  /** Port (`admin.port`); 0 picks any free port. */
  readonly port: number;
  /** Called when a handler throws or rejects (a log line); must not throw. */
  readonly onError?: (path: string, err: unknown) => void;
  /** Checks a request to a non-public route: `undefined` lets it through, else the refusal to send. */
  readonly authorize?: (req: IncomingMessage) => AdminRefusal | undefined;
}

/** Why a request to a non-public route is refused. */
export interface AdminRefusal {
  /** 401 (no or bad credentials) or 403 (not an admin principal). */
  readonly status: 401 | 403;
  readonly message: string;
}

/** Options of {@link AdminHttpServer.route}. */
export interface AdminRouteOptions {
  /** Served without `authorize` (liveness and readiness probes show nothing internal). @default false */
  readonly public?: boolean;
}

/** Lifecycle: `listening` -> `closed`. */
export type AdminHttpServerState = 'listening' | 'closed';

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** A listening admin HTTP server. */
export class AdminHttpServer {
  private readonly routes = new Map<string, { handler: AdminRouteHandler; public: boolean }>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The bound port (useful with port 0). */
    readonly port: number,
  ) {}

  /** Binds the listener; it answers 404 until routes are registered. */
  static async create(opts: AdminHttpServerOptions): Promise<AdminHttpServer> {
    let self: AdminHttpServer | undefined;
    const server = createServer((req, res) => {
      if (self === undefined) {
        res.writeHead(503).end();
        return;
      }
      self.dispatch(req, res, opts);
    });
    // Admin scrapes are short; do not let a stuck client hold the process open at shutdown.
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    self = new AdminHttpServer(server, (server.address() as AddressInfo).port);
    return self;
  }

  /** `listening` until {@link close} is called. */
  get state(): AdminHttpServerState {
    return this.closing === undefined ? 'listening' : 'closed';
  }

  /**
   * Registers `handler` for GET and HEAD requests to `path` (exact match, query string ignored).
   * Throws if the path is taken or does not start with `/`.
   */
  route(path: string, handler: AdminRouteHandler, opts: AdminRouteOptions = {}): void {
    if (!path.startsWith('/')) throw new TypeError(`admin route must start with "/": ${path}`);
    if (this.routes.has(path)) throw new Error(`admin route ${path} is already registered`);
    this.routes.set(path, { handler, public: opts.public === true });
  }

  /** Registered paths, in registration order. */
  get paths(): readonly string[] {
    return [...this.routes.keys()];
  }

  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    { onError, authorize }: AdminHttpServerOptions,
  ): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = this.routes.get(path);
    if (route === undefined) {
      sendJson(res, 404, { error: 'not found', paths: this.paths });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    const refusal = route.public ? undefined : authorize?.(req);
    if (refusal !== undefined) {
      if (refusal.status === 401)
        res.setHeader('www-authenticate', 'Bearer realm="mysql-grpc-gateway admin"');
      sendJson(res, refusal.status, { error: refusal.message });
      return;
    }
    const fail = (err: unknown) => {
      onError?.(path, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    };
    try {
      const out = route.handler(req, res);
      if (out instanceof Promise) out.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /**
   * Stops listening and closes every connection at once, a request in flight included: a page
   * polling several routes always has one under way, and its keep-alive connection would hold
   * the close (and the gateway's shutdown) open. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}
