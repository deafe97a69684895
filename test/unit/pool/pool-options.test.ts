import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { compilePoolOptions, type PoolOptions } from '../../../src/pool/pool-options.js';

test('defaults fill every field; the result is frozen', (t) => {
  const options = compilePoolOptions({ name: 'p' });
  t.deepEqual(options, {
    name: 'p',
    min: 0,
    max: 10,
    acquireTimeoutMs: 5000,
    maxWaiting: 1000,
    idleTimeoutMs: 600_000,
    validationIntervalMs: 10_000,
    maxLifetimeMs: 1_800_000,
    lifetimeJitterMs: 45_000,
    evictionIntervalMs: 1000,
  });
  t.true(Object.isFrozen(options));
});

test('the input is copied, not kept', (t) => {
  const input: PoolOptions = { name: 'p', max: 3 };
  const options = compilePoolOptions(input);
  input.max = 99;
  t.is(options.max, 3);
});

const derivedJitter: [string, PoolOptions, number][] = [
  ['2.5% of the lifetime', { name: 'p', maxLifetimeMs: 60_000 }, 1500],
  ['0 with unlimited lifetime', { name: 'p', maxLifetimeMs: 0 }, 0],
  ['explicit value kept', { name: 'p', maxLifetimeMs: 60_000, lifetimeJitterMs: 10 }, 10],
];
for (const [title, input, expected] of derivedJitter) {
  test(`lifetimeJitterMs: ${title}`, (t) => {
    t.is(compilePoolOptions(input).lifetimeJitterMs, expected);
  });
}

const invalid: [string, unknown, RegExp][] = [
  ['unknown key', { name: 'p', maxConnections: 5 }, /unknown option "maxConnections"/],
  ['missing name', { max: 5 }, /"name"/],
  ['empty name', { name: '' }, /"name"/],
  ['not an object', null, /expected an object/],
  ['max 0', { name: 'p', max: 0 }, /"max" must be an integer >= 1/],
  ['negative min', { name: 'p', min: -1 }, /"min"/],
  ['fractional timeout', { name: 'p', acquireTimeoutMs: 1.5 }, /"acquireTimeoutMs"/],
  ['unbounded timeout', { name: 'p', acquireTimeoutMs: Number.POSITIVE_INFINITY }, /"acquireTimeoutMs"/],
  ['zero timeout', { name: 'p', acquireTimeoutMs: 0 }, /"acquireTimeoutMs"/],
  ['string number', { name: 'p', max: '5' }, /"max"/],
  ['NaN', { name: 'p', idleTimeoutMs: Number.NaN }, /"idleTimeoutMs"/],
  [
    'timeout beyond a Node timer',
    { name: 'p', acquireTimeoutMs: 2 ** 31 },
    /"acquireTimeoutMs" must be an integer in \[1, 2147483647\]/,
  ],
  [
    'eviction interval beyond a Node timer',
    { name: 'p', evictionIntervalMs: 2 ** 31 },
    /"evictionIntervalMs"/,
  ],
  ['zero eviction interval', { name: 'p', evictionIntervalMs: 0 }, /"evictionIntervalMs"/],
  ['min above max', { name: 'p', min: 5, max: 4 }, /"min" \(5\) exceeds "max" \(4\)/],
  [
    'jitter equal to lifetime',
    { name: 'p', maxLifetimeMs: 1000, lifetimeJitterMs: 1000 },
    /lifetimeJitterMs/,
  ],
  ['jitter without lifetime', { name: 'p', maxLifetimeMs: 0, lifetimeJitterMs: 5 }, /lifetimeJitterMs/],
];
for (const [title, input, message] of invalid) {
  test(`rejects ${title} with INVALID_ARGUMENT`, (t) => {
    const error = t.throws(() => compilePoolOptions(input as PoolOptions), { instanceOf: GatewayError });
    t.is(error?.code, Code.INVALID_ARGUMENT);
    t.is(error?.reason, 'INVALID_POOL_OPTIONS');
    t.regex(error?.message ?? '', message);
  });
}
