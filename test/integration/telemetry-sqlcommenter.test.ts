/**
 * sqlcommenter: with `telemetry.sqlCommenter` on, the SQL text MySQL receives ends with the
 * statement span's traceparent (the server's own PROCESSLIST shows it); off by default.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { type AnyMessage, query, TxStream, v } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import { inMemoryTelemetry, parentId, traceOf } from './helpers/telemetry.js';

/** The statement as the server sees it, read by the statement itself. */
const SELF = 'SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()';

function cell(rows: AnyMessage[][]): string {
  return String((rows[0] as AnyMessage[])[0].string_value);
}

test.serial('on: the traceparent of the statement span is appended to the SQL sent', async (t) => {
  const tel = inMemoryTelemetry();
  const gw = await startGateway({ telemetry: { enabled: true, sqlCommenter: true } }, tel.options);
  t.teardown(() => gw.stop());
  const out = await query(gw.client, { sql: SELF });
  const { children } = await traceOf(tel.spans, 'Query');
  const stmt = children[0] as ReadableSpan;
  const sc = stmt.spanContext();
  t.is(cell(out.rows), `${SELF} /*traceparent='00-${sc.traceId}-${sc.spanId}-01'*/`);
  t.is(stmt.attributes['db.query.text'], SELF, 'the span shows the statement as the client sent it');

  // Params, a trailing semicolon and statements inside a transaction.
  const tx = new TxStream(gw.client);
  await tx.begin();
  const r = await tx.query(`${SELF} AND ? = ?;`, [v.i64(1), v.i64(1)]);
  await tx.rollback();
  await tx.status;
  const text = cell(r.rows);
  const tr = await traceOf(tel.spans, 'Transaction', (s) =>
    tel.spans
      .getFinishedSpans()
      .some((c) => parentId(c) === s.spanContext().spanId && c.name.startsWith('SELECT')),
  );
  const sel = tr.children.find((c) => c.name.startsWith('SELECT')) as ReadableSpan;
  // The comment goes in front of the terminator (which the server does not echo back).
  t.is(
    text,
    `${SELF} AND ? = ? /*traceparent='00-${sel.spanContext().traceId}-${sel.spanContext().spanId}-01'*/`,
  );
  await gw.assertNoLeaks();
});

test.serial('off (the default): the SQL reaches MySQL unchanged', async (t) => {
  const tel = inMemoryTelemetry();
  const gw = await startGateway({ telemetry: { enabled: true } }, tel.options);
  t.teardown(() => gw.stop());
  t.false(gw.gateway.config.telemetry.sqlCommenter);
  const out = await query(gw.client, { sql: SELF });
  t.is(cell(out.rows), SELF);
  await gw.assertNoLeaks();
});

test.serial('a statement that already holds a comment is left alone', async (t) => {
  const tel = inMemoryTelemetry();
  const gw = await startGateway({ telemetry: { enabled: true, sqlCommenter: true } }, tel.options);
  t.teardown(() => gw.stop());
  const sql = `${SELF} /* mine */`;
  const out = await query(gw.client, { sql });
  t.is(cell(out.rows), sql);
  await gw.assertNoLeaks();
});
