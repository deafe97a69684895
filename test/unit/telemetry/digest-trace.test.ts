import test from 'ava';
import pino from 'pino';
import { errors } from '../../../src/errors.js';
import { NOOP_CALL_TRACER, NOOP_STATEMENT_TRACE } from '../../../src/telemetry/call-trace.js';
import { DigestingTracer } from '../../../src/telemetry/digest-trace.js';
import { QueryDigests } from '../../../src/telemetry/query-digests.js';
import { QueryTextCache } from '../../../src/telemetry/query-text.js';

const TARGET = {
  name: 'db1',
  role: 'replica',
  cluster: 'default',
  settings: { host: '127.0.0.1', port: 3306, database: 'app' },
};
const CONN = { isMariaDb: true, threadId: 7 };
const INFO = { operation: 'SELECT', summary: 'SELECT t' };

function setup(slowStatementMs = 0) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const digests = new QueryDigests();
  const tracer = new DigestingTracer(NOOP_CALL_TRACER, {
    digests,
    texts: new QueryTextCache(),
    slowStatementMs,
    logger,
  });
  return { digests, tracer, lines };
}

test('with telemetry off, statements still count under principal and tag; internal ones do not', (t) => {
  const { digests, tracer } = setup();
  const call = tracer.startCall('Query');
  call.authenticated('app');
  call.tagged('checkout');
  for (let id = 0; id < 7; id++)
    call.statement(TARGET, CONN, { sql: `SELECT * FROM t WHERE id = ${id}`, info: INFO }).end(1);
  call
    .statement(TARGET, CONN, { sql: 'SELECT * FROM t WHERE id = ?', info: INFO })
    .fail(errors.invalidArgument('X', 'x'));
  call.statement(TARGET, CONN, { sql: 'COMMIT' }).end(0);
  call.end();
  const entries = digests.query();
  t.is(entries.length, 1);
  t.like(entries[0], {
    digestText: 'SELECT * FROM t WHERE id = ?',
    cluster: 'default',
    backendRole: 'replica',
    principal: 'app',
    requestTag: 'checkout',
    calls: 8,
    rows: 7,
    errors: 1,
    errorsByCode: { INVALID_ARGUMENT: 1 },
  });
  t.like(call.logFields(), { request_tag: 'checkout' });
});

test('ending a statement twice counts it once', (t) => {
  const { digests, tracer } = setup();
  const s = tracer.startCall('Execute').statement(TARGET, CONN, { sql: 'DELETE FROM t', info: INFO });
  s.end(1);
  s.end(1);
  s.fail(errors.unavailable('X', 'x'));
  t.is(digests.query()[0]?.calls, 1);
});

test('with digests and the slow log off, statements get the inner trace untouched', (t) => {
  const tracer = new DigestingTracer(NOOP_CALL_TRACER, {
    digests: undefined,
    texts: new QueryTextCache(),
    slowStatementMs: 0,
    logger: pino({ level: 'silent' }),
  });
  t.is(
    tracer.startCall('Query').statement(TARGET, CONN, { sql: 'SELECT 1', info: INFO }),
    NOOP_STATEMENT_TRACE,
  );
});
