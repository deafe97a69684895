/** A metric reader that tests pull from with `collect()`: unit tests with fakes and integration tests alike. */
import { type MetricProducer, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** One data point of a metric. */
export interface MetricPoint {
  attributes: Record<string, unknown>;
  value: unknown;
}

/** Collects on demand; never exports. */
export class CollectingReader extends MetricReader {
  constructor(producers: readonly MetricProducer[] = []) {
    super({ metricProducers: [...producers] });
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Every metric collected now; fails when collection reported errors. */
  async resourceMetrics(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new Error(`metric collection failed: ${errors.map(String).join('; ')}`);
    return resourceMetrics;
  }

  /** Data points of metric `name` (attributes and value) collected now. */
  async points(name: string): Promise<MetricPoint[]> {
    const { resourceMetrics } = await this.collect();
    const out: MetricPoint[] = [];
    for (const sm of resourceMetrics.scopeMetrics)
      for (const m of sm.metrics)
        if (m.descriptor.name === name) for (const p of m.dataPoints as MetricPoint[]) out.push(p);
    return out;
  }

  /** The descriptor of metric `name`. */
  async descriptor(name: string): Promise<{ unit: string } | undefined> {
    const { resourceMetrics } = await this.collect();
    for (const sm of resourceMetrics.scopeMetrics)
      for (const m of sm.metrics) if (m.descriptor.name === name) return m.descriptor;
    return undefined;
  }
}
