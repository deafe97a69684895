/** Keyed retries: which codes are retried, one key for every attempt, the attempt and time bounds (fake clock). */
import test from 'ava';
import { GatewayClientError, StatusCode } from '../../../src/client/errors.js';
import {
  isAlreadyCommitted,
  isRetryableKeyedTransaction,
  isRetryableWithKey,
  operationKey,
  retryOptionsOf,
  retryWithKey,
} from '../../../src/client/idempotent-retry.js';
import type { RetryEnvironment } from '../../../src/client/retry.js';

const err = (code: number, reason?: string, commitAttempted = false) =>
  new GatewayClientError(code, 'x', { reason, commitAttempted });

const CODES: [string, GatewayClientError | Error, boolean, boolean][] = [
  // name, error, retried with a key, retried in a keyed transaction
  ['UNAVAILABLE', err(StatusCode.UNAVAILABLE, 'BACKEND_UNAVAILABLE'), true, true],
  ['COMMIT_OUTCOME_UNKNOWN', err(StatusCode.UNAVAILABLE, 'COMMIT_OUTCOME_UNKNOWN', true), true, true],
  [
    'IDEMPOTENT_WRITE_NOT_COMMITTED',
    err(StatusCode.UNAVAILABLE, 'IDEMPOTENT_WRITE_NOT_COMMITTED'),
    true,
    true,
  ],
  ['DEADLINE_EXCEEDED', err(StatusCode.DEADLINE_EXCEEDED), true, true],
  ['ABORTED before commit', err(StatusCode.ABORTED, 'DEADLOCK'), false, true],
  ['ABORTED after commit', err(StatusCode.ABORTED, 'DEADLOCK', true), false, false],
  ['ALREADY_EXISTS', err(StatusCode.ALREADY_EXISTS, 'DUPLICATE_KEY'), false, false],
  ['INVALID_ARGUMENT', err(StatusCode.INVALID_ARGUMENT, 'SYNTAX_ERROR'), false, false],
  ['FAILED_PRECONDITION', err(StatusCode.FAILED_PRECONDITION, 'IDEMPOTENCY_KEY_REUSED'), false, false],
  ['CANCELLED', err(StatusCode.CANCELLED), false, false],
  ['PERMISSION_DENIED', err(StatusCode.PERMISSION_DENIED), false, false],
  ['a plain Error', new Error('boom'), false, false],
];

for (const [name, e, keyed, keyedTx] of CODES) {
  test(`retried with a key: ${name} -> ${keyed}; in a keyed transaction -> ${keyedTx}`, (t) => {
    t.is(isRetryableWithKey(e), keyed);
    t.is(isRetryableKeyedTransaction(e), keyedTx);
  });
}

test('isAlreadyCommitted: only ALREADY_EXISTS with TRANSACTION_ALREADY_COMMITTED', (t) => {
  t.true(isAlreadyCommitted(err(StatusCode.ALREADY_EXISTS, 'TRANSACTION_ALREADY_COMMITTED')));
  t.false(isAlreadyCommitted(err(StatusCode.ALREADY_EXISTS, 'DUPLICATE_KEY')));
  t.false(isAlreadyCommitted(err(StatusCode.FAILED_PRECONDITION, 'TRANSACTION_ALREADY_COMMITTED')));
});

test('operationKey: the given key, else a new UUID each time', (t) => {
  t.is(operationKey('mine'), 'mine');
  const a = operationKey(undefined);
  const b = operationKey('');
  t.regex(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.not(a, b);
});

test('retryOptionsOf: true, false, options, and anything else refused', (t) => {
  t.deepEqual(retryOptionsOf(true, undefined), {});
  t.is(retryOptionsOf(false, undefined), undefined);
  t.is(retryOptionsOf(undefined, undefined), undefined);
  const signal = new AbortController().signal;
  t.deepEqual(retryOptionsOf({ attempts: 2 }, signal), { signal, attempts: 2 });
  const bad = t.throws(() => retryOptionsOf('yes', undefined), { instanceOf: GatewayClientError });
  t.is(bad?.reason, 'INVALID_OPTION');
});

/** A fake environment: a clock that advances only by the delays slept. */
function fakeEnv(): RetryEnvironment & { slept: number[] } {
  const slept: number[] = [];
  let now = 0;
  return {
    slept,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

test('every attempt gets the same key, until one succeeds', async (t) => {
  const keys: string[] = [];
  const failures = [err(StatusCode.UNAVAILABLE), err(StatusCode.DEADLINE_EXCEEDED)];
  const out = await retryWithKey(
    'k-1',
    { attempts: 5 },
    async (key, attempt) => {
      keys.push(key);
      const f = failures.shift();
      if (f) throw f;
      return attempt;
    },
    undefined,
    fakeEnv(),
  );
  t.is(out, 3);
  t.deepEqual(keys, ['k-1', 'k-1', 'k-1']);
});

test('a definite answer is thrown at once; attempts bound the rest', async (t) => {
  let calls = 0;
  const dup = err(StatusCode.ALREADY_EXISTS, 'DUPLICATE_KEY');
  const e1 = await t.throwsAsync(
    retryWithKey(
      'k',
      { attempts: 5 },
      async () => {
        calls++;
        throw dup;
      },
      undefined,
      fakeEnv(),
    ),
  );
  t.is(e1, dup);
  t.is(calls, 1);
  calls = 0;
  await t.throwsAsync(
    retryWithKey(
      'k',
      { attempts: 4 },
      async () => {
        calls++;
        throw err(StatusCode.UNAVAILABLE);
      },
      undefined,
      fakeEnv(),
    ),
  );
  t.is(calls, 4);
});

test('maxElapsedMs: no retry starts past the bound', async (t) => {
  const env = fakeEnv();
  let calls = 0;
  await t.throwsAsync(
    retryWithKey(
      'k',
      { attempts: 100, baseDelayMs: 100, maxDelayMs: 100, maxElapsedMs: 300 },
      async () => {
        calls++;
        throw err(StatusCode.UNAVAILABLE);
      },
      undefined,
      env,
    ),
  );
  // random 0.5 of a 100 ms cap: 50 ms per backoff; the retry that would start at 300 ms does not.
  t.deepEqual(env.slept, [50, 50, 50, 50, 50]);
  t.is(calls, 6);
});
