/**
 * Liveness and readiness for orchestrators: `/healthz` answers 200 while the process serves
 * HTTP at all; `/readyz` answers 200 when every cluster's primary is usable (the same rule as the
 * per-cluster grpc.health status), else 503, both with a JSON body naming each cluster's state.
 */
import type { ServerResponse } from 'node:http';
import { type AdminHttpServer, sendJson } from './admin-http-server.js';

/** A cluster as readiness sees it (a `Cluster` fits). */
export interface ReadinessCluster {
  readonly name: string;
  /** The primary is not down. */
  readonly serving: boolean;
  readonly primary: { readonly name: string };
  readonly health?: { health(name: string): { readonly state: string } };
}

/** The `/readyz` verdict. */
export interface Readiness {
  readonly ready: boolean;
  readonly clusters: Record<
    string,
    { readonly serving: boolean; readonly primary: string; readonly state: string }
  >;
}

/** Judges readiness: every cluster serving (no clusters: ready). */
export function readiness(clusters: readonly ReadinessCluster[]): Readiness {
  const out: Readiness['clusters'] = {};
  let ready = true;
  for (const c of clusters) {
    ready &&= c.serving;
    out[c.name] = {
      serving: c.serving,
      primary: c.primary.name,
      state: c.health?.health(c.primary.name).state ?? 'healthy',
    };
  }
  return { ready, clusters: out };
}

/** Registers `/healthz` and `/readyz` on `server`. */
export function addHealthRoutes(server: AdminHttpServer, clusters: () => readonly ReadinessCluster[]): void {
  server.route('/healthz', (_req, res: ServerResponse) => sendJson(res, 200, { status: 'ok' }), {
    public: true,
  });
  server.route(
    '/readyz',
    (_req, res: ServerResponse) => {
      const r = readiness(clusters());
      sendJson(res, r.ready ? 200 : 503, r);
    },
    { public: true },
  );
}
