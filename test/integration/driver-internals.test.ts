/**
 * The mysql2 internals of src/internals.ts against a real MariaDB (the sandbox primary): the
 * handshake sets `_isMariaDB`, `reset` clears the session (COM_RESET_CONNECTION), and destroying
 * `stream` drops the connection on the server at once. These fail when a mysql2 upgrade renames
 * or changes one of them, which the unit test (test/unit/internals.test.ts) cannot see.
 */
import test from 'ava';
import mysql from 'mysql2';
import type { RowSink } from '../../src/backend/connection.js';
import { type ConnectorSettings, Connector } from '../../src/backend/connector.js';
import { destroyConnectionSocket, isMariaDbConnection } from '../../src/internals.js';
import { ensureSandbox, rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';

const settings: ConnectorSettings = {
  name: 'primary',
  host: sandbox.host,
  port: sandbox.primaryPort,
  user: sandbox.gatewayUser,
  password: () => sandbox.gatewayPassword(),
  database: 'gwtest',
  connectTimeoutMs: 3000,
  readTimeoutMs: 30_000,
  writeTimeoutMs: 30_000,
  keepAlive: true,
  keepAliveIntervalMs: 60_000,
  tls: { enabled: false, verify: true, ca: '', cert: '', key: '', servername: '' },
  charset: 'utf8mb4',
  collation: 'utf8mb4_unicode_ci',
  sqlMode: 'STRICT_TRANS_TABLES',
  reconnect: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 },
  maxPreparedStatements: 16,
};

test.before(async () => {
  await ensureSandbox();
});

/** Collects the rows of one statement. */
function rowsSink(): { rows: unknown[][]; sink: RowSink } {
  const rows: unknown[][] = [];
  return { rows, sink: { fields: () => {}, row: (r) => rows.push(r) } };
}

async function serverHasThread(threadId: number): Promise<boolean> {
  const rows = await rootQuery(
    sandbox.primaryPort,
    `SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ${threadId}`,
  );
  return rows.length > 0;
}

test('a real mysql2 handshake with MariaDB sets _isMariaDB', async (t) => {
  const conn = mysql.createConnection({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password(),
  });
  t.teardown(() => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', () => resolve());
    conn.once('error', reject);
  });
  t.is(
    (conn as unknown as { _isMariaDB?: unknown })._isMariaDB,
    true,
    'mysql2 Connection#_isMariaDB is not set to true by a MariaDB handshake any more',
  );
  t.true(isMariaDbConnection(conn));
  const connector = new Connector(settings);
  const db = await connector.openOnce();
  t.teardown(() => db.close());
  t.true(db.isMariaDb, 'DbConnection.isMariaDb');
});

test('reset (mysql2 Connection#reset) clears user variables and re-applies the session settings', async (t) => {
  const db = await new Connector(settings).openOnce();
  t.teardown(() => db.close());
  await db.exec("SET @gw_internals = 'set', time_zone = '+05:00'");
  const before = rowsSink();
  await db.run('SELECT @gw_internals, @@session.time_zone', [], before.sink);
  t.deepEqual(before.rows, [['set', '+05:00']]);

  await db.reset();
  const after = rowsSink();
  await db.run('SELECT @gw_internals, @@session.time_zone', [], after.sink);
  t.deepEqual(after.rows, [[null, '+00:00']], 'variable gone, the gateway time zone back');
  t.false(db.broken);
});

test('destroying mysql2 Connection#stream drops the connection on the server', async (t) => {
  const conn = mysql.createConnection({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password(),
  });
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', () => resolve());
    conn.once('error', reject);
  });
  t.true(await serverHasThread(conn.threadId));
  destroyConnectionSocket(conn);
  t.true((conn as unknown as { stream: { destroyed: boolean } }).stream.destroyed);
  await waitFor(async () => !(await serverHasThread(conn.threadId)), {
    message: `thread ${conn.threadId} gone from the server`,
  });
  t.pass();
});

test('textAsBytes: mysql2 reads utf8mb4 text cells as their bytes once `fields` marks them binary; other cells as before', async (t) => {
  const db = await new Connector(settings).openOnce();
  t.teardown(() => db.close());
  const sql =
    "SELECT CAST('héllo €' AS CHAR) AS s, _utf8mb4'x' AS v, CAST(12.50 AS DECIMAL(5,2)) AS d, 7 AS n, JSON_OBJECT('k', 'ü') AS j, CAST('raw' AS BINARY) AS b, CONVERT('é' USING latin1) AS l";
  const run = async (textAsBytes: boolean) => {
    const rows: unknown[][] = [];
    await db.run(sql, [], { fields: () => {}, row: (r) => rows.push(r), textAsBytes });
    return rows[0] ?? [];
  };
  const [s, v, d, n, j, b, l] = await run(true);
  // The two text columns: the server's UTF-8 bytes, which only mysql2's parser (compiled after
  // the `fields` event, from the marked character sets) could have produced as Buffers.
  t.deepEqual(s, Buffer.from('héllo €', 'utf8'));
  t.deepEqual(v, Buffer.from('x'));
  t.is(d, '12.50');
  t.is(n, 7);
  t.is(typeof j, 'string', 'MariaDB JSON (extended metadata) stays a string');
  t.deepEqual(JSON.parse(j as string), { k: 'ü' });
  t.deepEqual(b, Buffer.from('raw'));
  // character_set_results is utf8mb4, so a latin1 expression arrives as UTF-8 bytes too.
  t.deepEqual(l, Buffer.from('é', 'utf8'));
  // A sink that does not ask keeps strings, on the same connection right after (mysql2 caches
  // parsers by the columns' character sets, so the marked parser is not handed out here).
  t.deepEqual(await run(false), ['héllo €', 'x', '12.50', 7, j, Buffer.from('raw'), 'é']);
  t.false(db.broken);
});
