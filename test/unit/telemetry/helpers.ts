/** Fakes and in-memory exporters for the telemetry unit tests (no network, no database). */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { CollectingReader } from '../../helpers/collecting-reader.js';

export { CollectingReader };
import type { TelemetryConfig } from '../../../src/config/schema.js';
import type { ObservedBackend, ObservedPoolStats } from '../../../src/telemetry/gateway-metrics.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** `config.telemetry` with overrides. */
export function telemetryConfig(over: Partial<TelemetryConfig> = {}): TelemetryConfig {
  return {
    enabled: true,
    serviceName: 'unit-test',
    samplingRatio: 1,
    otlpEndpoint: '',
    otlpProtocol: 'http/protobuf',
    resourceAttributes: {},
    sqlCommenter: false,
    metricsEnabled: true,
    slowStatementMs: 1000,
    queryDigests: { enabled: true, maxEntries: 1000 },
    ...over,
  };
}

/** A Telemetry with in-memory spans and a collecting reader, no Prometheus, no OTLP. */
export function testTelemetry(over: Partial<TelemetryConfig> = {}): {
  telemetry: Telemetry;
  spans: InMemorySpanExporter;
  reader: CollectingReader;
} {
  const spans = new InMemorySpanExporter();
  let reader = new CollectingReader();
  const telemetry = Telemetry.create(telemetryConfig(over), {
    logger: pino({ level: 'silent' }),
    prometheus: false,
    spanProcessors: [new SimpleSpanProcessor(spans)],
    metricReaders: (producers) => {
      reader = new CollectingReader(producers);
      return [reader];
    },
  });
  return { telemetry, spans, reader };
}

/** A backend as telemetry sees it. */
export function fakeBackend(
  over: Partial<ObservedBackend> = {},
  stats: Partial<ObservedPoolStats> = {},
): ObservedBackend {
  const name = over.name ?? 'db1:3306';
  const role = over.role ?? 'primary';
  return {
    name,
    role,
    cluster: 'main',
    settings: { host: 'db1', port: 3306, database: 'shop' },
    inFlight: 0,
    pool: {
      options: { name: `main/${role} ${name}` },
      stats: () => ({
        idle: 2,
        used: 1,
        waiting: 0,
        created: 3,
        closed: 0,
        errors: 0,
        acquireTimeouts: 0,
        min: 1,
        max: 5,
        ...stats,
      }),
    },
    ...over,
  };
}

/** A MariaDB connection as telemetry sees it. */
export const MARIADB_CONN = { isMariaDb: true, threadId: 42 } as const;

/** The count of the first histogram point. */
export function countOf(points: readonly { value: unknown }[]): number | undefined {
  return (points[0]?.value as { count?: number } | undefined)?.count;
}
