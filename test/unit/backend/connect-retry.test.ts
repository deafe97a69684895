/**
 * The connector's retries: failed connection attempts are retried with full-jitter exponential
 * backoff, each failure reported through onAttemptFailed; credentials and unknown databases are not
 * retried; an abort stops the retries with its reason.
 */
import test from 'ava';
import { backoffDelayMs, Connector, type ConnectorDeps } from '../../../src/backend/connector.js';
import { Code, errors, GatewayError } from '../../../src/errors.js';
import { FakeDriver, serverError, TEST_SETTINGS } from './helpers/setup.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

interface Report {
  readonly attempt: number;
  readonly code: Code;
  readonly delayMs: number;
}

/** A connector over `driver` with a recording sleep and onAttemptFailed, and `random` fixed. */
function connector(driver: FakeDriver, random: number, deps: ConnectorDeps = {}, attempts = 3) {
  const slept: number[] = [];
  const reports: Report[] = [];
  const c = new Connector(
    { ...TEST_SETTINGS, reconnect: { attempts, initialDelayMs: 100, maxDelayMs: 1000 } },
    {
      createConnection: driver.create,
      random: () => random,
      sleep: async (ms) => {
        slept.push(ms);
      },
      onAttemptFailed: (attempt, err, delayMs) => reports.push({ attempt, code: err.code, delayMs }),
      ...deps,
    },
  );
  return { c, slept, reports };
}

test('backoff: full jitter under a ceiling that doubles from the initial delay up to the maximum', (t) => {
  const cases: [attempt: number, random: number, expected: number][] = [
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 99],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [5, 0.5, 500], // ceiling 1600 capped at 1000
    [30, 0.999, 999],
  ];
  for (const [attempt, random, expected] of cases) {
    t.is(
      backoffDelayMs(attempt, 100, 1000, () => random),
      expected,
      `attempt ${attempt}, random ${random}`,
    );
  }
});

test('failed attempts are retried after the backoff delay, and each failure is reported', async (t) => {
  const driver = new FakeDriver();
  driver.outcomes.push(refused(), refused());
  const { c, slept, reports } = connector(driver, 0.5);
  const conn = await c.open(new AbortController().signal);
  t.is(conn.threadId, 103, 'the third connection');
  t.deepEqual(slept, [50, 100]);
  t.deepEqual(reports, [
    { attempt: 1, code: Code.UNAVAILABLE, delayMs: 50 },
    { attempt: 2, code: Code.UNAVAILABLE, delayMs: 100 },
  ]);
  t.true(driver.connections[0]!.calls.includes('destroy'), 'a failed attempt is cleaned up');
  await conn.close();
});

test('attempts exhausted: UNAVAILABLE naming the backend, with the last error as cause; no wait after the last', async (t) => {
  const driver = new FakeDriver();
  const last = refused();
  driver.outcomes.push(refused(), refused(), last);
  const { c, slept, reports } = connector(driver, 0.5);
  const err = (await t.throwsAsync(c.open(new AbortController().signal))) as GatewayError;
  t.is(err.code, Code.UNAVAILABLE);
  t.is(err.reason, 'BACKEND_UNAVAILABLE');
  t.regex(err.message, /db1:3306/);
  t.is((err.cause as GatewayError).cause, last);
  t.is(driver.connections.length, 3);
  t.is(slept.length, 2);
  t.deepEqual(
    reports.map((r) => r.attempt),
    [1, 2],
  );
});

test('one attempt configured: no retry, no report', async (t) => {
  const driver = new FakeDriver();
  driver.outcomes.push(refused());
  const { c, slept, reports } = connector(driver, 0.5, {}, 1);
  t.is(((await t.throwsAsync(c.open(new AbortController().signal))) as GatewayError).code, Code.UNAVAILABLE);
  t.is(driver.connections.length, 1);
  t.deepEqual(slept, []);
  t.deepEqual(reports, []);
});

test('wrong credentials and unknown databases are not retried', async (t) => {
  for (const [err, code] of [
    [serverError(1045, '28000', "Access denied for user 'gateway'"), Code.PERMISSION_DENIED],
    [serverError(1049, '42000', "Unknown database 'nope'"), Code.NOT_FOUND],
  ] as const) {
    const driver = new FakeDriver();
    driver.outcomes.push(err);
    const { c, slept, reports } = connector(driver, 0.5);
    t.is(((await t.throwsAsync(c.open(new AbortController().signal))) as GatewayError).code, code);
    t.is(driver.connections.length, 1, `${err.message}: one attempt`);
    t.deepEqual(slept, []);
    t.deepEqual(reports, []);
  }
});

test('an abort during the backoff stops the retries with its reason', async (t) => {
  const driver = new FakeDriver();
  driver.outcomes.push(refused(), refused());
  const controller = new AbortController();
  const reason = errors.cancelled('CANCELLED', 'pool closing');
  const { c } = connector(driver, 0.5, {
    sleep: async () => {
      controller.abort(reason);
    },
  });
  t.is(await t.throwsAsync(c.open(controller.signal)), reason);
  t.is(driver.connections.length, 1, 'no attempt after the abort');
});

test('the default sleep wakes up on abort instead of waiting out the delay', async (t) => {
  const driver = new FakeDriver();
  driver.outcomes.push(refused());
  const controller = new AbortController();
  const reason = errors.cancelled('CANCELLED', 'pool closing');
  // A 10 minute backoff: the test finishes only if the abort cuts it short.
  const c = new Connector(
    { ...TEST_SETTINGS, reconnect: { attempts: 3, initialDelayMs: 600_000, maxDelayMs: 600_000 } },
    {
      createConnection: driver.create,
      random: () => 0.999,
      // Aborts once the backoff has started (after this report, the connector goes to sleep).
      onAttemptFailed: () => queueMicrotask(() => controller.abort(reason)),
    },
  );
  const err = await t.throwsAsync(c.open(controller.signal));
  t.true(err instanceof GatewayError);
  t.is(err, reason);
  t.is(driver.connections.length, 1);
});
