/**
 * `db.query.text` and statement names for spans, and query digest texts, computed once per distinct SQL text: a bounded
 * LRU keyed by the SQL (the same texts recur, as with the statement classifier's cache).
 */
import { classifyStatement, sanitizeSql } from '../sql/classify.js';
import { digestText } from '../sql/digest.js';

/** What a statement span is named after. */
export interface StatementDescription {
  /** `db.operation.name`: the first keyword, uppercased ('' when none). */
  readonly operation: string;
  /** `db.query.summary`: operations and tables, low cardinality. */
  readonly summary: string;
}

/** Options of {@link QueryTextCache}. */
export interface QueryTextCacheOptions {
  /** Distinct SQL texts kept. @default 1000 */
  readonly size?: number;
  /** Longer texts are computed every time and not kept, in UTF-16 units. @default 4096 */
  readonly maxCachedLength?: number;
}

class Lru<V> {
  private readonly map = new Map<string, V>();

  constructor(
    private readonly size: number,
    private readonly maxKeyLength: number,
  ) {}

  get(key: string, compute: (key: string) => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const value = compute(key);
    if (this.size > 0 && key.length <= this.maxKeyLength) {
      if (this.map.size >= this.size) {
        const oldest = this.map.keys().next();
        if (oldest.done !== true) this.map.delete(oldest.value);
      }
      this.map.set(key, value);
    }
    return value;
  }
}

/** Sanitized query texts and statement descriptions, cached. */
export class QueryTextCache {
  private readonly texts: Lru<string>;
  private readonly descriptions: Lru<StatementDescription>;
  private readonly digests: Lru<string>;

  constructor(opts: QueryTextCacheOptions = {}) {
    const size = opts.size ?? 1000;
    const max = opts.maxCachedLength ?? 4096;
    this.texts = new Lru(size, max);
    // Only the gateway's own statements (START TRANSACTION, COMMIT ...) come here: few texts.
    this.descriptions = new Lru(64, max);
    this.digests = new Lru(size, max);
  }

  /** The digest text of `sql` (sql/digest.ts): values and value lists folded, comments gone. */
  digest(sql: string): string {
    return this.digests.get(sql, (s) => digestText(s));
  }

  /** `sql` with every literal replaced by `?` (placeholders stay `?`, comments go). */
  text(sql: string): string {
    return this.texts.get(sql, (s) => sanitizeSql(s));
  }

  /** Operation and summary of a statement the classifier did not see (the gateway's own). */
  describe(sql: string): StatementDescription {
    return this.descriptions.get(sql, (s) => {
      const info = classifyStatement(s);
      return { operation: info.operation, summary: info.summary };
    });
  }
}
