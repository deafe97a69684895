/** withRetry: only ABORTED before commit, full-jitter exponential backoff, bounded attempts (fake clock). */
import test from 'ava';
import { GatewayClientError, StatusCode } from '../../../src/client/errors.js';
import { backoffDelayMs, isRetryable, type RetryEnvironment, retryLoop } from '../../../src/client/retry.js';

const deadlock = () =>
  new GatewayClientError(StatusCode.ABORTED, 'Deadlock found', { reason: 'DEADLOCK', mysqlErrno: 1213 });

/** A fake environment: records the delays instead of sleeping; random() returns `r`. */
function fakeEnv(r = 0.5): RetryEnvironment & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    random: () => r,
    sleep: async (ms) => {
      slept.push(ms);
    },
  };
}

/** A function failing with `errors` in turn, then returning 'ok'. */
function failing(errors: unknown[]): { fn: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    fn: async (attempt) => {
      attempts.push(attempt);
      const err = errors.shift();
      if (err !== undefined) throw err;
      return 'ok';
    },
  };
}

const DELAYS: [number, number, number, number, number][] = [
  // retry, base, max, random, expected
  [1, 20, 1000, 0.999999, 19],
  [2, 20, 1000, 0.999999, 39],
  [3, 20, 1000, 0.5, 40],
  [10, 20, 1000, 0.999999, 999],
  [10, 20, 1000, 0, 0],
  [1, 0, 1000, 0.7, 0],
  [4, 100, 250, 0.5, 125],
];
for (const [retry, base, max, r, expected] of DELAYS) {
  test(`backoff: retry ${retry}, base ${base}, max ${max}, random ${r} → ${expected} ms`, (t) => {
    t.is(
      backoffDelayMs(retry, base, max, () => r),
      expected,
    );
  });
}

test('retries ABORTED until it succeeds, with growing jittered delays', async (t) => {
  const env = fakeEnv(0.5);
  const { fn, attempts } = failing([deadlock(), deadlock()]);
  const seen: [number, number][] = [];
  const out = await retryLoop(
    fn,
    { attempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, onRetry: (e, a, d) => seen.push([a, d]) && void e },
    env,
  );
  t.is(out, 'ok');
  t.deepEqual(attempts, [1, 2, 3]);
  t.deepEqual(env.slept, [50, 100]);
  t.deepEqual(seen, [
    [1, 50],
    [2, 100],
  ]);
});

test('gives up after `attempts` runs and throws the last error', async (t) => {
  const env = fakeEnv();
  const last = deadlock();
  const { fn, attempts } = failing([deadlock(), deadlock(), last]);
  const err = await t.throwsAsync(retryLoop(fn, { attempts: 3 }, env));
  t.is(err, last);
  t.deepEqual(attempts, [1, 2, 3]);
  t.is(env.slept.length, 2);
});

const NOT_RETRIED: [string, unknown][] = [
  ['ALREADY_EXISTS', new GatewayClientError(StatusCode.ALREADY_EXISTS, 'dup', { mysqlErrno: 1062 })],
  ['UNAVAILABLE', new GatewayClientError(StatusCode.UNAVAILABLE, 'down')],
  ['DEADLINE_EXCEEDED', new GatewayClientError(StatusCode.DEADLINE_EXCEEDED, 'late')],
  ['ABORTED after the commit was sent', deadlock().afterCommit()],
  ['a plain Error', new Error('boom')],
  ['a non-error', 'boom'],
];
for (const [name, error] of NOT_RETRIED) {
  test(`does not retry ${name}`, async (t) => {
    const env = fakeEnv();
    const { fn, attempts } = failing([error]);
    const err = await t.throwsAsync(retryLoop(fn, { attempts: 5 }, env), { any: true });
    t.is(err, error);
    t.deepEqual(attempts, [1]);
    t.deepEqual(env.slept, []);
  });
}

test('isRetryable', (t) => {
  t.true(isRetryable(deadlock()));
  t.false(isRetryable(deadlock().afterCommit()));
  t.false(isRetryable(new GatewayClientError(StatusCode.CANCELLED, 'x')));
  t.false(isRetryable({ code: StatusCode.ABORTED }));
});

test('an aborted signal stops retrying with the last error', async (t) => {
  const ac = new AbortController();
  const env = fakeEnv();
  const first = deadlock();
  const { fn, attempts } = failing([first, deadlock()]);
  ac.abort();
  const err = await t.throwsAsync(retryLoop(fn, { attempts: 5, signal: ac.signal }, env));
  t.is(err, first);
  t.deepEqual(attempts, [1]);
});

test('a signal aborted during the backoff ends it with the last error', async (t) => {
  const ac = new AbortController();
  const first = deadlock();
  const { fn, attempts } = failing([first, deadlock()]);
  const env: RetryEnvironment = {
    random: () => 0.5,
    sleep: (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason));
        ac.abort();
      }),
  };
  const err = await t.throwsAsync(retryLoop(fn, { attempts: 5, signal: ac.signal }, env));
  t.is(err, first);
  t.deepEqual(attempts, [1]);
});

const BAD_OPTIONS: [string, object][] = [
  ['attempts 0', { attempts: 0 }],
  ['attempts 1.5', { attempts: 1.5 }],
  ['negative baseDelayMs', { baseDelayMs: -1 }],
  ['NaN maxDelayMs', { maxDelayMs: Number.NaN }],
  ['unknown key', { retries: 3 }],
];
for (const [name, opts] of BAD_OPTIONS) {
  test(`refuses ${name}`, async (t) => {
    const { fn, attempts } = failing([]);
    const err = await t.throwsAsync(retryLoop(fn, opts, fakeEnv()), { instanceOf: GatewayClientError });
    t.is(err?.reason, 'INVALID_OPTION');
    t.deepEqual(attempts, []);
  });
}
