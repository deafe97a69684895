/**
 * The control connection that carries KILL QUERY: a kill the server refuses (the statement's
 * thread is already gone, as after a hedge's loser was closed while its server was frozen) keeps
 * it for the next kill, and close() closes it, so no socket outlives the backend.
 */
import test from 'ava';
import { backendOver, FakeDriver, serverError } from './helpers/setup.js';

test('a refused KILL QUERY keeps the control connection, and close() closes it', async (t) => {
  const driver = new FakeDriver();
  driver.answers.set('KILL QUERY 500', serverError(1094, 'HY000', 'Unknown thread id: 500'));
  const backend = backendOver(t, driver);
  await backend.killQuery(500);
  const control = driver.connections[0]!;
  t.true(control.calls.includes('query:KILL QUERY 500'));
  await backend.killQuery(501);
  t.is(driver.connections.length, 1, 'the next kill reuses the control connection');
  t.true(control.calls.includes('query:KILL QUERY 501'));
  await backend.close();
  t.true(control.calls.includes('end'), 'closed with the backend');
});

test('a control connection that broke is closed and replaced by the next kill', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  await backend.killQuery(500);
  const first = driver.connections[0]!;
  first.failSocket(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', fatal: true }));
  await backend.killQuery(501);
  t.is(driver.connections.length, 2, 'a new control connection');
  t.true(driver.connections[1]!.calls.includes('query:KILL QUERY 501'));
  t.true(first.calls.includes('destroy'), 'the broken one is closed');
  await backend.close();
  t.true(driver.connections[1]!.calls.includes('end'));
});
