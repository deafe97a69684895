/**
 * The connection failing under a statement: a socket error or the server closing the connection
 * fails the statement at once (mysql2 reports these on the connection, not on the statement,
 * which would otherwise wait forever), UNAVAILABLE, and breaks the connection for good. A server
 * error that is not fatal fails only the statement.
 */
import test from 'ava';
import { Code, type GatewayError } from '../../../src/errors.js';
import {
  backendOver,
  callContext,
  connectionOver,
  FakeDriver,
  serverError,
  socketError,
  turns,
} from './helpers/setup.js';

function collectingSink() {
  const rows: unknown[][] = [];
  return { rows, sink: { fields: () => {}, row: (r: unknown[]) => rows.push(r) } };
}

test('a socket error mid-result fails the statement UNAVAILABLE and breaks the connection', async (t) => {
  const { db, driver } = connectionOver();
  const { rows, sink } = collectingSink();
  const running = db.run('SELECT * FROM big', [], sink);
  const cmd = driver.lastCommand;
  cmd.emit('fields', []);
  cmd.emit('result', ['1']);
  const lost = socketError('ECONNRESET');
  driver.failSocket(lost);
  const err = (await t.throwsAsync(running)) as GatewayError;
  t.is(err.code, Code.UNAVAILABLE);
  t.is(err.cause, lost);
  t.deepEqual(rows, [['1']], 'rows before the error were delivered');
  t.true(db.broken);
  t.is(db.brokenCause, lost);

  // Never reused: the next statement fails without reaching the driver.
  const issued = driver.calls.length;
  t.is(((await t.throwsAsync(db.run('SELECT 1', [], undefined))) as GatewayError).code, Code.UNAVAILABLE);
  t.is(driver.calls.length, issued);
  await db.close();
  t.true(driver.stream.destroyed, 'closed hard');
});

test('the server closing the connection mid-statement: UNAVAILABLE, connection lost', async (t) => {
  const { db, driver } = connectionOver();
  const running = db.run('SELECT SLEEP(5)', [], undefined);
  driver.emit('end');
  const err = (await t.throwsAsync(running)) as GatewayError;
  t.is(err.code, Code.UNAVAILABLE);
  t.regex(err.message, /PROTOCOL_CONNECTION_LOST/);
  t.true(db.broken);
});

test('a fatal error reported on the statement breaks the connection', async (t) => {
  const { db, driver } = connectionOver();
  const running = db.run('SELECT 1', [], undefined);
  driver.lastCommand.fail(socketError('PROTOCOL_PACKETS_OUT_OF_ORDER'));
  t.is(((await t.throwsAsync(running)) as GatewayError).code, Code.UNAVAILABLE);
  t.true(db.broken);
});

test('a fatal error on a callback command (ping) breaks the connection', async (t) => {
  const { db, driver } = connectionOver();
  driver.answers.set('ping', socketError('EPIPE'));
  t.is(((await t.throwsAsync(db.ping())) as GatewayError).code, Code.UNAVAILABLE);
  t.true(db.broken);
});

test('a server error fails only the statement: the connection stays usable', async (t) => {
  const { db, driver } = connectionOver();
  const failing = db.run('SELEC 1', [], undefined);
  driver.lastCommand.fail(serverError(1064, '42000', 'You have an error in your SQL syntax'));
  const err = (await t.throwsAsync(failing)) as GatewayError;
  t.is(err.mysqlErrno, 1064);
  t.false(db.broken);
  const next = db.run('SELECT 1', [], undefined);
  driver.lastCommand.resultSet(['1'], [['1']]);
  t.is((await next).rowCount, 1);
});

test('a socket error after the statement completed breaks the connection for the next caller', async (t) => {
  const { db, driver } = connectionOver();
  const running = db.run('SELECT 1', [], undefined);
  driver.lastCommand.resultSet(['1'], [['1']]);
  t.is((await running).rowCount, 1);
  driver.failSocket(socketError('ECONNRESET'));
  await turns(1);
  t.true(db.broken);
});

test('Backend: a connection that broke while idle is skipped at acquire and destroyed', async (t) => {
  const driver = new FakeDriver();
  const backend = backendOver(t, driver);
  const { ctx } = callContext();
  const lease = await backend.acquire(ctx);
  lease.release();
  driver.connections[0]!.failSocket(socketError('ECONNRESET'));

  const next = await backend.acquire(ctx);
  t.is(next.resource.threadId, 102);
  await driver.connections[0]!.socketDestroyed.promise;
  next.release();
});
