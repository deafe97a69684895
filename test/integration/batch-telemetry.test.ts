/**
 * A Batch's telemetry through a real gateway, caught in memory: one SERVER span for the call
 * with the database conventions' batch attributes (`db.operation.batch.size`, operation name
 * `BATCH`), one CLIENT span per step that ran (children of the call's span, in step order, none
 * for a skipped step), and `db.client.operation.duration` counting each step.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { GatewayClient } from '../../src/client/index.js';
import { sandbox } from '../helpers/sandbox.js';
import type { MetricPoint } from '../helpers/collecting-reader.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type InMemoryTelemetry, inMemoryTelemetry, parentId, traceOf } from './helpers/telemetry.js';

const T = 'batch_tel_t';
let gw: TestGateway;
let tel: InMemoryTelemetry;
let client: GatewayClient;

test.before(async () => {
  tel = inMemoryTelemetry();
  gw = await startGateway({ telemetry: { enabled: true, samplingRatio: 1 } }, tel.options);
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 20_000 });
  await client.execute(`DROP TABLE IF EXISTS ${T}`);
  await client.execute(`CREATE TABLE ${T} (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB`);
});

test.after.always(async () => {
  if (!gw) return;
  await client?.execute(`DROP TABLE IF EXISTS ${T}`).catch(() => {});
  await client?.close();
  await gw.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** The (first) Batch call whose CLIENT children include a statement with text `sql`: make it unique per test. */
function batchTrace(sql: string) {
  return traceOf(tel.spans, 'Batch', (s) =>
    tel.spans
      .getFinishedSpans()
      .some((c) => parentId(c) === s.spanContext().spanId && c.attributes['db.query.text'] === sql),
  );
}

/** Recorded `db.client.operation.duration` statements on the primary, by operation (`op error` for failures). */
async function durationCounts(): Promise<Map<string, number>> {
  const points: MetricPoint[] = await tel.metrics.points('db.client.operation.duration');
  const out = new Map<string, number>();
  for (const p of points) {
    if (p.attributes['server.port'] !== sandbox.primaryPort) continue;
    const key = `${p.attributes['db.operation.name']}${p.attributes['error.type'] ? ` ${p.attributes['error.type']}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + (p.value as { count: number }).count);
  }
  return out;
}

function moved(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) out[k] = v - (before.get(k) ?? 0);
  return out;
}

const clientSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT);

test.serial(
  'a batch of 3 steps: one Batch span of size 3 named BATCH, a CLIENT span per step, each counted',
  async (t) => {
    const steps = [
      // Placeholders, not literals: db.query.text is the sanitized text (literals become ?).
      { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [1, 1] },
      { sql: `UPDATE ${T} SET n = ? WHERE id = ?`, params: [2, 1] },
      { sql: `DELETE FROM ${T} WHERE id = ?`, params: [1] },
    ];
    const before = await durationCounts();
    const r = await client.batch(steps);
    t.deepEqual(
      r.results.map((s) => s.kind),
      ['executed', 'executed', 'executed'],
    );

    const { server, spans, children } = await batchTrace(steps[0]?.sql as string);
    t.is(server.name, 'mysqlgateway.v1.Gateway/Batch');
    t.is(server.kind, SpanKind.SERVER);
    t.like(server.attributes, {
      'rpc.method': 'mysqlgateway.v1.Gateway/Batch',
      'rpc.grpc.status_code': 0,
      'db.operation.batch.size': 3,
      'db.operation.name': 'BATCH',
    });
    t.is(spans.filter((s) => s.name === 'mysqlgateway.v1.Gateway/Batch').length, 1, 'one span for the call');
    const stmts = clientSpans(children);
    t.deepEqual(
      stmts.map((s) => s.attributes['db.query.text']),
      steps.map((s) => s.sql),
      'one CLIENT child per step, in step order',
    );
    t.deepEqual(
      stmts.map((s) => s.attributes['db.operation.name']),
      ['INSERT', 'UPDATE', 'DELETE'],
    );
    t.is(clientSpans(spans).length, 3, 'no other statement span in the trace');

    // Metrics are recorded as each statement ends, before the response is sent.
    t.deepEqual(moved(before, await durationCounts()), { INSERT: 1, UPDATE: 1, DELETE: 1 });
  },
);

test.serial(
  'a failed step gets an error span, a skipped step none; the size is still the batch’s',
  async (t) => {
    await client.execute(`INSERT INTO ${T} VALUES (5, 5)`);
    const steps = [
      { sql: 'SELECT ? AS batch_tel_first', params: [1] },
      { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [5, 6] }, // duplicate key: fails
      { sql: `UPDATE ${T} SET n = ? WHERE id = ?`, params: [7, 5] }, // skipped: step 1 failed unhandled
    ];
    const before = await durationCounts();
    const r = await client.batch(steps);
    t.deepEqual(
      r.results.map((s) => s.kind),
      ['rows', 'error', 'skipped'],
    );
    const { server, children } = await batchTrace(steps[0]?.sql as string);
    t.like(server.attributes, { 'db.operation.batch.size': 3, 'db.operation.name': 'BATCH' });
    const stmts = clientSpans(children);
    t.deepEqual(
      stmts.map((s) => s.attributes['db.query.text']),
      [steps[0]?.sql, steps[1]?.sql],
    );
    const failed = stmts[1] as ReadableSpan;
    t.is(failed.status.code, SpanStatusCode.ERROR);
    t.is(failed.attributes['db.response.status_code'], '1062');
    t.deepEqual(moved(before, await durationCounts()), { SELECT: 1, 'INSERT 1062': 1 });
  },
);

test.serial('a transactional batch: its steps are children of the call span too', async (t) => {
  const steps = [
    { sql: `INSERT INTO ${T} (id, n) VALUES (?, ?)`, params: [9, 9] }, // text unique to this test
    { sql: `SELECT n FROM ${T} WHERE id = ?`, params: [9] },
  ];
  const r = await client.batch(steps, { transaction: true });
  t.true(r.committed);
  const { server, children } = await batchTrace(steps[0]?.sql as string);
  t.like(server.attributes, { 'db.operation.batch.size': 2, 'db.operation.name': 'BATCH' });
  const texts = clientSpans(children).map((s) => s.attributes['db.query.text']);
  for (const s of steps) t.true(texts.includes(s.sql), s.sql);
  t.true(
    texts.indexOf(steps[0]?.sql) < texts.indexOf(steps[1]?.sql),
    `in step order: ${JSON.stringify(texts)}`,
  );
});
