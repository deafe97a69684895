/**
 * Pushes the metrics one reader collects to an OTLP exporter on a timer. With both the
 * Prometheus endpoint and OTLP export on, the SDK would keep one aggregation per reader and hash
 * every measurement's attributes twice; pushing what the Prometheus reader collects keeps one
 * (cumulative, as OTLP accepts). The SDK's `PeriodicExportingMetricReader` does the same job when
 * OTLP is the only output.
 */
import type { MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';

/** Lifecycle: `running` -> `closed`. */
export type MetricPushState = 'running' | 'closed';

/** Exports `reader`'s collections to `exporter` every `intervalMs`. */
export class MetricPush {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly reader: Pick<MetricReader, 'collect'>,
    private readonly exporter: PushMetricExporter,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.push(), intervalMs);
    this.timer.unref();
  }

  /** `running` until {@link close}. */
  get state(): MetricPushState {
    return this.closing === undefined ? 'running' : 'closed';
  }

  /** Collects and exports now; joins a push already under way. Never rejects. */
  push(): Promise<void> {
    this.running ??= (async () => {
      try {
        const { resourceMetrics } = await this.reader.collect();
        if (resourceMetrics.scopeMetrics.length === 0) return;
        // Failures are reported by the exporter (OpenTelemetry diagnostics); the next push retries.
        await new Promise<void>((resolve) => this.exporter.export(resourceMetrics, () => resolve()));
      } catch {
        // The reader is shutting down, or collection failed: nothing to send this time.
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Stops the timer, pushes a last time and shuts the exporter down. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.push();
      await this.exporter.shutdown().catch(() => {});
    })();
    return this.closing;
  }
}
