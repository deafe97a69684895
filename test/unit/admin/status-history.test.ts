/** The status page's history: one sample per interval, exact per-second figures, a bounded ring. */
import test from 'ava';
import {
  type BackendSample,
  MAX_LATENCIES_PER_SECOND,
  StatusHistory,
} from '../../../src/admin/status-history.js';
import { FakeClock } from '../pool/helpers/fake-clock.js';

function setup(capacity = 900) {
  const clock = new FakeClock(1_000_000);
  const probe = {
    backends: (): Record<string, BackendSample> => ({ 'c/p': { used: 2, waiting: 1, lag_ms: null } }),
    active: 0,
    activeTransactions(): number {
      return this.active;
    },
  };
  const history = new StatusHistory({ probe, clock, capacity });
  return { clock, probe, history };
}

test('a sample each interval: calls, failures and exact percentiles of that second per RPC', async (t) => {
  const { clock, probe, history } = setup();
  history.start();
  t.teardown(() => history.close());
  // 100 Query calls of 1..100 µs, two of them failed (40 and 80); one Execute.
  for (let us = 1; us <= 100; us++) history.callEnded('Query', us % 40 === 0 ? 14 : 0, us);
  history.callEnded('Execute', 0, 7);
  probe.active = 3;
  await clock.advance(1000);
  // A quiet second, then one call.
  await clock.advance(1000);
  history.callEnded('Query', 3, 500);
  await clock.advance(1000);

  const { interval_ms, samples } = history.json();
  t.is(interval_ms, 1000);
  t.deepEqual(
    samples.map((s) => s.t),
    [1_001_000, 1_002_000, 1_003_000],
  );
  t.deepEqual(samples[0]?.rpc, {
    Query: { calls: 100, errors: 2, p50_us: 50, p99_us: 99 },
    Execute: { calls: 1, errors: 0, p50_us: 7, p99_us: 7 },
  });
  t.is(samples[0]?.active_transactions, 3);
  t.deepEqual(samples[0]?.backends, { 'c/p': { used: 2, waiting: 1, lag_ms: null } });
  t.deepEqual(samples[1]?.rpc, {}, 'nothing called: no series');
  t.deepEqual(samples[2]?.rpc, { Query: { calls: 1, errors: 1, p50_us: 500, p99_us: 500 } });
});

test('the ring keeps the newest `capacity` samples', async (t) => {
  const { clock, history } = setup(3);
  history.start();
  t.teardown(() => history.close());
  for (let i = 0; i < 5; i++) {
    history.callEnded('Query', 0, i + 1);
    await clock.advance(1000);
  }
  t.deepEqual(
    history.json().samples.map((s) => s.rpc.Query?.p50_us),
    [3, 4, 5],
  );
});

test('past the latency cap a uniform sample is kept: memory bounded, calls all counted', (t) => {
  const { history } = setup();
  const n = MAX_LATENCIES_PER_SECOND * 4;
  for (let i = 0; i < n; i++) history.callEnded('Query', 0, i < n / 2 ? 10 : 1000);
  const s = history.sample();
  t.is(s.rpc.Query?.calls, n);
  // Half the calls took 10 µs, half 1,000: a uniform sample puts p50 near the boundary and p99 high.
  t.true((s.rpc.Query?.p99_us ?? 0) === 1000);
  t.true([10, 1000].includes(s.rpc.Query?.p50_us ?? -1));
});

test('close stops sampling', async (t) => {
  const { clock, history } = setup();
  history.start();
  await clock.advance(1000);
  await history.close();
  await clock.advance(5000);
  t.is(history.json().samples.length, 1);
});
