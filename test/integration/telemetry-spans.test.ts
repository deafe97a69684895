/**
 * Spans of real calls through a real gateway, caught by an in-memory exporter: the SERVER span
 * per RPC, a CLIENT span per statement under it, their attributes (RPC and database semantic
 * conventions, routing, pool wait), failures (gRPC code, MySQL errno), one span for a whole
 * Transaction stream, and W3C traceparent continuation.
 */
import { Metadata } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { Code } from '../../src/errors.js';
import { sandbox } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query, TxStream, v } from './helpers/client.js';
import { allHealthy } from './helpers/cluster.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { type InMemoryTelemetry, inMemoryTelemetry, parentId, traceOf } from './helpers/telemetry.js';

const T = 'tel_span_items';
let gw: TestGateway;
let tel: InMemoryTelemetry;

test.before(async () => {
  tel = inMemoryTelemetry();
  gw = await startGateway(
    { telemetry: { enabled: true, samplingRatio: 1 }, clusters: { default: sandboxClusterConfig() } },
    tel.options,
  );
  await allHealthy(gw);
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB` });
});

test.after.always(async () => {
  if (!gw) return;
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** A marker that makes a call's spans easy to find: the SQL text of its statement span. */
function byText(spans: ReadableSpan[], text: string): ReadableSpan | undefined {
  return spans.find((s) => s.attributes['db.query.text'] === text);
}

test.serial('Query: a SERVER span with the RPC attributes and one CLIENT child per statement', async (t) => {
  await execute(gw.client, { sql: `INSERT INTO ${T} VALUES (1, 'a'), (2, 'b'), (3, 'c')` });
  const sql = `SELECT id, note FROM ${T} WHERE id <= ? ORDER BY id`;
  const out = await query(gw.client, { sql, params: [v.i64(2)], read_preference: 'READ_PREFERENCE_PRIMARY' });
  t.is(out.rows.length, 2);
  const { server, children } = await traceOf(tel.spans, 'Query', (s) =>
    tel.spans
      .getFinishedSpans()
      .some((c) => parentId(c) === s.spanContext().spanId && c.attributes['db.query.text'] === sql),
  );
  t.is(server.kind, SpanKind.SERVER);
  t.is(parentId(server), undefined, 'a root span without an incoming traceparent');
  t.like(server.attributes, {
    'rpc.system.name': 'grpc',
    'rpc.method': 'mysqlgateway.v1.Gateway/Query',
    'rpc.status_code': 'OK',
    'rpc.grpc.status_code': Code.OK,
    'rpc.system': 'grpc',
    'rpc.service': 'mysqlgateway.v1.Gateway',
    'mysqlgateway.cluster': 'default',
    'mysqlgateway.route.reason': 'read preference PRIMARY',
    'mysqlgateway.backend.role': 'primary',
    'mysqlgateway.rows': 2,
  });
  t.is(server.attributes['error.type'], undefined);
  t.is(server.status.code, SpanStatusCode.UNSET);
  t.is(children.length, 1);
  const stmt = children[0] as ReadableSpan;
  t.is(stmt.kind, SpanKind.CLIENT);
  t.is(stmt.name, `SELECT ${T}`, 'named after db.query.summary');
  t.like(stmt.attributes, {
    'db.system.name': 'mariadb',
    'db.namespace': 'gwtest',
    'db.operation.name': 'SELECT',
    'db.query.summary': `SELECT ${T}`,
    'db.query.text': sql,
    'server.address': sandbox.host,
    'server.port': sandbox.primaryPort,
    'db.response.returned_rows': 2,
    'mysqlgateway.backend.role': 'primary',
    'mysqlgateway.route.reason': 'read preference PRIMARY',
    'db.client.connection.pool.name': `default/primary ${sandbox.host}:${sandbox.primaryPort}`,
  });
  t.is(typeof stmt.attributes['mysqlgateway.pool.wait.duration'], 'number', 'the pool wait is on the span');
  t.is(typeof stmt.attributes['mysqlgateway.connection.id'], 'number');
  t.is(stmt.status.code, SpanStatusCode.UNSET);
  // The statement span lies within the call's span.
  // Nanoseconds as BigInt: as a double, 1.8e18 ns has a 256 ns step.
  const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  t.true(ns(stmt.startTime) >= ns(server.startTime), 'the statement starts within the call');
  t.true(ns(stmt.endTime) <= ns(server.endTime), 'the statement ends within the call');
});

test.serial('the routing decision shows which replica served a read and why', async (t) => {
  const sql = 'SELECT ? AS routed_read';
  await query(gw.client, { sql, params: [v.i64(7)], read_preference: 'READ_PREFERENCE_REPLICA' });
  const { server, children } = await traceOf(tel.spans, 'Query', (s) =>
    tel.spans
      .getFinishedSpans()
      .some((c) => parentId(c) === s.spanContext().spanId && c.attributes['db.query.text'] === sql),
  );
  t.like(server.attributes, {
    'mysqlgateway.backend.role': 'replica',
    'mysqlgateway.route.reason': 'read preference REPLICA',
  });
  const stmt = children[0] as ReadableSpan;
  t.true(sandbox.replicaPorts.includes(stmt.attributes['server.port'] as number));
  t.is(stmt.attributes['mysqlgateway.backend.role'], 'replica');
  t.is(stmt.attributes['mysqlgateway.route.reason'], 'read preference REPLICA');
  t.is(stmt.attributes['db.query.text'], 'SELECT ? AS routed_read');
});

test.serial(
  'Execute: the statement span carries the operation, summary and placeholder-only text',
  async (t) => {
    const sql = `INSERT INTO ${T} (id, note) VALUES (?, ?)`;
    await execute(gw.client, { sql, params: [v.i64(10), v.str('ten')] });
    const { server, children } = await traceOf(tel.spans, 'Execute', (s) =>
      tel.spans
        .getFinishedSpans()
        .some((c) => parentId(c) === s.spanContext().spanId && c.attributes['db.query.text'] === sql),
    );
    t.like(server.attributes, {
      'rpc.method': 'mysqlgateway.v1.Gateway/Execute',
      'rpc.status_code': 'OK',
      'mysqlgateway.route.reason': 'write',
    });
    t.is(children.length, 1);
    t.like((children[0] as ReadableSpan).attributes, {
      'db.operation.name': 'INSERT',
      'db.query.summary': `INSERT ${T}`,
      'db.query.text': sql,
      'server.port': sandbox.primaryPort,
      'db.response.returned_rows': 0,
    });
  },
);

test.serial('a literal in the SQL text never reaches db.query.text', async (t) => {
  await query(gw.client, { sql: `SELECT note FROM ${T} WHERE note = 'literal-in-sql' AND id > 41` });
  const span = await traceOf(tel.spans, 'Query', (s) =>
    tel.spans
      .getFinishedSpans()
      .some(
        (c) =>
          parentId(c) === s.spanContext().spanId &&
          String(c.attributes['db.query.text']).includes('note = ?'),
      ),
  );
  const stmt = span.children[0] as ReadableSpan;
  t.is(stmt.attributes['db.query.text'], `SELECT note FROM ${T} WHERE note = ? AND id > ?`);
});

test.serial('Transaction: ONE span from begin to end, every statement a child, in order', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin({ isolation_level: 'ISOLATION_LEVEL_READ_COMMITTED' });
  await tx.execute(`INSERT INTO ${T} VALUES (?, ?)`, [v.i64(20), v.str('tx')]);
  await tx.query(`SELECT note FROM ${T} WHERE id = ?`, [v.i64(20)]);
  await tx.commit();
  t.is(await tx.status, null);
  const { server, spans, children } = await traceOf(tel.spans, 'Transaction', (s) =>
    tel.spans
      .getFinishedSpans()
      .some((c) => parentId(c) === s.spanContext().spanId && c.attributes['db.operation.name'] === 'COMMIT'),
  );
  t.is(spans.filter((s) => s.kind === SpanKind.SERVER).length, 1, 'one span for the stream');
  t.deepEqual(
    children.map((c) => c.attributes['db.operation.name']),
    ['SET', 'START', 'INSERT', 'SELECT', 'COMMIT'],
  );
  t.true(children.every((c) => c.kind === SpanKind.CLIENT));
  t.true(spans.every((s) => s === server || parentId(s) === server.spanContext().spanId));
  t.like(server.attributes, {
    'rpc.method': 'mysqlgateway.v1.Gateway/Transaction',
    'rpc.status_code': 'OK',
    'mysqlgateway.transaction.outcome': 'committed',
    'mysqlgateway.route.reason': 'write',
    'mysqlgateway.rows': 1,
  });
  // The pool wait belongs to the first statement on the pinned connection.
  t.is(typeof (children[0] as ReadableSpan).attributes['mysqlgateway.pool.wait.duration'], 'number');
  t.is((children[2] as ReadableSpan).attributes['mysqlgateway.pool.wait.duration'], undefined);
  // All on one connection.
  t.is(new Set(children.map((c) => c.attributes['mysqlgateway.connection.id'])).size, 1);
});

test.serial('Transaction rollback: the ROLLBACK statement is a child and the outcome says so', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (30, 'undone')`);
  await tx.rollback();
  t.is(await tx.status, null);
  const { server, children } = await traceOf(tel.spans, 'Transaction', (s) =>
    tel.spans
      .getFinishedSpans()
      .some(
        (c) => parentId(c) === s.spanContext().spanId && c.attributes['db.operation.name'] === 'ROLLBACK',
      ),
  );
  t.deepEqual(
    children.map((c) => c.attributes['db.operation.name']),
    ['START', 'INSERT', 'ROLLBACK'],
  );
  t.is(server.attributes['mysqlgateway.transaction.outcome'], 'rolledBack');
});

test.serial(
  'a failed statement: gRPC code on the call span, MySQL errno on the statement span',
  async (t) => {
    const sql = `INSERT INTO ${T} (id, note) VALUES (?, ?)`;
    await execute(gw.client, { sql, params: [v.i64(40), v.str('first')] });
    const err = await t.throwsAsync(execute(gw.client, { sql, params: [v.i64(40), v.str('dup')] }));
    t.is(errorDetails(err).errno, '1062');
    const { server, children } = await traceOf(
      tel.spans,
      'Execute',
      (s) => s.attributes['rpc.status_code'] !== 'OK',
    );
    t.like(server.attributes, {
      'rpc.status_code': 'ALREADY_EXISTS',
      'rpc.grpc.status_code': Code.ALREADY_EXISTS,
      'error.type': 'ALREADY_EXISTS',
      'mysqlgateway.reason': 'DUPLICATE_KEY',
    });
    // A caller's error: the SERVER span status stays unset (OpenTelemetry gRPC conventions).
    t.is(server.status.code, SpanStatusCode.UNSET);
    const stmt = children[0] as ReadableSpan;
    t.like(stmt.attributes, {
      'db.response.status_code': '1062',
      'error.type': '1062',
      'mysqlgateway.reason': 'DUPLICATE_KEY',
    });
    t.is(stmt.status.code, SpanStatusCode.ERROR);
    t.is(stmt.status.message, 'ALREADY_EXISTS DUPLICATE_KEY', 'code and reason, not the server message');
    t.is(stmt.attributes['db.response.returned_rows'], undefined);
  },
);

test.serial('a failure before MySQL: error.type on the call span and no statement span', async (t) => {
  const err = await t.throwsAsync(query(gw.client, { cluster: 'nope', sql: 'SELECT 1' }));
  t.is(errorDetails(err).reason, 'UNKNOWN_CLUSTER');
  const { server, spans } = await traceOf(
    tel.spans,
    'Query',
    (s) => s.attributes['rpc.status_code'] === 'NOT_FOUND',
  );
  t.like(server.attributes, {
    'error.type': 'NOT_FOUND',
    'rpc.grpc.status_code': Code.NOT_FOUND,
    'mysqlgateway.reason': 'UNKNOWN_CLUSTER',
  });
  t.is(spans.length, 1);
});

test.serial('an in-band transaction error marks its statement span; the stream goes on', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  const bad = await tx.query('SELECT * FROM tel_no_such_table');
  t.is(bad.last.error.mysql_errno, 1146);
  await tx.rollback();
  await tx.status;
  const { children } = await traceOf(tel.spans, 'Transaction', (s) =>
    tel.spans
      .getFinishedSpans()
      .some(
        (c) => parentId(c) === s.spanContext().spanId && c.attributes['db.response.status_code'] === '1146',
      ),
  );
  const failed = byText(children, 'SELECT * FROM tel_no_such_table') as ReadableSpan;
  t.is(failed.status.code, SpanStatusCode.ERROR);
  t.is(failed.attributes['error.type'], '1146');
});

test.serial('an incoming W3C traceparent continues the caller’s trace', async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const md = new Metadata();
  md.set('traceparent', `00-${traceId}-${callerSpan}-01`);
  md.set('tracestate', 'vendor=opaque');
  await new Promise<void>((resolve, reject) => {
    const call = gw.client.Query({ sql: 'SELECT 1 AS continued' }, md) as AnyMessage;
    call.on('data', () => {});
    call.on('error', reject);
    call.on('end', resolve);
  });
  const { server, children } = await traceOf(tel.spans, 'Query', (s) => s.spanContext().traceId === traceId);
  t.is(server.parentSpanContext?.spanId, callerSpan);
  t.true(server.parentSpanContext?.isRemote);
  t.is(server.spanContext().traceState?.get('vendor'), 'opaque');
  t.is(children.length, 1);
  t.is((children[0] as ReadableSpan).spanContext().traceId, traceId);

  // A caller that did not sample: the gateway does not either (parent-based sampling).
  const unsampled = '5bf92f3577b34da6a3ce929d0e0e4736';
  const md2 = new Metadata();
  md2.set('traceparent', `00-${unsampled}-${callerSpan}-00`);
  await new Promise<void>((resolve, reject) => {
    (gw.client as AnyMessage).Execute({ sql: `DELETE FROM ${T} WHERE id = -1` }, md2, {}, (err: unknown) =>
      err ? reject(err) : resolve(),
    );
  });
  // The sampled call after it is exported, so the unsampled one would have been by now.
  await query(gw.client, { sql: 'SELECT 2 AS after_unsampled' });
  await traceOf(tel.spans, 'Query', (s) =>
    tel.spans
      .getFinishedSpans()
      .some(
        (c) =>
          parentId(c) === s.spanContext().spanId &&
          c.attributes['db.query.text'] === 'SELECT ? AS after_unsampled',
      ),
  );
  t.false(tel.spans.getFinishedSpans().some((s) => s.spanContext().traceId === unsampled));
});

test.serial('log lines about a call carry its trace_id and span_id', async (t) => {
  const err = await t.throwsAsync(execute(gw.client, { sql: 'INSERT INTO tel_missing_table VALUES (1)' }));
  t.like(errorDetails(err), { code: Code.NOT_FOUND, reason: 'UNKNOWN_TABLE' });
  const { server } = await traceOf(
    tel.spans,
    'Execute',
    (s) => s.attributes['mysqlgateway.reason'] === 'UNKNOWN_TABLE',
  );
  const line = gw.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'call failed' && l.reason === 'UNKNOWN_TABLE');
  t.truthy(line);
  t.is(line?.trace_id, server.spanContext().traceId);
  t.is(line?.span_id, server.spanContext().spanId);
  t.is(line?.trace_flags, '01');
});
