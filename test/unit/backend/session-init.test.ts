/**
 * What a new connection is opened with: the driver options (password from the settings, no LOCAL
 * INFILE, no multi-statements) and the session settings, including the GTID tracking that matches
 * the server (MariaDB's `last_gtid`, MySQL's `OWN_GTID`); a connection whose session setup fails
 * is destroyed.
 */
import test from 'ava';
import { Connector } from '../../../src/backend/connector.js';
import { Code, type GatewayError } from '../../../src/errors.js';
import { FakeDriver, serverError, TEST_SETTINGS } from './helpers/setup.js';

test('driver options: the configured server and account, local files and multi-statements off', async (t) => {
  const driver = new FakeDriver();
  const conn = await new Connector(TEST_SETTINGS, { createConnection: driver.create }).openOnce();
  const opts = driver.connections[0]!.options;
  t.like(opts, {
    host: '127.0.0.1',
    port: 3306,
    user: 'gateway',
    password: 'not-a-real-password',
    database: 'gwtest',
  });
  t.true(opts.flags?.includes('-LOCAL_FILES'));
  t.true(opts.flags?.includes('-MULTI_STATEMENTS'));
  t.is(opts.connectTimeout, 1000);
  await conn.close();
});

test('session settings, with GTID tracking for the server kind', async (t) => {
  for (const [mariaDb, tracking] of [
    [true, "session_track_system_variables = 'last_gtid'"],
    [false, "session_track_gtids = 'OWN_GTID'"],
  ] as const) {
    const driver = new FakeDriver();
    driver.isMariaDb = mariaDb;
    const conn = await new Connector(TEST_SETTINGS, { createConnection: driver.create }).openOnce();
    t.is(conn.isMariaDb, mariaDb);
    const init = driver.connections[0]!.calls[0] ?? '';
    t.true(init.startsWith('query:SET NAMES utf8mb4 COLLATE utf8mb4_general_ci, '), init);
    t.true(init.includes("sql_mode = 'STRICT_ALL_TABLES'"), init);
    t.true(init.includes("time_zone = '+00:00'"), init);
    t.true(init.includes('net_read_timeout = 30, net_write_timeout = 60'), init);
    t.true(init.endsWith(tracking), init);
    await conn.close();
  }
});

test('a failing session setup destroys the connection and fails the attempt', async (t) => {
  const driver = new FakeDriver();
  driver.answers.set(
    "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci, sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00', net_read_timeout = 30, net_write_timeout = 60, session_track_system_variables = 'last_gtid'",
    serverError(1231, '42000', "Variable 'sql_mode' can't be set"),
  );
  const err = (await t.throwsAsync(
    new Connector(TEST_SETTINGS, { createConnection: driver.create }).openOnce(),
  )) as GatewayError;
  t.is(err.mysqlErrno, 1231);
  t.not(err.code, Code.OK);
  t.true(driver.connections[0]!.stream.destroyed);
});
