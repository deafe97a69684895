/**
 * The query digests (telemetry/query-digests.ts) as operators read them: `GetQueryStatsResponse`
 * for the gRPC Admin.GetQueryStats (server/admin.ts) and the `query_digests` list of the admin
 * HTTP `/status.json`. Field names are the proto's (`mysqlgateway.v1.QueryDigest`, snake_case);
 * the JSON has numbers where the proto has uint64 strings.
 */
import type { DigestQuery, DigestStats, QueryDigests } from '../telemetry/query-digests.js';

/** One digest entry (proto `QueryDigest`), JSON numbers. */
export interface QueryDigestJson {
  readonly digest_text: string;
  readonly cluster: string;
  readonly backend_role: string;
  readonly principal: string;
  readonly request_tag: string;
  readonly calls: number;
  readonly errors: number;
  readonly errors_by_code: Readonly<Record<string, number>>;
  readonly rows: number;
  readonly total_us: number;
  readonly p50_us: number;
  readonly p95_us: number;
  readonly p99_us: number;
  readonly max_us: number;
  readonly first_seen_ms: number;
  readonly last_seen_ms: number;
}

/** How many digests `/status.json` lists (the top ones by total time). */
export const STATUS_DIGESTS = 20;

/** `s` with the proto's field names. */
export function digestJson(s: DigestStats): QueryDigestJson {
  return {
    digest_text: s.digestText,
    cluster: s.cluster,
    backend_role: s.backendRole,
    principal: s.principal,
    request_tag: s.requestTag,
    calls: s.calls,
    errors: s.errors,
    errors_by_code: s.errorsByCode,
    rows: s.rows,
    total_us: s.totalUs,
    p50_us: s.p50Us,
    p95_us: s.p95Us,
    p99_us: s.p99Us,
    max_us: s.maxUs,
    first_seen_ms: s.firstSeenMs,
    last_seen_ms: s.lastSeenMs,
  };
}

/** The top {@link STATUS_DIGESTS} digests by total time, for `/status.json` (empty when digests are off). */
export function statusDigests(digests: QueryDigests | undefined): QueryDigestJson[] {
  return digests === undefined
    ? []
    : digests.query({ sortBy: 'total', limit: STATUS_DIGESTS }).map(digestJson);
}

const UINT64_FIELDS = [
  'calls',
  'errors',
  'rows',
  'total_us',
  'p50_us',
  'p95_us',
  'p99_us',
  'max_us',
  'first_seen_ms',
  'last_seen_ms',
] as const;

/** `GetQueryStatsResponse` (proto-loader's input form: uint64 as decimal strings). */
export function encodeGetQueryStatsResponse(
  digests: QueryDigests | undefined,
  q: DigestQuery,
  maxEntries: number,
): Record<string, unknown> {
  const entries =
    digests?.query(q).map((s) => {
      const j = digestJson(s);
      const e: Record<string, unknown> = { ...j };
      for (const f of UINT64_FIELDS) e[f] = String(j[f]);
      e.errors_by_code = Object.fromEntries(Object.entries(j.errors_by_code).map(([k, v]) => [k, String(v)]));
      return e;
    }) ?? [];
  return {
    entries,
    total_entries: digests?.entryCount ?? 0,
    max_entries: maxEntries,
    enabled: digests !== undefined,
  };
}
