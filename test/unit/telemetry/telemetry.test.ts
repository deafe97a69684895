/** Telemetry set-up from config: resource, OTLP URLs, Prometheus reader, close. */
import test from 'ava';
import pino from 'pino';
import { otlpHttpUrl, Telemetry } from '../../../src/telemetry/telemetry.js';
import { telemetryConfig, testTelemetry } from './helpers.js';

test('OTLP/HTTP URLs are <endpoint>/v1/<signal>', (t) => {
  t.is(otlpHttpUrl('http://collector:4318', 'traces'), 'http://collector:4318/v1/traces');
  t.is(otlpHttpUrl('http://collector:4318/', 'metrics'), 'http://collector:4318/v1/metrics');
  t.is(otlpHttpUrl('https://otel.example/prefix', 'traces'), 'https://otel.example/prefix/v1/traces');
  t.is(otlpHttpUrl('http://c:4318/v1/traces', 'traces'), 'http://c:4318/v1/traces');
});

test('the resource: service.name, configured attributes, service.version and the SDK', async (t) => {
  const { telemetry, spans } = testTelemetry({
    serviceName: 'orders-gateway',
    resourceAttributes: { 'deployment.environment.name': 'staging', 'service.name': 'ignored' },
  });
  telemetry.startCall('Query').end();
  const attrs = spans.getFinishedSpans()[0]?.resource.attributes;
  t.like(attrs, {
    'service.name': 'orders-gateway',
    'deployment.environment.name': 'staging',
    'telemetry.sdk.language': 'nodejs',
  });
  await telemetry.close();
  const versioned = Telemetry.create(telemetryConfig(), {
    logger: pino({ level: 'silent' }),
    serviceVersion: '1.2.3',
  });
  t.truthy(versioned.prometheusHandler, 'a Prometheus reader by default');
  await versioned.close();
});

test('an OTLP endpoint builds exporters without connecting; close flushes and is idempotent', async (t) => {
  for (const otlpProtocol of ['http/protobuf', 'grpc'] as const) {
    const telemetry = Telemetry.create(
      telemetryConfig({ otlpEndpoint: 'http://127.0.0.1:9', otlpProtocol }),
      {
        logger: pino({ level: 'silent' }),
        prometheus: false,
      },
    );
    t.true(telemetry.enabled);
    t.is(telemetry.prometheusHandler, undefined);
    const closing = telemetry.close();
    t.is(telemetry.close(), closing);
    await closing;
  }
});
