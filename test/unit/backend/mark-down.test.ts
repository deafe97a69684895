/**
 * Backend.markDown, what the health monitor's "down" does to a backend's traffic: statements in
 * flight fail at once (connection failures that say they may have executed, no KILL QUERY on a
 * server that does not answer), callers waiting for a connection fail at once, new acquires fail
 * until markUp.
 */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { backendOver, callContext, FakeDriver, turns } from './helpers/setup.js';

const SLEEP = { sql: 'SELECT SLEEP(60)', params: [] };

test('statements in flight fail at once UNAVAILABLE, stating they may have executed; no KILL', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const a = await backend.acquire(ctx);
  const b = await backend.acquire(ctx);
  const runA = backend.run(a.resource, SLEEP, undefined, ctx);
  const runB = backend.run(b.resource, SLEEP, undefined, ctx);
  t.is(backend.statementsInFlight, 2);

  t.is(backend.markDown('health check timed out after 1000 ms'), 2);
  for (const running of [runA, runB]) {
    const err = await t.throwsAsync(running, { instanceOf: GatewayError });
    t.is(err.code, Code.UNAVAILABLE);
    t.is(err.reason, 'BACKEND_UNAVAILABLE', 'a connection failure: reads that sent nothing are retried');
    t.true(err.mayHaveExecuted);
    t.regex(err.message, /marked down .*health check timed out.*may have reached MySQL/);
  }
  t.true(a.resource.broken && b.resource.broken, 'poisoned: their lease holders destroy them');
  t.is(backend.statementsInFlight, 0);
  a.destroy(a.resource.brokenCause);
  b.destroy(b.resource.brokenCause);
  await turns(20);
  t.is(driver.connections.length, 2, 'no control connection opened for a KILL QUERY');
  t.true(
    driver.connections.every((c) => c.stream.destroyed),
    'sockets closed at once',
  );
});

test('callers waiting for a connection fail at once; new acquires fail until markUp', async (t) => {
  const backend = backendOver(t, new FakeDriver());
  const { ctx } = callContext();
  const a = await backend.acquire(ctx);
  const b = await backend.acquire(ctx);
  const waiting = backend.acquire(ctx);
  t.is(backend.markDown('3 checks failed'), 0);
  t.true(backend.markedDown);
  const err = await t.throwsAsync(waiting, { instanceOf: GatewayError });
  t.is(err.code, Code.UNAVAILABLE);
  t.is(err.reason, 'BACKEND_UNAVAILABLE');
  t.regex(err.message, /marked down \(3 checks failed\): nothing was sent/);
  t.false(err.mayHaveExecuted);
  const refused = await t.throwsAsync(backend.acquire(ctx), { instanceOf: GatewayError });
  t.is(refused.reason, 'BACKEND_UNAVAILABLE');
  t.is(backend.inFlight, 2, 'failed acquires are counted down');

  backend.markUp();
  t.false(backend.markedDown);
  a.release();
  const c = await backend.acquire(ctx);
  c.release();
  b.release();
  t.is(backend.inFlight, 0);
});

test('a caller that leaves while waiting still gets its own reason, not the backend being down', async (t) => {
  const backend = backendOver(t, new FakeDriver());
  const held = [await backend.acquire(callContext().ctx), await backend.acquire(callContext().ctx)];
  const { ctx, abort } = callContext();
  const waiting = backend.acquire(ctx);
  abort.abort(new GatewayError(Code.CANCELLED, 'CANCELLED', 'client cancelled'));
  const err = await t.throwsAsync(waiting, { instanceOf: GatewayError });
  t.is(err.code, Code.CANCELLED);
  for (const l of held) l.release();
});

test('a statement sent on a connection held across the fall fails at once, poisoning it', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const lease = await backend.acquire(ctx);
  backend.markDown('3 checks failed');
  const err = await t.throwsAsync(backend.run(lease.resource, SLEEP, undefined, ctx), {
    instanceOf: GatewayError,
  });
  t.is(err.reason, 'BACKEND_UNAVAILABLE');
  t.false(err.mayHaveExecuted, 'nothing was sent');
  t.deepEqual(
    driver.connections[0]!.commands.map((c) => c.sql),
    [],
    'no statement reached the driver',
  );
  t.true(lease.resource.broken);
  lease.destroy(lease.resource.brokenCause);
});
