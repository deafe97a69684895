/**
 * The hedge delay (a p95 of each backend's recent time to first answer, within a floor and a
 * cap, the cap while nothing is known) and the hedge budget (a token bucket earning a share of a
 * token per read), over a fake clock.
 */
import test from 'ava';
import {
  checkHedgeOptions,
  HEDGE_BURST,
  type HedgeOptions,
  HedgePolicy,
  MIN_SAMPLES,
  WINDOW_MS,
} from '../../../src/routing/hedge-policy.js';
import { FakeClock } from '../pool/helpers/fake-clock.js';

const OPTS: HedgeOptions = { enabled: true, budgetPercent: 5, minDelayMs: 20, maxDelayMs: 500 };

function policy(over: Partial<HedgeOptions> = {}) {
  const clock = new FakeClock();
  return { clock, p: new HedgePolicy({ ...OPTS, ...over }, clock) };
}

test('with no latency known the delay is the cap', (t) => {
  const { p } = policy();
  t.is(p.delayMs('r1'), 500);
  for (let i = 0; i < MIN_SAMPLES - 1; i++) p.record('r1', 1);
  t.is(p.delayMs('r1'), 500, 'too few samples still count as unknown');
});

const delays: [string, number[], number, number][] = [
  // name, samples (ms), expected delay bounds: floor, cap, and the p95 of 1..100 (95, DDSketch ±2%).
  ['fast reads are hedged no sooner than the floor', Array(100).fill(1), 20, 20],
  ['slow reads are hedged no later than the cap', Array(100).fill(2000), 500, 500],
  ['in between, the p95 of the recent times', Array.from({ length: 100 }, (_, i) => i + 1), 93, 98],
  ['a few slow outliers above the p95 do not move it', [...Array(97).fill(40), 5000, 5000, 5000], 39, 41],
];
for (const [name, samples, lo, hi] of delays) {
  test(name, (t) => {
    const { p } = policy();
    for (const ms of samples) p.record('r1', ms);
    const d = p.delayMs('r1');
    t.true(d >= lo && d <= hi, `delay ${d} ms, expected ${lo}..${hi}`);
  });
}

test('each backend has its own delay', (t) => {
  const { p } = policy();
  for (let i = 0; i < 100; i++) {
    p.record('fast', 2);
    p.record('slow', 300);
  }
  t.is(p.delayMs('fast'), 20);
  const slow = p.delayMs('slow');
  t.true(slow >= 294 && slow <= 306, `slow backend delay ${slow}`);
  t.is(p.delayMs('unseen'), 500);
});

test('old latencies decay: after a window ends, recent samples set the delay', async (t) => {
  const { p, clock } = policy();
  for (let i = 0; i < 200; i++) p.record('r1', 300);
  const before = p.delayMs('r1');
  t.true(before >= 294, `slow at first (${before})`);
  await clock.advance(WINDOW_MS);
  // The new window's first samples do not yet outweigh the finished one's estimate...
  p.record('r1', 2);
  t.true(p.delayMs('r1') >= 294, 'the finished window stands until the new one has enough samples');
  // ...enough of them do.
  for (let i = 0; i < MIN_SAMPLES * 2; i++) p.record('r1', 2);
  t.is(p.delayMs('r1'), 20);
});

test('budget 0: no hedge, however many reads', (t) => {
  const { p } = policy({ budgetPercent: 0 });
  for (let i = 0; i < 10_000; i++) p.earn();
  t.false(p.trySpend());
});

test('budget 5%: one hedge per twenty reads', (t) => {
  const { p } = policy({ budgetPercent: 5 });
  for (let i = 0; i < 19; i++) p.earn();
  t.false(p.trySpend(), 'nineteen reads earn less than one hedge');
  p.earn();
  t.true(p.trySpend(), 'the twentieth read completes a token');
  t.false(p.trySpend(), 'spent');
  let hedges = 0;
  for (let i = 0; i < 1000; i++) {
    p.earn();
    if (p.trySpend()) hedges++;
  }
  t.is(hedges, 50, 'a hedge every twenty reads when every read wants one');
});

test('unused budget saves up to a burst, no more', (t) => {
  const { p } = policy({ budgetPercent: 100 });
  for (let i = 0; i < 1000; i++) p.earn();
  let hedges = 0;
  while (p.trySpend()) hedges++;
  t.is(hedges, HEDGE_BURST);
});

const bad: [Partial<HedgeOptions>, RegExp][] = [
  [{ budgetPercent: -1 }, /budgetPercent/],
  [{ budgetPercent: 101 }, /budgetPercent/],
  [{ minDelayMs: 0 }, /minDelayMs/],
  [{ minDelayMs: 600 }, /maxDelayMs/],
  [{ maxDelayMs: 1.5 }, /maxDelayMs/],
];
for (const [over, message] of bad) {
  test(`options ${JSON.stringify(over)} are refused`, (t) => {
    t.throws(() => checkHedgeOptions({ ...OPTS, ...over }), { instanceOf: RangeError, message });
  });
}
