/**
 * Backend.inFlight, what least-outstanding-requests routing compares: every caller from the start
 * of its acquire until its lease ends, counted down exactly once, also when the acquire fails.
 */
import test from 'ava';
import { errors } from '../../../src/errors.js';
import { backendOver, callContext, FakeDriver, socketError, until } from './helpers/setup.js';

test('counts leases from acquire until release or destroy', async (t) => {
  const backend = backendOver(t, new FakeDriver());
  const { ctx } = callContext();
  t.is(backend.inFlight, 0);
  const a = await backend.acquire(ctx);
  t.is(backend.inFlight, 1);
  const b = await backend.acquire(ctx);
  t.is(backend.inFlight, 2);
  a.release();
  t.is(backend.inFlight, 1);
  b.destroy(new Error('done with it'));
  t.is(backend.inFlight, 0);
});

test('a lease ended twice throws and is counted down once', async (t) => {
  const backend = backendOver(t, new FakeDriver());
  const { ctx } = callContext();
  const other = await backend.acquire(ctx);
  const lease = await backend.acquire(ctx);
  lease.release();
  t.throws(() => lease.release(), { message: /already released/ });
  t.throws(() => lease.destroy());
  t.is(backend.inFlight, 1, 'only the other lease');
  other.release();
  t.is(backend.inFlight, 0);
});

test('a caller waiting for a connection is in flight; it is counted once when it gets one', async (t) => {
  const backend = backendOver(t, new FakeDriver());
  const { ctx } = callContext();
  const a = await backend.acquire(ctx);
  const b = await backend.acquire(ctx);
  const waiting = backend.acquire(ctx);
  t.is(backend.inFlight, 3);
  a.release();
  const c = await waiting;
  t.is(backend.inFlight, 2);
  b.release();
  c.release();
  t.is(backend.inFlight, 0);
});

test('a failed acquire is counted down: backend down, or the caller left', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  for (let i = 0; i < 3; i++) driver.outcomes.push(socketError('ECONNREFUSED'));
  await t.throwsAsync(backend.acquire(callContext().ctx));
  t.is(backend.inFlight, 0, 'connect attempts exhausted');

  const a = await backend.acquire(callContext().ctx);
  const b = await backend.acquire(callContext().ctx);
  const { ctx, abort } = callContext();
  const waiting = backend.acquire(ctx);
  t.is(backend.inFlight, 3);
  abort.abort(errors.cancelled('CANCELLED', 'client left'));
  await t.throwsAsync(waiting);
  t.is(backend.inFlight, 2, 'the cancelled waiter');
  a.release();
  b.release();
  t.is(backend.inFlight, 0);
});

test('a broken idle connection skipped during acquire does not count twice', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const first = await backend.acquire(ctx);
  first.release();
  driver.connections[0]!.failSocket(socketError('ECONNRESET'));
  const next = await backend.acquire(ctx);
  t.is(backend.inFlight, 1);
  await until(() => driver.connections[0]!.stream.destroyed, 'the broken connection destroyed');
  next.release();
  t.is(backend.inFlight, 0);
});
