/**
 * sqlcommenter (https://google.github.io/sqlcommenter/spec/): the statement's W3C `traceparent`
 * appended to the SQL text sent to MySQL as a comment, so that the slow query log, the general
 * log and `performance_schema` can be joined to traces. Never `SET @var`: that would pin session
 * state on pooled connections.
 *
 * The comment makes every statement's text unique, so the per-connection prepared statement
 * cache no longer hits (each statement is prepared and closed). That is why
 * `telemetry.sqlCommenter` is off by default.
 */

/**
 * `sql` with `/*traceparent='…'*\/` appended (before a trailing `;`). A statement that already
 * holds a comment, or what might be one, is returned unchanged, as the specification requires.
 * `traceparent` must be a W3C traceparent (hex digits and dashes only).
 */
export function withSqlComment(sql: string, traceparent: string): string {
  if (sql.includes('/*') || sql.includes('--') || sql.includes('#')) return sql;
  // Trailing terminators and whitespace stay behind the comment (scanned backwards: linear).
  let cut = sql.length;
  while (cut > 0 && /[\s;]/.test(sql[cut - 1] as string)) cut--;
  return `${sql.slice(0, cut)} /*traceparent='${traceparent}'*/${sql.slice(cut)}`;
}

/** The W3C `traceparent` of a span context. */
export function traceparentOf(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
