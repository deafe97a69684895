/** The real probe's statements and result parsing, its timeout and its connection handling, over fake connections. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { mysqlProbe } from '../../../src/routing/mysql-probe.js';
import { FakeConnector, serverError } from './helpers/fake-connection.js';
import { FakeClock, flush } from './helpers/setup.js';

const READ_ONLY = 'SELECT @@global.read_only AS read_only';
const READ_ONLY_GTID = 'SELECT @@global.read_only AS read_only, @@global.gtid_slave_pos AS gtid_slave_pos';

/** A MariaDB SHOW SLAVE/REPLICA STATUS row, cut down to the columns that matter, between others. */
function mariadbStatus(io: string, sql: string, behind: unknown) {
  return {
    names: [
      'Slave_IO_State',
      'Master_Host',
      'Slave_IO_Running',
      'Slave_SQL_Running',
      'Last_Errno',
      'Seconds_Behind_Master',
    ],
    rows: [['Waiting for master to send event', '127.0.0.1', io, sql, '0', behind]],
  };
}

/** A MySQL 8.4 SHOW REPLICA STATUS row. */
function mysqlStatus(io: string, sql: string, behind: unknown) {
  return {
    names: [
      'Replica_IO_State',
      'Source_Host',
      'Replica_IO_Running',
      'Replica_SQL_Running',
      'Seconds_Behind_Source',
    ],
    rows: [['Waiting for source to send event', '127.0.0.1', io, sql, behind]],
  };
}

/** A clock stepping `stepMs` on every read. */
function steppingNow(stepMs: number): () => number {
  let now = 0;
  return () => {
    now += stepMs;
    return now;
  };
}

test('primary: reads @@read_only only, and times that round trip', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  const probe = mysqlProbe(connector, { now: steppingNow(4) });
  t.is(connector.opened.length, 0, 'opened lazily');
  t.deepEqual(await probe.check(1000), { pingMs: 4, readOnly: false });
  t.deepEqual(connector.opened[0]?.statements, [READ_ONLY]);
  await probe.close();
});

test('MariaDB replica: Slave_* columns, lag, and gtid_slave_pos', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY_GTID, { names: ['read_only', 'gtid_slave_pos'], rows: [['1', '0-1-42']] });
  connector.answers.set('SHOW REPLICA STATUS', mariadbStatus('Yes', 'Yes', '3'));
  const probe = mysqlProbe(connector, { now: steppingNow(1) });
  t.deepEqual(await probe.check(1000, { replication: true }), {
    pingMs: 1,
    readOnly: true,
    replication: { ioRunning: true, sqlRunning: true, secondsBehind: 3, gtidSlavePos: '0-1-42' },
  });
  await probe.close();
});

test('MySQL 8.4 replica: Replica_* and Seconds_Behind_Source columns, no MariaDB variables', async (t) => {
  const connector = new FakeConnector();
  connector.isMariaDb = false;
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [[1]] });
  connector.answers.set('SHOW REPLICA STATUS', mysqlStatus('Yes', 'No', null));
  const probe = mysqlProbe(connector);
  const result = await probe.check(1000, { replication: true });
  t.deepEqual(result.replication, { ioRunning: true, sqlRunning: false, secondsBehind: null });
  t.true(result.readOnly);
  await probe.close();
});

test('text-protocol cells (Buffers) and MariaDB 11.8 read_only names parse too', async (t) => {
  for (const [cell, expected] of [
    [Buffer.from('OFF'), false],
    [Buffer.from('ON'), true],
    ['NO_LOCK', true],
    [0, false],
    [Buffer.from('1'), true],
  ] as const) {
    const connector = new FakeConnector();
    connector.answers.set(READ_ONLY_GTID, {
      names: ['read_only', 'gtid_slave_pos'],
      rows: [[cell, Buffer.from('')]],
    });
    connector.answers.set(
      'SHOW REPLICA STATUS',
      mariadbStatus(Buffer.from('Connecting') as unknown as string, 'Yes', Buffer.from('12')),
    );
    const probe = mysqlProbe(connector);
    const result = await probe.check(1000, { replication: true });
    t.is(result.readOnly, expected, String(cell));
    t.deepEqual(result.replication, {
      ioRunning: false,
      sqlRunning: true,
      secondsBehind: 12,
      gtidSlavePos: '',
    });
    await probe.close();
  }
});

test('no replication configured: an empty status means no replication field', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY_GTID, { names: ['read_only', 'gtid_slave_pos'], rows: [['1', '']] });
  connector.answers.set('SHOW REPLICA STATUS', { names: ['Slave_IO_Running'], rows: [] });
  const probe = mysqlProbe(connector);
  const result = await probe.check(1000, { replication: true });
  t.false('replication' in result);
  await probe.close();
});

test('servers without SHOW REPLICA STATUS: falls back on SHOW SLAVE STATUS and remembers', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY_GTID, { names: ['read_only', 'gtid_slave_pos'], rows: [['1', '']] });
  connector.answers.set('SHOW REPLICA STATUS', GatewayError.from(serverError(1064, '42000', 'syntax')));
  connector.answers.set('SHOW SLAVE STATUS', mariadbStatus('Yes', 'Yes', '0'));
  const probe = mysqlProbe(connector);
  t.like((await probe.check(1000, { replication: true })).replication, { ioRunning: true, secondsBehind: 0 });
  await probe.check(1000, { replication: true });
  t.deepEqual(connector.opened[0]?.statements, [
    READ_ONLY_GTID,
    'SHOW REPLICA STATUS',
    'SHOW SLAVE STATUS',
    READ_ONLY_GTID,
    'SHOW SLAVE STATUS',
  ]);
  await probe.close();
});

test('a missing privilege for the status fails the check', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY_GTID, { names: ['read_only', 'gtid_slave_pos'], rows: [['1', '']] });
  connector.answers.set(
    'SHOW REPLICA STATUS',
    GatewayError.from(serverError(1227, '42000', 'need SLAVE MONITOR')),
  );
  const probe = mysqlProbe(connector);
  const err = await t.throwsAsync(probe.check(1000, { replication: true }), { instanceOf: GatewayError });
  t.is(err?.reason, 'ACCESS_DENIED');
  await probe.close();
});

test('user queries run after the built-in ones; a failure names the index, not the server message', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  connector.answers.set('SELECT 1', { names: ['1'], rows: [[1]] });
  connector.answers.set(
    'SELECT secret FROM t',
    GatewayError.from(serverError(1146, '42S02', "Table 'app.t' with value 'hunter2' doesn't exist")),
  );
  const probe = mysqlProbe(connector);
  await probe.check(1000, { queries: ['SELECT 1'] });
  const err = await t.throwsAsync(probe.check(1000, { queries: ['SELECT 1', 'SELECT secret FROM t'] }), {
    instanceOf: GatewayError,
  });
  t.is(err?.reason, 'HEALTH_QUERY_FAILED');
  t.is(err?.message, 'healthCheck.queries[1] failed: UNKNOWN_TABLE (errno 1146, SQLSTATE 42S02)');
  t.notRegex(err?.message ?? '', /hunter2|secret/);
  t.deepEqual(connector.opened[0]?.statements, [
    READ_ONLY,
    'SELECT 1',
    READ_ONLY,
    'SELECT 1',
    'SELECT secret FROM t',
  ]);
  t.is(connector.opened.length, 1, 'a server error leaves the connection usable');
  await probe.close();
});

test('a check slower than timeoutMs fails, destroys the connection, and the next check reconnects', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, 'hang');
  const clock = new FakeClock();
  const probe = mysqlProbe(connector, { clock });
  const checking = t.throwsAsync(probe.check(20), { instanceOf: GatewayError });
  await clock.advance(19);
  t.is(connector.opened[0]?.destroyCalls, 0);
  await clock.advance(1);
  const err = await checking;
  t.is(err?.code, Code.DEADLINE_EXCEEDED);
  t.is(err?.message, 'health check timed out after 20 ms');
  t.is(clock.pendingTimers, 0);
  t.is(connector.opened[0]?.destroyCalls, 1);
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  t.like(await probe.check(1000), { readOnly: false });
  t.is(connector.opened.length, 2);
  await probe.close();
});

test('a connection that opens only after the timeout is destroyed, not kept', async (t) => {
  const connector = new FakeConnector();
  connector.holdOpens = true;
  const clock = new FakeClock();
  const probe = mysqlProbe(connector, { clock });
  const checking = t.throwsAsync(probe.check(20), { message: /timed out/ });
  await clock.advance(20);
  await checking;
  const late = connector.opened[0]!;
  connector.heldOpens[0]!.resolve(late);
  await flush();
  t.is(late.destroyCalls, 1);
  t.deepEqual(late.statements, []);
  await probe.close();
});

test('an aborted signal fails the check at once and drops the connection', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, 'hang');
  const clock = new FakeClock();
  const probe = mysqlProbe(connector, { clock });
  const controller = new AbortController();
  const checking = probe.check(60_000, { signal: controller.signal });
  await flush();
  controller.abort(
    new GatewayError(Code.DEADLINE_EXCEEDED, 'HEALTH_CHECK_TIMEOUT', 'health check timed out after 5 ms'),
  );
  await t.throwsAsync(checking, { message: 'health check timed out after 5 ms' });
  t.is(connector.opened[0]?.destroyCalls, 1);
  await probe.close();
});

test('a failed open fails the check; the next check opens again', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  connector.openFailures.push(
    GatewayError.from(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
  );
  const probe = mysqlProbe(connector);
  const err = await t.throwsAsync(probe.check(1000), { instanceOf: GatewayError });
  t.is(err?.code, Code.UNAVAILABLE);
  t.like(await probe.check(1000), { readOnly: false });
  await probe.close();
});

test('one connection is reused across checks and replaced once broken', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  const probe = mysqlProbe(connector);
  await probe.check(1000);
  await probe.check(1000);
  t.is(connector.opened.length, 1);
  connector.opened[0]!.brokenFlag = true;
  await probe.check(1000);
  t.is(connector.opened.length, 2);
  t.is(connector.opened[0]?.closeCalls, 1, 'the broken one was closed');
  await probe.close();
});

test('never two checks at once on the connection', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, 'hang');
  const clock = new FakeClock();
  const probe = mysqlProbe(connector, { clock });
  const first = t.throwsAsync(probe.check(30), { message: /timed out/ });
  await t.throwsAsync(probe.check(1000), { message: /already running/ });
  await clock.advance(30);
  await first;
  t.is(clock.pendingTimers, 0);
  await probe.close();
});

test('close closes the connection gracefully, is idempotent, and later checks reject', async (t) => {
  const connector = new FakeConnector();
  connector.answers.set(READ_ONLY, { names: ['read_only'], rows: [['0']] });
  const probe = mysqlProbe(connector);
  await probe.check(1000);
  await probe.close();
  await probe.close();
  t.is(connector.opened[0]?.closeCalls, 1);
  t.is(connector.opened[0]?.destroyCalls, 0);
  await t.throwsAsync(probe.check(1000), { message: /closed/ });
});
