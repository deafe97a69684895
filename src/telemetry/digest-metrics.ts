/**
 * Metrics of the top query digests, with bounded label cardinality: the {@link TOP_DIGESTS}
 * entries with the largest total time each get their own series (labels `digest`, `cluster`,
 * `backend_role`, `principal`, `request_tag`); every other entry is summed into one series with
 * `digest="other"`. Gauges, read at collection (a scrape, an OTLP export), never per statement:
 * an entry moves in and out of the top, so its values are current totals, not monotonic counters.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import type { DigestStats, QueryDigests } from './query-digests.js';
import { OTHER_DIGEST } from './query-digests.js';

/** Digests with their own series. */
export const TOP_DIGESTS = 20;

/** Metric names. */
export const DIGEST_METRIC = {
  calls: 'mysqlgateway.query_digest.calls',
  errors: 'mysqlgateway.query_digest.errors',
  duration: 'mysqlgateway.query_digest.duration',
  p99: 'mysqlgateway.query_digest.p99',
} as const;

function labels(s: DigestStats): Attributes {
  return {
    digest: s.digestText,
    cluster: s.cluster,
    backend_role: s.backendRole,
    principal: s.principal,
    request_tag: s.requestTag,
  };
}

const OTHER_LABELS: Attributes = Object.freeze({
  digest: OTHER_DIGEST,
  cluster: '',
  backend_role: '',
  principal: '',
  request_tag: '',
});

/** Registers the top-digest gauges on `meter`, read from `digests` at each collection. */
export function observeDigestMetrics(meter: Meter, digests: QueryDigests): void {
  const calls = meter.createObservableGauge(DIGEST_METRIC.calls, {
    description: `Statements counted under each of the top ${TOP_DIGESTS} digests by total time (others under digest="other").`,
  });
  const errors = meter.createObservableGauge(DIGEST_METRIC.errors, {
    description: 'Failed statements of each top digest.',
  });
  const duration = meter.createObservableGauge(DIGEST_METRIC.duration, {
    description: 'Total time of each top digest.',
    unit: 's',
  });
  const p99 = meter.createObservableGauge(DIGEST_METRIC.p99, {
    description: '99th percentile statement time of each top digest (not reported for "other").',
    unit: 's',
  });
  meter.addBatchObservableCallback(
    (r) => {
      const all = digests.query({ sortBy: 'total' });
      let otherCalls = 0;
      let otherErrors = 0;
      let otherUs = 0;
      for (const [i, s] of all.entries()) {
        if (i < TOP_DIGESTS && s.digestText !== OTHER_DIGEST) {
          const l = labels(s);
          r.observe(calls, s.calls, l);
          r.observe(errors, s.errors, l);
          r.observe(duration, s.totalUs / 1e6, l);
          r.observe(p99, s.p99Us / 1e6, l);
        } else {
          otherCalls += s.calls;
          otherErrors += s.errors;
          otherUs += s.totalUs;
        }
      }
      if (otherCalls > 0) {
        r.observe(calls, otherCalls, OTHER_LABELS);
        r.observe(errors, otherErrors, OTHER_LABELS);
        r.observe(duration, otherUs / 1e6, OTHER_LABELS);
      }
    },
    [calls, errors, duration, p99],
  );
}
