/** The in-place histograms: bucket bounds, per-attribute-set series, the bound, the SDK data shape. */
import { DataPointType, type Histogram } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import test from 'ava';
import { HistogramProducer, InPlaceHistogram } from '../../../src/telemetry/histograms.js';

test('values land in the first bucket whose inclusive upper bound holds them', (t) => {
  const h = new InPlaceHistogram('d', 'desc', 's', [0.1, 1, 10]);
  const a = Object.freeze({ k: 'a' });
  for (const v of [0, 0.1, 0.10001, 1, 5, 10, 10.5, 1e9]) h.record(v, a);
  const data = h.metricData([1, 0]);
  t.is(data.dataPointType, DataPointType.HISTOGRAM);
  t.deepEqual(data.descriptor, { name: 'd', description: 'desc', unit: 's', valueType: 1 });
  const p = data.dataPoints[0];
  const v = p?.value as Histogram;
  t.deepEqual(v.buckets, { boundaries: [0.1, 1, 10], counts: [2, 2, 2, 2] });
  t.is(v.count, 8);
  t.is(v.min, 0);
  t.is(v.max, 1e9);
  t.is(p?.attributes, a);
});

test('one series per attribute object, bounded', (t) => {
  const h = new InPlaceHistogram('d', '', 's', [1], 3);
  const a = Object.freeze({ k: 'a' });
  const b = Object.freeze({ k: 'b' });
  h.record(1, a);
  h.record(2, b);
  h.record(3, a);
  t.deepEqual(
    h.metricData([1, 0]).dataPoints.map((p) => [p.attributes.k, (p.value as Histogram).count]),
    [
      ['a', 2],
      ['b', 1],
    ],
  );
  h.record(1, { k: 'c' });
  t.false(h.overflowed);
  h.record(1, { k: 'd' });
  t.true(h.overflowed);
  t.is(h.metricData([1, 0]).dataPoints.length, 3);
});

test('the producer serves every histogram that has data, under the gateway scope', async (t) => {
  const producer = new HistogramProducer(
    resourceFromAttributes({ 'service.name': 'x' }),
    'mysql-grpc-gateway',
  );
  const used = producer.histogram('used', '', 's', [1]);
  producer.histogram('unused', '', 's', [1]);
  used.record(0.5, {});
  const { resourceMetrics, errors } = await producer.collect();
  t.deepEqual(errors, []);
  t.is(resourceMetrics.scopeMetrics[0]?.scope.name, 'mysql-grpc-gateway');
  t.deepEqual(
    resourceMetrics.scopeMetrics[0]?.metrics.map((m) => m.descriptor.name),
    ['used'],
  );
});
