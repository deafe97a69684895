/**
 * A statement aborted through its StatementContext signal (the caller cancelled or its deadline
 * passed): KILL QUERY over the control connection, the caller fails at once with the abort
 * reason, and the connection is poisoned and then closed hard once the kill has gone through.
 */
import test from 'ava';
import { errors, GatewayError } from '../../../src/errors.js';
import { backendOver, callContext, FakeDriver, serverError, turns, until } from './helpers/setup.js';

const SLEEP = { sql: 'SELECT SLEEP(60)', params: [] };

test('abort mid-statement: the caller gets the reason at once, the query is killed, the connection poisoned', async (t) => {
  const driver = new FakeDriver();
  // The control connection (opened on the first kill) holds its KILL until the test lets it go.
  driver.answers.set('KILL QUERY 101', 'hold');
  const backend = backendOver(t, driver);
  const { ctx, abort } = callContext();
  const lease = await backend.acquire(ctx);
  const conn = lease.resource;
  const victim = driver.driverOf(conn);

  const running = backend.run(conn, SLEEP, undefined, ctx);
  t.is(victim.lastCommand.sql, SLEEP.sql);
  const reason = errors.cancelled('CANCELLED', 'the client cancelled the call');
  abort.abort(reason);

  // Rejected while the KILL is still held: the caller does not wait for the server.
  const err = await t.throwsAsync(running);
  t.is(err, reason);
  t.true(conn.broken);
  t.is(conn.brokenCause, reason);

  await until(() => driver.connections[1]?.held.length === 1, 'the KILL QUERY on the control connection');
  const control = driver.connections[1]!;
  t.is(control.held[0]!.what, 'KILL QUERY 101', 'the running statement is killed, by thread id');
  t.not(control.threadId, victim.threadId, 'over a separate connection');

  // The lease holder destroys the poisoned connection; its socket closes only after the kill.
  lease.destroy(conn.brokenCause);
  await turns(20);
  t.false(victim.stream.destroyed, 'the socket is not closed before the KILL QUERY went through');
  t.false(victim.calls.includes('destroy'));
  control.held[0]!.resolve();
  await victim.socketDestroyed.promise;
  t.true(victim.calls.includes('destroy'));
  t.false(victim.calls.includes('end'), 'no COM_QUIT on a connection in an unknown state');

  // The killed statement's own error arriving late changes nothing.
  victim.lastCommand.fail(serverError(1317, '70100', 'Query execution was interrupted'));
  t.is(conn.brokenCause, reason);
  t.is(backend.inFlight, 0);
});

test('a signal aborted before the statement: nothing is sent, the caller gets the reason', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx, abort } = callContext();
  const lease = await backend.acquire(ctx);
  const reason = errors.deadlineExceeded('DEADLINE_EXCEEDED', 'deadline exceeded');
  abort.abort(reason);
  const err = await t.throwsAsync(backend.run(lease.resource, SLEEP, undefined, ctx));
  t.is(err, reason);
  t.deepEqual(driver.driverOf(lease.resource).commands, [], 'no statement reached the driver');
  t.false(lease.resource.broken, 'nothing ran, so the session is intact');
  lease.release();
});

test('an abort after the statement completed kills nothing and leaves the connection healthy', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx, abort } = callContext();
  const lease = await backend.acquire(ctx);
  const running = backend.run(lease.resource, SLEEP, undefined, ctx);
  driver.driverOf(lease.resource).lastCommand.resultSet(['SLEEP(60)'], [['0']]);
  t.is((await running).rowCount, 1);
  abort.abort(errors.cancelled('CANCELLED', 'late cancel'));
  t.false(lease.resource.broken);
  t.is(driver.connections.length, 1, 'no control connection was opened');
  lease.release();
});

test('a kill that cannot reach the server still fails the caller; the next kill opens a new control connection', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const first = callContext();
  const second = callContext();
  const leaseA = await backend.acquire(first.ctx);
  const leaseB = await backend.acquire(second.ctx);
  // Connections 101 and 102 are leased; the first control connection (103) fails to connect.
  driver.outcomes.push(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

  const runA = backend.run(leaseA.resource, SLEEP, undefined, first.ctx);
  const reasonA = errors.cancelled('CANCELLED', 'first');
  first.abort.abort(reasonA);
  t.is(await t.throwsAsync(runA), reasonA);
  t.true(leaseA.resource.broken);
  await until(
    () => driver.connections[2]?.calls.includes('destroy') === true,
    'the failed control connection',
  );

  const runB = backend.run(leaseB.resource, SLEEP, undefined, second.ctx);
  const reasonB = errors.cancelled('CANCELLED', 'second');
  second.abort.abort(reasonB);
  t.is(await t.throwsAsync(runB), reasonB);
  await until(
    () => driver.connections[3]?.calls.includes('query:KILL QUERY 102') === true,
    'KILL QUERY 102 on a fresh control connection',
  );
  leaseA.destroy();
  leaseB.destroy();
  t.is(backend.inFlight, 0);
});

test('a statement past its deadline before it is sent fails DEADLINE_EXCEEDED without reaching the driver', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const lease = await backend.acquire(ctx);
  const err = await t.throwsAsync(
    backend.run(lease.resource, SLEEP, undefined, { ...ctx, deadline: Date.now() - 1 }),
  );
  t.true(err instanceof GatewayError);
  t.is((err as GatewayError).reason, 'DEADLINE_EXCEEDED');
  t.deepEqual(driver.driverOf(lease.resource).commands, []);
  lease.release();
});
