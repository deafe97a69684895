/**
 * A poisoned connection (its session is in an unknown state): it reports `broken` and why, refuses
 * further commands without sending them, is closed hard (socket reset, no COM_QUIT) once its
 * `beforeClose` kill has gone through or 2 s have passed, and the Backend never hands it out again.
 */
import test from 'ava';
import { Code, errors, GatewayError } from '../../../src/errors.js';
import { FakeClock } from '../pool/helpers/fake-clock.js';
import { backendOver, callContext, connectionOver, deferred, FakeDriver, turns } from './helpers/setup.js';

test('poisoned: broken with its first cause; statements, pings and resets refused without reaching the driver', async (t) => {
  const { db, driver } = connectionOver();
  t.false(db.broken);
  t.is(db.brokenCause, undefined);
  const cause = errors.resourceExhausted('ROW_LIMIT', 'result exceeded the row limit');
  db.poison(cause);
  db.poison(new Error('a later reason'));
  t.true(db.broken);
  t.is(db.brokenCause, cause, 'the first reason is kept');

  t.is(await t.throwsAsync(db.run('SELECT 1', [], undefined)), cause);
  t.is(await t.throwsAsync(db.exec('SELECT 1')), cause);
  t.is(await t.throwsAsync(db.ping()), cause);
  t.is(await t.throwsAsync(db.reset()), cause);
  t.deepEqual(driver.calls, []);
});

test('poison without a reason still breaks the connection', (t) => {
  const { db } = connectionOver();
  db.poison(undefined);
  t.true(db.broken);
  t.true(db.brokenCause instanceof Error);
});

test('close: a poisoned connection is reset at once (no COM_QUIT); a healthy one says COM_QUIT', async (t) => {
  const poisoned = connectionOver();
  poisoned.db.poison(new Error('unknown session state'));
  await poisoned.db.close();
  t.true(poisoned.driver.stream.destroyed, 'socket destroyed');
  t.false(poisoned.driver.calls.includes('end'));

  const healthy = connectionOver();
  await healthy.db.close();
  t.deepEqual(healthy.driver.calls, ['end']);
  t.false(healthy.driver.stream.destroyed);
  t.true(healthy.db.broken, 'a closed connection is not reused either');
});

test('close of a poisoned connection waits for its kill, at most 2 s', async (t) => {
  const clock = new FakeClock();
  const { db, driver } = connectionOver(clock);
  const kill = deferred<void>();
  db.poison(new Error('killed mid-statement'), kill.promise);
  let closed = false;
  void db.close().then(() => {
    closed = true;
  });
  await clock.advance(1999);
  t.false(closed);
  t.false(driver.stream.destroyed, 'the server still has to see the KILL first');
  await clock.advance(1);
  t.true(closed);
  t.true(driver.stream.destroyed);
  t.is(clock.pendingTimers, 0);
});

test('close of a poisoned connection proceeds as soon as its kill settles, even a failed one', async (t) => {
  const clock = new FakeClock();
  const { db, driver } = connectionOver(clock);
  const kill = deferred<void>();
  db.poison(new Error('killed mid-statement'), kill.promise);
  const closing = db.close();
  await turns(3);
  t.false(driver.stream.destroyed);
  kill.reject(new Error('control connection down'));
  await closing;
  t.true(driver.stream.destroyed);
  t.is(clock.pendingTimers, 0, 'the 2 s bound is cleared');
});

test('close of a healthy connection falls back to destroying it when COM_QUIT gets no answer in 1 s', async (t) => {
  const clock = new FakeClock();
  const { db, driver } = connectionOver(clock);
  driver.answers.set('end', 'hold');
  let closed = false;
  void db.close().then(() => {
    closed = true;
  });
  await clock.advance(999);
  t.false(closed);
  await clock.advance(1);
  t.true(closed);
  t.deepEqual(driver.calls, ['end', 'destroy']);
});

test('Backend: a poisoned connection released to the pool is destroyed and never handed out again', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const first = await backend.acquire(ctx);
  first.resource.poison(new Error('result broke a limit'));
  first.release();

  const second = await backend.acquire(ctx);
  t.not(second.resource, first.resource);
  t.is(second.resource.threadId, 102);
  await driver.connections[0]!.socketDestroyed.promise;
  t.false(driver.connections[0]!.calls.includes('end'));
  second.release();
});

test('Backend: a poisoned connection released with reset is destroyed, not reset', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const first = await backend.acquire(ctx);
  const cause = new GatewayError(Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE', 'gone');
  first.resource.poison(cause);
  first.release({ reset: true });
  await driver.connections[0]!.socketDestroyed.promise;
  t.false(driver.connections[0]!.calls.includes('reset'), 'COM_RESET_CONNECTION was not sent');
  const second = await backend.acquire(ctx);
  t.is(second.resource.threadId, 102);
  second.release();
});
