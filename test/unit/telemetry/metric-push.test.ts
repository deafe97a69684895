/** OTLP metric export fed by another reader's collections: one aggregation, two outputs. */
import type { ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import test from 'ava';
import { MetricPush } from '../../../src/telemetry/metric-push.js';
import { testTelemetry } from './helpers.js';

class FakeExporter implements PushMetricExporter {
  readonly exported: ResourceMetrics[] = [];
  shutdowns = 0;
  export(metrics: ResourceMetrics, done: (r: ExportResult) => void): void {
    this.exported.push(metrics);
    done({ code: 0 });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }
}

test('pushes what the reader collected; close pushes once more and shuts the exporter down', async (t) => {
  const { telemetry, reader } = testTelemetry();
  const exporter = new FakeExporter();
  const push = new MetricPush(reader, exporter, 3_600_000);
  telemetry.startCall('Query').end();
  await push.push();
  t.is(exporter.exported.length, 1);
  const names = exporter.exported[0]?.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
  t.true(names?.includes('rpc.server.call.duration'));
  t.is(push.state, 'running');
  const closing = push.close();
  t.is(push.close(), closing);
  await closing;
  t.is(push.state, 'closed');
  t.is(exporter.exported.length, 2);
  t.is(exporter.shutdowns, 1);
  await telemetry.close();
});

test('concurrent pushes join; a failing collection is swallowed', async (t) => {
  let collects = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const exporter = new FakeExporter();
  const reader = {
    collect: async () => {
      collects++;
      await gate;
      return {
        resourceMetrics: { resource: {}, scopeMetrics: [{ scope: { name: 's' }, metrics: [] }] },
        errors: [],
      };
    },
  } as never;
  const push = new MetricPush(reader, exporter, 3_600_000);
  const a = push.push();
  const b = push.push();
  t.is(a, b);
  release();
  await a;
  t.is(collects, 1);
  t.is(exporter.exported.length, 1);
  const failing = new MetricPush(
    { collect: () => Promise.reject(new Error('shut down')) } as never,
    exporter,
    3_600_000,
  );
  await t.notThrowsAsync(failing.push());
  await failing.close();
  await push.close();
});
