/**
 * The TypeScript client (`mysql-grpc-gateway/client`) against a real gateway: typed values both
 * ways, object rows, execute, errors with their trailers, deadlines and AbortSignal.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { GatewayClient, GatewayClientError, Value } from '../../src/client/index.js';
import { runningStatements, waitFor } from '../helpers/sandbox.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let client: GatewayClient;
const T = 'client_values';
const AI = 'client_autoinc';

test.before(async () => {
  gw = await startGateway();
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 20_000 });
  await client.execute(`DROP TABLE IF EXISTS ${T}, ${AI}`);
  await client.execute(
    `CREATE TABLE ${T} (id BIGINT UNSIGNED PRIMARY KEY, small INT, neg BIGINT, d DECIMAL(40,20),
     b VARBINARY(16), s VARCHAR(32), f DOUBLE, dt DATETIME(6), n INT NULL) ENGINE=InnoDB`,
  );
  await client.execute(
    `CREATE TABLE ${AI} (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, x INT) ENGINE=InnoDB`,
  );
});

test.after.always(async () => {
  if (!gw) return;
  await client?.execute(`DROP TABLE IF EXISTS ${T}, ${AI}`).catch(() => {});
  await client?.close();
  await gw.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

test.serial('values round-trip with their JS types', async (t) => {
  const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
  const when = new Date('2024-02-29T13:45:01.123Z');
  const inserted = await client.execute(`INSERT INTO ${T} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    18446744073709551615n,
    42,
    -9223372036854775808n,
    Value.decimal('-12345678901234567890.00000000000000000001'),
    bytes,
    'héllo 🐬',
    0.1,
    when,
    null,
  ]);
  t.is(inserted.affectedRows, 1);
  t.is(typeof inserted.consistencyToken, 'string');

  const result = client.query(`SELECT id, small, neg, d, b, s, f, dt, n FROM ${T} WHERE id = ?`, [
    Value.uint64(18446744073709551615n),
  ]);
  const rows = [];
  for await (const row of result) rows.push(row);
  t.deepEqual(rows, [
    [
      18446744073709551615n,
      42,
      -9223372036854775808n,
      '-12345678901234567890.00000000000000000001',
      bytes,
      'héllo 🐬',
      0.1,
      '2024-02-29 13:45:01.123000',
      null,
    ],
  ]);
  const [row] = rows;
  t.is(typeof row?.[0], 'bigint', 'BIGINT UNSIGNED max is a bigint');
  t.is(typeof row?.[1], 'number', 'small ints are numbers');
  t.true(Buffer.isBuffer(row?.[4]), 'bytes are a Buffer');
  t.deepEqual(
    result.columns?.map((c) => [c.name, c.type, c.unsigned]),
    [
      ['id', 'LONGLONG', true],
      ['small', 'LONG', false],
      ['neg', 'LONGLONG', false],
      ['d', 'NEWDECIMAL', false],
      ['b', 'VAR_STRING', false],
      ['s', 'VAR_STRING', false],
      ['f', 'DOUBLE', false],
      ['dt', 'DATETIME', false],
      ['n', 'LONG', false],
    ],
  );
  t.is(result.stats?.rowCount, 1);
  t.is(result.stats?.backendRole, 'primary');
});

test.serial('safe-integer boundaries decide number vs bigint', async (t) => {
  const out = await client.queryAll(
    'SELECT CAST(9007199254740991 AS SIGNED), CAST(9007199254740992 AS SIGNED), CAST(-9007199254740992 AS SIGNED), ?, ?, ?',
    [Number.MAX_SAFE_INTEGER, 2n ** 63n, true],
  );
  t.deepEqual(out.rows, [
    [9007199254740991, 9007199254740992n, -9007199254740992n, 9007199254740991, 9223372036854775808n, 1],
  ]);
});

test.serial('rows as objects keyed by column name', async (t) => {
  const out = await client.queryAll('SELECT 1 AS a, ? AS b, NULL AS c', ['x'], { rowMode: 'object' });
  t.deepEqual(out.rows, [{ a: 1, b: 'x', c: null }]);
  const dup = await t.throwsAsync(client.queryAll('SELECT 1 AS a, 2 AS a', [], { rowMode: 'object' }), {
    instanceOf: GatewayClientError,
  });
  t.is(dup?.reason, 'DUPLICATE_COLUMN_NAME');
});

test.serial('execute: affected rows, a bigint last insert id, info and warnings', async (t) => {
  await client.execute(`ALTER TABLE ${AI} AUTO_INCREMENT = 18446744073709551610`);
  const ins = await client.execute(`INSERT INTO ${AI} (x) VALUES (1)`);
  t.is(ins.lastInsertId, 18446744073709551610n);
  t.is(ins.affectedRows, 1);
  const small = await client.execute(`INSERT INTO ${AI} (id, x) VALUES (5, 1), (6, 1)`);
  t.is(small.affectedRows, 2);
  t.is(small.info.length > 0, true, small.info);
  const upd = await client.execute(`UPDATE ${AI} SET x = 2 WHERE id IN (5, 6)`);
  t.is(upd.affectedRows, 2);
  t.regex(upd.info, /Rows matched: 2/);
  const warn = await client.execute(`INSERT IGNORE INTO ${AI} (id, x) VALUES (?, 1)`, [5]);
  t.is(warn.affectedRows, 0);
  t.is(warn.warningCount, 1, 'the ignored duplicate is a warning');
});

test.serial('errors carry code, reason, errno and SQLSTATE from the trailers', async (t) => {
  await client.execute(`INSERT INTO ${AI} (id, x) VALUES (100, 1)`);
  const dup = await t.throwsAsync(client.execute(`INSERT INTO ${AI} (id, x) VALUES (100, 1)`), {
    instanceOf: GatewayClientError,
  });
  t.is(dup?.code, Code.ALREADY_EXISTS);
  t.is(dup?.codeName, 'ALREADY_EXISTS');
  t.is(dup?.reason, 'DUPLICATE_KEY');
  t.is(dup?.mysqlErrno, 1062);
  t.is(dup?.sqlState, '23000');
  t.regex(dup?.details ?? '', /Duplicate entry/);

  const missing = await t.throwsAsync(client.queryAll('SELECT * FROM no_such_table_here'), {
    instanceOf: GatewayClientError,
  });
  t.is(missing?.codeName, 'NOT_FOUND');
  t.is(missing?.reason, 'UNKNOWN_TABLE');
  t.is(missing?.mysqlErrno, 1146);
  t.is(missing?.sqlState, '42S02');

  const gatewaySide = await t.throwsAsync(client.queryAll('SELECT ?', []), {
    instanceOf: GatewayClientError,
  });
  t.is(gatewaySide?.codeName, 'INVALID_ARGUMENT');
  t.is(gatewaySide?.reason, 'PARAM_COUNT_MISMATCH');
  t.is(gatewaySide?.mysqlErrno, undefined);

  const clientSide = await t.throwsAsync(client.queryAll('SELECT ?', [Number.NaN]), {
    instanceOf: GatewayClientError,
  });
  t.is(clientSide?.reason, 'INVALID_PARAM');
});

test.serial('a query past its deadline fails DEADLINE_EXCEEDED and is killed on the server', async (t) => {
  const marker = 'client_deadline_q';
  const err = await t.throwsAsync(client.queryAll(`SELECT SLEEP(20) AS ${marker}`, [], { deadlineMs: 500 }), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.code, Code.DEADLINE_EXCEEDED);
  t.is(err?.codeName, 'DEADLINE_EXCEEDED');
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    message: 'statement gone from the processlist',
  });
});

test.serial('defaultDeadlineMs bounds every call', async (t) => {
  const impatient = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 500 });
  t.teardown(() => impatient.close());
  const err = await t.throwsAsync(impatient.execute("DO SLEEP(20) + 0 * LENGTH('client_default_deadline')"), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.codeName, 'DEADLINE_EXCEEDED');
  const still = await impatient.queryAll('SELECT 1');
  t.deepEqual(still.rows, [[1]], 'a fast call under the same default succeeds');
});

test.serial('an AbortSignal cancels a running query on the server', async (t) => {
  const marker = 'client_abort_q';
  const ac = new AbortController();
  const result = client.query(`SELECT SLEEP(20) AS ${marker}`, [], { signal: ac.signal });
  const consumed = result.all();
  await waitFor(async () => (await runningStatements(marker)) === 1, { message: 'query started' });
  const reason = new Error('user went away');
  ac.abort(reason);
  const err = await t.throwsAsync(consumed, { instanceOf: GatewayClientError });
  t.is(err?.code, Code.CANCELLED);
  t.is(err?.codeName, 'CANCELLED');
  t.is(err?.cause, reason);
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    message: 'query killed on the server',
  });
});

test.serial('an AbortSignal cancels an execute; an aborted signal sends nothing', async (t) => {
  const marker = 'client_abort_x';
  const ac = new AbortController();
  const pending = client.execute(`DO SLEEP(20) + 0 * LENGTH('${marker}')`, [], { signal: ac.signal });
  await waitFor(async () => (await runningStatements(marker)) === 1, { message: 'statement started' });
  ac.abort();
  const err = await t.throwsAsync(pending, { instanceOf: GatewayClientError });
  t.is(err?.codeName, 'CANCELLED');
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    message: 'statement killed on the server',
  });

  const before = await client.queryAll(`SELECT COUNT(*) FROM ${AI}`);
  const early = await t.throwsAsync(
    client.execute(`INSERT INTO ${AI} (x) VALUES (9)`, [], { signal: AbortSignal.abort() }),
    { instanceOf: GatewayClientError },
  );
  t.is(early?.codeName, 'CANCELLED');
  t.deepEqual(
    (await client.queryAll(`SELECT COUNT(*) FROM ${AI}`)).rows,
    before.rows,
    'nothing was inserted',
  );
});

test.serial('connect fails UNAVAILABLE when nothing listens; a closed client refuses calls', async (t) => {
  const err = await t.throwsAsync(GatewayClient.connect('127.0.0.1:1', { connectTimeoutMs: 300 }), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.codeName, 'UNAVAILABLE');
  t.is(err?.reason, 'CONNECT_FAILED');

  const short = new GatewayClient(`127.0.0.1:${gw.port}`);
  t.deepEqual((await short.queryAll('SELECT 2')).rows, [[2]]);
  await short.close();
  await short.close();
  t.is(short.state, 'closed');
  const closed = await t.throwsAsync(short.execute('DO 1'), { instanceOf: GatewayClientError });
  t.is(closed?.reason, 'CLIENT_CLOSED');
});

test.serial('unknown options are refused before anything is sent', (t) => {
  const err = t.throws(() => new GatewayClient('127.0.0.1:1', { deadline: 5 } as object), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.reason, 'INVALID_OPTION');
});
