/**
 * The gateway's OpenTelemetry set-up, built once by the composition root from
 * `config.telemetry` and handed down by constructor injection: a tracer provider (parent-based
 * ratio sampling), a meter provider, the OTLP exporters when `otlpEndpoint` is set, and the
 * Prometheus reader that the admin HTTP listener serves at `/metrics`.
 *
 * Nothing is registered globally (no global tracer/meter provider, propagator or context
 * manager), so several gateways in one process (the tests) each keep their own telemetry. With
 * `enabled: false` every call gets the shared no-op trace and no provider is built.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Context,
  createNoopMeter,
  type Meter,
  ROOT_CONTEXT,
  type TextMapGetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter as OtlpGrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  type IMetricReader,
  MeterProvider,
  type MetricProducer,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/schema.js';
import type { PoolEvent } from '../pool/pool-events.js';
import {
  type CallTrace,
  type CallTracer,
  type MetadataCarrier,
  NOOP_CALL_TRACE,
  type RpcMethod,
} from './call-trace.js';
import { GatewayMetrics, type ObservedBackend, type ObservedGateway } from './gateway-metrics.js';
import { HistogramProducer } from './histograms.js';
import type { Logger } from './logger.js';
import { MetricPush } from './metric-push.js';
import { QueryTextCache } from './query-text.js';
import { RecordingCallTrace, type TraceSettings } from './recording-call-trace.js';
import { ATTR } from './semconv.js';

/** Instrumentation scope of the gateway's spans and metrics. */
export const INSTRUMENTATION_SCOPE = 'mysql-grpc-gateway';

/** How often metrics are pushed to the OTLP endpoint, in ms (the OpenTelemetry default). */
export const OTLP_METRIC_INTERVAL_MS = 60_000;

/** Options of {@link Telemetry.create}; the overrides are for tests and benchmarks. */
export interface TelemetryOptions {
  readonly logger: Logger;
  /**
   * Build the Prometheus reader (served by the admin listener at `/metrics`). Off when the admin
   * listener is disabled: nobody could scrape it.
   * @default true
   */
  readonly prometheus?: boolean;
  /** Extra span processors, e.g. a `SimpleSpanProcessor` over an `InMemorySpanExporter`. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * Extra metric readers, e.g. one that tests `collect()` from. A reader must include
   * `producers` (its `metricProducers` option): the hot-path histograms come from there.
   */
  readonly metricReaders?: (producers: readonly MetricProducer[]) => readonly IMetricReader[];
  /** `service.version` resource attribute. */
  readonly serviceVersion?: string;
}

/** Reads W3C trace context from grpc-js metadata (lower-case keys, values as strings). */
const METADATA_GETTER: TextMapGetter<MetadataCarrier> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => {
    const values = carrier.get(key);
    if (values.length === 0) return undefined;
    return values.length === 1 ? String(values[0]) : values.map(String);
  },
};

/** A request handler of the admin HTTP listener. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface Active {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider | undefined;
  readonly prometheus: PrometheusExporter | undefined;
  /** OTLP metric export fed by the Prometheus reader's collections (when both are on). */
  readonly metricPush: MetricPush | undefined;
  readonly settings: TraceSettings;
}

/** Tracing, metrics and log correlation of one gateway. */
export class Telemetry implements CallTracer {
  private closing: Promise<void> | undefined;
  private readonly propagator = new W3CTraceContextPropagator();

  private constructor(
    private readonly active: Active | undefined,
    /** The metric instruments (no-op instruments while metrics are off). */
    readonly metrics: GatewayMetrics,
  ) {}

  /** Telemetry that records nothing (`telemetry.enabled: false`). */
  static disabled(): Telemetry {
    return new Telemetry(undefined, new GatewayMetrics(createNoopMeter(), undefined));
  }

  /** Builds telemetry from `config`. No I/O: exporters connect on their first export. */
  static create(config: TelemetryConfig, opts: TelemetryOptions): Telemetry {
    if (!config.enabled) return Telemetry.disabled();
    const resource = buildResource(config, opts.serviceVersion);
    const spanProcessors: SpanProcessor[] = [...(opts.spanProcessors ?? [])];
    if (config.otlpEndpoint) {
      const exporter =
        config.otlpProtocol === 'grpc'
          ? new OtlpGrpcTraceExporter({ url: config.otlpEndpoint })
          : new OtlpProtoTraceExporter({ url: otlpHttpUrl(config.otlpEndpoint, 'traces') });
      spanProcessors.push(new BatchSpanProcessor(exporter));
    }
    const tracerProvider = new BasicTracerProvider({
      resource,
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplingRatio) }),
      spanProcessors,
      // db.query.text of a long statement is cut here (it holds no values either way).
      spanLimits: { attributeValueLengthLimit: 8192 },
    });
    let meterProvider: MeterProvider | undefined;
    let prometheus: PrometheusExporter | undefined;
    let metricPush: MetricPush | undefined;
    let meter: Meter = createNoopMeter();
    let histograms: HistogramProducer | undefined;
    if (config.metricsEnabled) {
      histograms = new HistogramProducer(resource, INSTRUMENTATION_SCOPE);
      const metricProducers = [histograms];
      const readers: IMetricReader[] = [...(opts.metricReaders?.(metricProducers) ?? [])];
      if (opts.prometheus !== false) {
        // Served by the admin listener; the exporter's own HTTP server never starts.
        prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers });
        readers.push(prometheus);
      }
      if (config.otlpEndpoint) {
        const exporter =
          config.otlpProtocol === 'grpc'
            ? new OtlpGrpcMetricExporter({ url: config.otlpEndpoint })
            : new OtlpProtoMetricExporter({ url: otlpHttpUrl(config.otlpEndpoint, 'metrics') });
        // One aggregation for both outputs: the OTLP export reads the Prometheus reader's.
        if (prometheus !== undefined)
          metricPush = new MetricPush(prometheus, exporter, OTLP_METRIC_INTERVAL_MS);
        else
          readers.push(
            new PeriodicExportingMetricReader({
              exporter,
              exportIntervalMillis: OTLP_METRIC_INTERVAL_MS,
              metricProducers,
            }),
          );
      }
      meterProvider = new MeterProvider({ resource, readers });
      meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
    }
    const metrics = new GatewayMetrics(meter, histograms);
    const settings: TraceSettings = {
      tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
      metrics,
      texts: new QueryTextCache(),
      sqlCommenter: config.sqlCommenter,
    };
    opts.logger.debug(
      {
        samplingRatio: config.samplingRatio,
        otlp: config.otlpEndpoint ? config.otlpProtocol : 'off',
        metrics: config.metricsEnabled,
        prometheus: prometheus !== undefined,
        sqlCommenter: config.sqlCommenter,
      },
      'telemetry on',
    );
    return new Telemetry({ tracerProvider, meterProvider, prometheus, metricPush, settings }, metrics);
  }

  /** True when calls are traced (`telemetry.enabled`). */
  get enabled(): boolean {
    return this.active !== undefined;
  }

  /**
   * Starts the trace of an RPC. A W3C `traceparent` (and `tracestate`) in the call's metadata
   * makes its span a child of the caller's. With telemetry off: the shared no-op trace.
   */
  startCall(method: RpcMethod, metadata?: MetadataCarrier): CallTrace {
    const active = this.active;
    if (active === undefined) return NOOP_CALL_TRACE;
    let parent: Context = ROOT_CONTEXT;
    if (metadata !== undefined && metadata.get('traceparent').length > 0)
      parent = this.propagator.extract(ROOT_CONTEXT, metadata, METADATA_GETTER);
    return new RecordingCallTrace(active.settings, method, parent);
  }

  /** Records a pool event (pass as `BackendOptions.onPoolEvent`). */
  readonly onPoolEvent = (backend: ObservedBackend, e: PoolEvent): void => {
    this.metrics.onPoolEvent(backend, e);
  };

  /**
   * {@link onPoolEvent} while metrics are recorded, else undefined: a pool without a listener
   * does not even build its events.
   */
  get poolEventListener(): ((backend: ObservedBackend, e: PoolEvent) => void) | undefined {
    return this.active?.meterProvider === undefined ? undefined : this.onPoolEvent;
  }

  /** Starts the gauges over the gateway's clusters and sessions. Call once. */
  observe(source: ObservedGateway): void {
    this.metrics.observe(source);
  }

  /** Serves the Prometheus text format; undefined when there is no Prometheus reader. */
  get prometheusHandler(): MetricsHandler | undefined {
    const prometheus = this.active?.prometheus;
    if (prometheus === undefined) return undefined;
    return (req, res) => prometheus.getMetricsRequestHandler(req, res);
  }

  /** Exports every ended span and the current metrics (tests, benchmarks, shutdown). */
  async flush(): Promise<void> {
    const active = this.active;
    if (active === undefined) return;
    await Promise.all([
      active.tracerProvider.forceFlush(),
      active.meterProvider?.forceFlush(),
      active.metricPush?.push(),
    ]);
  }

  /** Flushes and shuts the providers and exporters down. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const active = this.active;
      if (active === undefined) return;
      // The last metric push collects from the reader, which the meter provider's shutdown closes.
      await active.metricPush?.close();
      await Promise.allSettled([active.tracerProvider.shutdown(), active.meterProvider?.shutdown()]);
    })();
    return this.closing;
  }
}

/** `service.name`, the configured resource attributes, and the SDK's own (telemetry.sdk.*). */
function buildResource(config: TelemetryConfig, serviceVersion: string | undefined): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR.serviceName]: config.serviceName,
      ...(serviceVersion === undefined ? {} : { 'service.version': serviceVersion }),
    }),
  );
}

/** The OTLP/HTTP URL of a signal: `<endpoint>/v1/<signal>` (the collector's default paths). */
export function otlpHttpUrl(endpoint: string, signal: 'traces' | 'metrics'): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith(`/v1/${signal}`) ? base : `${base}/v1/${signal}`;
}
