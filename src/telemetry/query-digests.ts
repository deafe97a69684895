/**
 * Query digest statistics (what ProxySQL's `stats_mysql_query_digest` is to its operators, with
 * percentiles): every statement is counted under its digest text (sql/digest.ts) per cluster,
 * backend role, principal and request tag, with calls, errors by gRPC code, rows, total time and
 * a DDSketch of durations for p50/p95/p99.
 *
 * Memory is bounded: at most `maxEntries` entries. When a new one would pass the bound, the
 * least-used tenth (fewest calls, then least recently seen) is folded into one `other` entry, so
 * the table never grows with distinct literal values or made-up SQL. Sketches are mergeable, so
 * `other` keeps correct percentiles of everything folded into it.
 *
 * Per statement, recording is two map lookups and a sketch insert; the key strings of a group
 * (cluster, role, principal, tag) are built once per call and backend, not per statement.
 */
import { DDSketch } from '@datadog/sketches-js';
import { type Code, codeName } from '../errors.js';

/** The digest text of the entry that evicted digests are folded into. */
export const OTHER_DIGEST = 'other';

/** Relative accuracy of the percentiles (2%: about 400 sketch bins from 1 µs to 10 s). */
const RELATIVE_ACCURACY = 0.02;

/** Options of {@link QueryDigests}. */
export interface QueryDigestsOptions {
  /** Most entries kept before the least used fold into `other`. @default 1000 */
  readonly maxEntries?: number;
  /** Wall clock for first and last seen, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** What an entry is counted under, besides its digest text. */
export interface DigestGroupKey {
  readonly cluster: string;
  /** `primary` or `replica`. */
  readonly backendRole: string;
  /** '' when authentication is off. */
  readonly principal: string;
  /** The call's request tag; '' when none. */
  readonly requestTag: string;
}

/** One entry's statistics, as reported. Durations in microseconds, times in epoch ms. */
export interface DigestStats extends DigestGroupKey {
  readonly digestText: string;
  readonly calls: number;
  /** Failed statements. */
  readonly errors: number;
  /** Failed statements by gRPC code name (`DEADLINE_EXCEEDED`, `INVALID_ARGUMENT` ...). */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Rows returned (or affected) in total. */
  readonly rows: number;
  readonly totalUs: number;
  readonly p50Us: number;
  readonly p95Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

/** How {@link QueryDigests.query} orders entries (largest first). */
export type DigestSort = 'total' | 'calls' | 'p99' | 'errors';

/** Options of {@link QueryDigests.query}. */
export interface DigestQuery {
  /** @default 'total' */
  readonly sortBy?: DigestSort;
  /** Most entries returned; 0 = all. @default 0 */
  readonly limit?: number;
  /** Only this cluster's entries ('' = all; `other` is shown only then). */
  readonly cluster?: string;
}

class Entry {
  calls = 0;
  errors = 0;
  readonly errorsByCode = new Map<number, number>();
  rows = 0;
  totalUs = 0;
  maxUs = 0;
  lastSeenMs: number;
  readonly sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });

  constructor(
    readonly digestText: string,
    readonly group: DigestGroup,
    readonly firstSeenMs: number,
  ) {
    this.lastSeenMs = firstSeenMs;
  }

  add(us: number, rows: number, code: number, nowMs: number): void {
    this.calls++;
    this.rows += rows;
    this.totalUs += us;
    if (us > this.maxUs) this.maxUs = us;
    this.sketch.accept(us);
    this.lastSeenMs = nowMs;
    if (code !== 0) {
      this.errors++;
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
    }
  }

  merge(e: Entry): void {
    this.calls += e.calls;
    this.errors += e.errors;
    for (const [code, n] of e.errorsByCode)
      this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + n);
    this.rows += e.rows;
    this.totalUs += e.totalUs;
    if (e.maxUs > this.maxUs) this.maxUs = e.maxUs;
    if (e.lastSeenMs > this.lastSeenMs) this.lastSeenMs = e.lastSeenMs;
    this.sketch.merge(e.sketch);
  }

  stats(firstSeenMs = this.firstSeenMs): DigestStats {
    const q = (p: number) =>
      this.calls === 0 ? 0 : Math.min(this.maxUs, Math.max(1, Math.round(this.sketch.getValueAtQuantile(p))));
    const errorsByCode: Record<string, number> = {};
    for (const [code, n] of this.errorsByCode) errorsByCode[codeName(code as Code)] = n;
    return {
      digestText: this.digestText,
      cluster: this.group.cluster,
      backendRole: this.group.backendRole,
      principal: this.group.principal,
      requestTag: this.group.requestTag,
      calls: this.calls,
      errors: this.errors,
      errorsByCode,
      rows: this.rows,
      totalUs: Math.round(this.totalUs),
      p50Us: q(0.5),
      p95Us: q(0.95),
      p99Us: q(0.99),
      maxUs: Math.round(this.maxUs),
      firstSeenMs: Math.floor(firstSeenMs),
      lastSeenMs: Math.floor(this.lastSeenMs),
    };
  }
}

/**
 * The entries of one (cluster, role, principal, tag). Callers keep it for a call and pass it to
 * {@link QueryDigests.record}; once evicted empty or reset, `live` is false and recording looks
 * the group up again.
 */
export class DigestGroup implements DigestGroupKey {
  /** @internal */
  readonly entries = new Map<string, Entry>();
  /** @internal */
  live = true;

  constructor(
    readonly cluster: string,
    readonly backendRole: string,
    readonly principal: string,
    readonly requestTag: string,
  ) {}
}

const OTHER_GROUP = new DigestGroup('', '', '', '');

/** The bounded digest table of one gateway. */
export class QueryDigests {
  private readonly groups = new Map<string, DigestGroup>();
  private size = 0;
  private other: Entry | undefined;
  /** First seen of `other`: the earliest of what was folded in. */
  private otherFirstSeenMs = 0;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: QueryDigestsOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? 1000);
    this.now = opts.now ?? Date.now;
  }

  /** Entries held, `other` not included. */
  get entryCount(): number {
    return this.size;
  }

  /** The group of `key`, created when missing. Keep it for the call: the lookup builds a string. */
  group(key: DigestGroupKey): DigestGroup {
    const k = `${key.cluster}\u0000${key.backendRole}\u0000${key.principal}\u0000${key.requestTag}`;
    let g = this.groups.get(k);
    if (g === undefined) {
      g = new DigestGroup(key.cluster, key.backendRole, key.principal, key.requestTag);
      this.groups.set(k, g);
    }
    return g;
  }

  /**
   * Counts one statement of digest `digestText` in `group`: it took `us` microseconds and returned
   * `rows` rows; `code` is its gRPC code, 0 when it succeeded; `nowMs` is when it ended (epoch ms,
   * the clock's when not given). Returns the group it was counted in (another one when `group`
   * was dropped meanwhile): keep that one.
   */
  record(
    group: DigestGroup,
    digestText: string,
    us: number,
    rows: number,
    code: number,
    nowMs: number = this.now(),
  ): DigestGroup {
    const g = group.live ? group : this.group(group);
    let e = g.entries.get(digestText);
    if (e === undefined) {
      if (this.size >= this.maxEntries) this.evict();
      e = new Entry(digestText, g, nowMs);
      // Eviction may have dropped `g` itself when it was empty.
      if (!g.live) return this.record(g, digestText, us, rows, code, nowMs);
      g.entries.set(digestText, e);
      this.size++;
    }
    e.add(us, rows, code, nowMs);
    return g;
  }

  /** Every entry (and `other`, unless filtered by cluster), sorted and limited as asked. */
  query(q: DigestQuery = {}): DigestStats[] {
    const cluster = q.cluster ?? '';
    const all: Entry[] = [];
    for (const g of this.groups.values()) {
      if (cluster !== '' && g.cluster !== cluster) continue;
      for (const e of g.entries.values()) all.push(e);
    }
    const stats = all.map((e) => e.stats());
    if (this.other !== undefined && cluster === '') stats.push(this.other.stats(this.otherFirstSeenMs));
    const key = SORT_KEYS[q.sortBy ?? 'total'];
    stats.sort(
      (a, b) => key(b) - key(a) || b.totalUs - a.totalUs || a.digestText.localeCompare(b.digestText),
    );
    const limit = q.limit ?? 0;
    return limit > 0 ? stats.slice(0, limit) : stats;
  }

  /** Forgets every entry (`other` included). */
  reset(): void {
    for (const g of this.groups.values()) g.live = false;
    this.groups.clear();
    this.size = 0;
    this.other = undefined;
  }

  /** Folds the least-used tenth of the entries into `other`. */
  private evict(): void {
    const all: Entry[] = [];
    for (const g of this.groups.values()) for (const e of g.entries.values()) all.push(e);
    all.sort((a, b) => a.calls - b.calls || a.lastSeenMs - b.lastSeenMs);
    const n = Math.max(1, Math.ceil(this.maxEntries / 10));
    for (const e of all.slice(0, n)) {
      if (this.other === undefined) {
        this.other = new Entry(OTHER_DIGEST, OTHER_GROUP, e.firstSeenMs);
        this.otherFirstSeenMs = e.firstSeenMs;
      }
      this.other.merge(e);
      if (e.firstSeenMs < this.otherFirstSeenMs) this.otherFirstSeenMs = e.firstSeenMs;
      const g = e.group;
      g.entries.delete(e.digestText);
      this.size--;
      if (g.entries.size === 0) {
        g.live = false;
        this.groups.delete(`${g.cluster}\u0000${g.backendRole}\u0000${g.principal}\u0000${g.requestTag}`);
      }
    }
  }
}

const SORT_KEYS: Record<DigestSort, (s: DigestStats) => number> = {
  total: (s) => s.totalUs,
  calls: (s) => s.calls,
  p99: (s) => s.p99Us,
  errors: (s) => s.errors,
};
