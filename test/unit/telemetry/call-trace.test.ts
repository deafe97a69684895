/** Call and statement traces without a server: spans, attributes, metrics, sampling, propagation. */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { NOOP_CALL_TRACE, NOOP_STATEMENT_TRACE } from '../../../src/telemetry/call-trace.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { countOf, fakeBackend, MARIADB_CONN, testTelemetry } from './helpers.js';

const STMT = {
  sql: "SELECT * FROM orders WHERE id = ? AND note = 'x'",
  info: { operation: 'SELECT', summary: 'SELECT orders' },
};

function metadata(entries: Record<string, string>) {
  return { get: (key: string) => (key in entries ? [entries[key]] : []) };
}

test('a call with one statement: SERVER span, CLIENT child, attributes computed once', async (t) => {
  const { telemetry, spans, reader } = testTelemetry();
  const backend = fakeBackend();
  telemetry.observe({
    clusters: () => [{ name: 'main', serving: true, backends: [backend] }],
    sessionCounts: () => ({ active: 0, committed: 0, rolledBack: 0, aborted: 0 }),
  });
  const call = telemetry.startCall('Query');
  call.routed({ backend, reason: 'read preference PRIMARY' });
  call.poolAcquired(backend.pool.options.name, 1.5);
  const st = call.statement(backend, MARIADB_CONN, STMT);
  t.is(st.sql(STMT.sql), STMT.sql, 'no sqlcommenter by default');
  st.end(3);
  call.streamed(backend, 3, 120);
  call.end();
  const [stmt, server] = spans.getFinishedSpans();
  t.is(server?.name, 'mysqlgateway.v1.Gateway/Query');
  t.is(server?.kind, SpanKind.SERVER);
  t.is(stmt?.kind, SpanKind.CLIENT);
  t.is(stmt?.parentSpanContext?.spanId, server?.spanContext().spanId);
  t.deepEqual(stmt?.attributes, {
    'db.system.name': 'mariadb',
    'server.address': 'db1',
    'server.port': 3306,
    'db.operation.name': 'SELECT',
    'db.namespace': 'shop',
    'db.query.text': 'SELECT * FROM orders WHERE id = ? AND note = ?',
    'db.query.summary': 'SELECT orders',
    'mysqlgateway.cluster': 'main',
    'mysqlgateway.backend': 'db1:3306',
    'mysqlgateway.backend.role': 'primary',
    'mysqlgateway.connection.id': 42,
    'mysqlgateway.route.reason': 'read preference PRIMARY',
    'db.client.connection.pool.name': 'main/primary db1:3306',
    'mysqlgateway.pool.wait.duration': 0.0015,
    'db.response.returned_rows': 3,
  });
  t.like(server?.attributes, { 'mysqlgateway.rows': 3, 'mysqlgateway.bytes': 120, 'rpc.status_code': 'OK' });
  const rows = await reader.points('mysqlgateway.rows.streamed');
  t.deepEqual(rows.find((p) => p.attributes.backend === 'db1:3306')?.value, 3);
  const bytes = await reader.points('mysqlgateway.bytes.streamed');
  t.deepEqual(bytes.find((p) => p.attributes.backend === 'db1:3306')?.value, 120);
  const durations = await reader.points('db.client.operation.duration');
  t.is(durations.length, 1);
  t.is(countOf(durations), 1);
  t.deepEqual(durations[0]?.attributes, {
    'db.system.name': 'mariadb',
    'server.address': 'db1',
    'server.port': 3306,
    'db.operation.name': 'SELECT',
    'db.namespace': 'shop',
  });
  await telemetry.close();
});

test('failures: errno and reason on the statement, the gRPC code on the call', async (t) => {
  const { telemetry, spans, reader } = testTelemetry();
  const backend = fakeBackend();
  const call = telemetry.startCall('Execute');
  const err = new GatewayError(Code.ALREADY_EXISTS, 'DUPLICATE_KEY', "Duplicate entry 'v' for key", {
    mysqlErrno: 1062,
  });
  call.statement(backend, MARIADB_CONN, { sql: 'INSERT INTO t VALUES (?)' }).fail(err);
  call.end(err);
  const [stmt, server] = spans.getFinishedSpans();
  t.like(stmt?.attributes, {
    'error.type': '1062',
    'db.response.status_code': '1062',
    'mysqlgateway.reason': 'DUPLICATE_KEY',
  });
  t.deepEqual(stmt?.status, { code: SpanStatusCode.ERROR, message: 'ALREADY_EXISTS DUPLICATE_KEY' });
  t.like(server?.attributes, {
    'rpc.status_code': 'ALREADY_EXISTS',
    'rpc.grpc.status_code': Code.ALREADY_EXISTS,
    'error.type': 'ALREADY_EXISTS',
  });
  t.is(server?.status.code, SpanStatusCode.UNSET, 'a caller error leaves a SERVER span unset');
  t.false(JSON.stringify(spans.getFinishedSpans().map((s) => [s.attributes, s.status])).includes("'v'"));
  const rpc = await reader.points('rpc.server.call.duration');
  t.deepEqual(rpc[0]?.attributes, {
    'rpc.system.name': 'grpc',
    'rpc.method': 'mysqlgateway.v1.Gateway/Execute',
    'rpc.status_code': 'ALREADY_EXISTS',
    'error.type': 'ALREADY_EXISTS',
  });
  const db = await reader.points('db.client.operation.duration');
  t.like(db[0]?.attributes, { 'error.type': '1062', 'db.response.status_code': '1062' });

  const internal = telemetry.startCall('Query');
  const unavailable = new GatewayError(
    Code.UNAVAILABLE,
    'BACKEND_UNAVAILABLE',
    'backend unavailable: ECONNRESET',
  );
  internal.statement(backend, { isMariaDb: false, threadId: 1 }, { sql: 'SELECT 1' }).fail(unavailable);
  internal.end(unavailable);
  const [stmt2, server2] = spans.getFinishedSpans().slice(2);
  t.like(stmt2?.attributes, {
    'db.system.name': 'mysql',
    'error.type': 'BACKEND_UNAVAILABLE',
    'db.operation.name': 'SELECT',
  });
  t.is(stmt2?.attributes['db.response.status_code'], undefined);
  t.deepEqual(server2?.status, { code: SpanStatusCode.ERROR, message: 'UNAVAILABLE BACKEND_UNAVAILABLE' });
  await telemetry.close();
});

test('a retry is an event on the call span and a counted metric', async (t) => {
  const { telemetry, spans, reader } = testTelemetry();
  const replica = fakeBackend({ name: 'r1:3306', role: 'replica' });
  const call = telemetry.startCall('Query');
  call.retry(2, replica, new GatewayError(Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE', 'gone'));
  call.end();
  const server = spans.getFinishedSpans()[0];
  t.deepEqual(
    server?.events.map((e) => [e.name, e.attributes]),
    [
      [
        'mysqlgateway.retry',
        { 'mysqlgateway.attempt': 2, 'mysqlgateway.backend': 'r1:3306', 'error.type': 'BACKEND_UNAVAILABLE' },
      ],
    ],
  );
  const retries = await reader.points('mysqlgateway.query.retries');
  t.deepEqual(
    retries.map((p) => [p.attributes, p.value]),
    [[{ cluster: 'main' }, 1]],
  );
  await telemetry.close();
});

test('an incoming traceparent continues the trace; tracestate is kept', async (t) => {
  const { telemetry, spans } = testTelemetry();
  const call = telemetry.startCall(
    'Query',
    metadata({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'k=v' }),
  );
  t.like(call.logFields(), { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', trace_flags: '01' });
  call.end();
  const server = spans.getFinishedSpans()[0];
  t.is(server?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  t.is(server?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  t.is(server?.spanContext().traceState?.serialize(), 'k=v');
  // A malformed header starts a new trace.
  const fresh = telemetry.startCall('Query', metadata({ traceparent: 'garbage' }));
  fresh.end();
  t.is(spans.getFinishedSpans()[1]?.parentSpanContext, undefined);
  await telemetry.close();
});

test('sampling ratio 0: no span is exported, metrics are still recorded', async (t) => {
  const { telemetry, spans, reader } = testTelemetry({ samplingRatio: 0 });
  const call = telemetry.startCall('Query');
  call.statement(fakeBackend(), MARIADB_CONN, STMT).end(1);
  call.end();
  // Logs still carry the ids (other services may have sampled the trace); the flags say unsampled.
  t.like(call.logFields(), { trace_flags: '00' });
  t.is(spans.getFinishedSpans().length, 0);
  t.is(countOf(await reader.points('db.client.operation.duration')), 1);
  t.is(countOf(await reader.points('rpc.server.call.duration')), 1);
  await telemetry.close();
});

test('sqlcommenter: the statement span’s traceparent, also for the text-protocol fallback', async (t) => {
  const { telemetry, spans } = testTelemetry({ sqlCommenter: true });
  const call = telemetry.startCall('Execute');
  const st = call.statement(fakeBackend(), MARIADB_CONN, { sql: 'DELETE FROM t WHERE id = ?' });
  const sent = st.sql('DELETE FROM t WHERE id = ?');
  const fallback = st.lazySql(() => 'DELETE FROM t WHERE id = 1')();
  st.end(0);
  call.end();
  const sc = spans.getFinishedSpans()[0]?.spanContext();
  const comment = `/*traceparent='00-${sc?.traceId}-${sc?.spanId}-01'*/`;
  t.is(sent, `DELETE FROM t WHERE id = ? ${comment}`);
  t.is(fallback, `DELETE FROM t WHERE id = 1 ${comment}`);
  await telemetry.close();
});

test('statement and call traces end once', async (t) => {
  const { telemetry, spans, reader } = testTelemetry();
  const call = telemetry.startCall('Transaction');
  const st = call.statement(fakeBackend(), MARIADB_CONN, { sql: 'COMMIT' });
  st.end(0);
  st.fail(new GatewayError(Code.UNAVAILABLE, 'X', 'late'));
  call.transactionEnded('committed');
  call.end();
  call.end(new Error('late'));
  t.is(spans.getFinishedSpans().length, 2);
  t.is(spans.getFinishedSpans()[1]?.attributes['mysqlgateway.transaction.outcome'], 'committed');
  t.is(spans.getFinishedSpans()[0]?.name, 'COMMIT');
  t.is(countOf(await reader.points('rpc.server.call.duration')), 1);
  await telemetry.close();
});

test('telemetry off: shared no-op traces, nothing allocated per call', async (t) => {
  const telemetry = Telemetry.disabled();
  t.false(telemetry.enabled);
  const call = telemetry.startCall(
    'Query',
    metadata({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
  );
  t.is(call, NOOP_CALL_TRACE);
  t.is(call.statement(fakeBackend(), MARIADB_CONN, STMT), NOOP_STATEMENT_TRACE);
  const fn = () => 'x';
  t.is(NOOP_STATEMENT_TRACE.lazySql(fn), fn);
  t.is(NOOP_STATEMENT_TRACE.sql('SELECT 1'), 'SELECT 1');
  t.deepEqual(call.logFields(), {});
  t.is(telemetry.prometheusHandler, undefined);
  telemetry.observe({
    clusters: () => [],
    sessionCounts: () => ({ active: 0, committed: 0, rolledBack: 0, aborted: 0 }),
  });
  await telemetry.flush();
  await telemetry.close();
});

test('enabled: false in the config builds the disabled telemetry', async (t) => {
  const { telemetry } = testTelemetry({ enabled: false });
  t.false(telemetry.enabled);
  t.is(telemetry.startCall('Execute'), NOOP_CALL_TRACE);
  await telemetry.close();
  await telemetry.close();
});

test('pool events are listened to only while metrics are recorded', async (t) => {
  const on = testTelemetry();
  t.is(on.telemetry.poolEventListener, on.telemetry.onPoolEvent);
  const metricsOff = testTelemetry({ metricsEnabled: false });
  t.is(metricsOff.telemetry.poolEventListener, undefined);
  t.is(Telemetry.disabled().poolEventListener, undefined);
  await on.telemetry.close();
  await metricsOff.telemetry.close();
});

test('the request tag goes on the call span (mysqlgateway.request_tag)', async (t) => {
  const { telemetry, spans } = testTelemetry();
  const call = telemetry.startCall('Execute');
  call.tagged('checkout');
  call.end();
  const tagged = telemetry.startCall('Execute');
  tagged.tagged('');
  tagged.end();
  await telemetry.flush();
  const [withTag, without] = spans.getFinishedSpans();
  t.is(withTag?.attributes['mysqlgateway.request_tag'], 'checkout');
  t.false('mysqlgateway.request_tag' in (without?.attributes ?? {}));
  await telemetry.close();
});
