/** Log correlation: trace_id and span_id on lines about a traced call, and nothing else changed. */
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import test from 'ava';
import { createLogger, LOG_SPAN, traceLogFields } from '../../../src/telemetry/logger.js';
import { testTelemetry } from './helpers.js';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

const CONTEXT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };

test('a span passed under LOG_SPAN adds trace_id, span_id and trace_flags', (t) => {
  const { logger, lines } = capture();
  logger.info({ [LOG_SPAN]: trace.wrapSpanContext(CONTEXT), method: 'Query' }, 'call failed');
  t.like(lines[0], {
    trace_id: CONTEXT.traceId,
    span_id: CONTEXT.spanId,
    trace_flags: '01',
    method: 'Query',
    msg: 'call failed',
    service: 'mysql-grpc-gateway',
  });
  t.false(JSON.stringify(lines[0]).includes('log-span'), 'the symbol key is not serialized');
});

test('lines outside a span carry no trace fields; levels filter', (t) => {
  const { logger, lines } = capture('warn');
  logger.info('dropped');
  logger.warn({ a: 1 }, 'kept');
  logger.warn(
    { [LOG_SPAN]: trace.wrapSpanContext({ ...CONTEXT, traceId: '0'.repeat(32) }) },
    'invalid context',
  );
  t.is(lines.length, 2);
  t.is(lines[0]?.trace_id, undefined);
  t.is(lines[1]?.trace_id, undefined);
  t.deepEqual(traceLogFields(undefined), {});
});

test('CallTrace.logFields() of a real call and redaction of params and passwords', async (t) => {
  const { telemetry, spans } = testTelemetry();
  const { logger, lines } = capture();
  const call = telemetry.startCall('Execute');
  logger.info({ ...call.logFields(), params: ['secret'], cfg: { password: 'pw' } }, 'about the call');
  call.end();
  const span = spans.getFinishedSpans()[0];
  t.like(lines[0], {
    trace_id: span?.spanContext().traceId,
    span_id: span?.spanContext().spanId,
    params: '[REDACTED]',
  });
  t.false(JSON.stringify(lines[0]).includes('secret'));
  t.false(JSON.stringify(lines[0]).includes('"pw"'));
  await telemetry.close();
});
