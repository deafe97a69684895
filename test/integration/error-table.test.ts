/**
 * Every row of the error table, triggered for real: the gRPC code, the gateway-reason trailer,
 * and the MySQL errno and SQLSTATE trailers.
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query, TxStream } from './helpers/client.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const LIMITED_USER = 'gw_limited';

test.before(async () => {
  await rootQuery(sandbox.primaryPort, `DROP USER IF EXISTS '${LIMITED_USER}'@'127.0.0.1'`);
  await rootQuery(
    sandbox.primaryPort,
    `CREATE USER '${LIMITED_USER}'@'127.0.0.1' IDENTIFIED BY 'limited-pw'`,
  );
  await rootQuery(sandbox.primaryPort, `GRANT SELECT ON gwtest.* TO '${LIMITED_USER}'@'127.0.0.1'`);
  const base = sandboxClusterConfig({ replicas: false }) as { primary: Record<string, unknown> };
  gw = await startGateway({
    clusters: {
      default: { pool: { max: 4 } },
      limited: {
        primary: { ...base.primary, user: LIMITED_USER, passwordFile: '', password: 'limited-pw' },
        pool: { min: 0 },
      },
      badpassword: {
        primary: { ...base.primary, passwordFile: '', password: 'wrong-password' },
        pool: { min: 0 },
      },
      replicaAsPrimary: { primary: { ...base.primary, port: sandbox.replicaPorts[0] }, pool: { min: 0 } },
      down: {
        primary: { ...base.primary, port: 1 },
        pool: { min: 0 },
        reconnect: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      },
    },
  });
  for (const sql of [
    'DROP TABLE IF EXISTS err_child',
    'DROP TABLE IF EXISTS err_parent',
    'CREATE TABLE err_parent (id INT PRIMARY KEY, n TINYINT NOT NULL, s VARCHAR(3), c INT CHECK (c > 0)) ENGINE=InnoDB',
    'CREATE TABLE err_child (id INT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES err_parent (id)) ENGINE=InnoDB',
    "INSERT INTO err_parent VALUES (1, 1, 'a', 1)",
    'INSERT INTO err_child VALUES (1, 1)',
  ]) {
    await execute(gw.client, { sql });
  }
});

test.after.always(async () => {
  if (!gw) return;
  await execute(gw.client, { sql: 'DROP TABLE IF EXISTS err_child' }).catch(() => {});
  await execute(gw.client, { sql: 'DROP TABLE IF EXISTS err_parent' }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
  await rootQuery(sandbox.primaryPort, `DROP USER IF EXISTS '${LIMITED_USER}'@'127.0.0.1'`);
});

interface Row {
  name: string;
  rpc?: 'query' | 'execute';
  cluster?: string;
  sql: string;
  params?: AnyMessage[];
  code: number;
  reason: string;
  errno?: number;
  sqlState?: string;
}

const ROWS: Row[] = [
  {
    name: 'duplicate key',
    sql: "INSERT INTO err_parent VALUES (1, 1, 'b', 1)",
    code: Code.ALREADY_EXISTS,
    reason: 'DUPLICATE_KEY',
    errno: 1062,
    sqlState: '23000',
  },
  {
    name: 'table exists',
    sql: 'CREATE TABLE err_parent (x INT)',
    code: Code.ALREADY_EXISTS,
    reason: 'TABLE_EXISTS',
    errno: 1050,
    sqlState: '42S01',
  },
  {
    name: 'syntax error',
    rpc: 'query',
    sql: 'SELEC 1',
    code: Code.INVALID_ARGUMENT,
    reason: 'SYNTAX_ERROR',
    errno: 1064,
    sqlState: '42000',
  },
  {
    name: 'unknown column',
    rpc: 'query',
    sql: 'SELECT nope FROM err_parent',
    code: Code.INVALID_ARGUMENT,
    reason: 'UNKNOWN_COLUMN',
    errno: 1054,
    sqlState: '42S22',
  },
  {
    name: 'no such table',
    rpc: 'query',
    sql: 'SELECT * FROM err_missing',
    code: Code.NOT_FOUND,
    reason: 'UNKNOWN_TABLE',
    errno: 1146,
    sqlState: '42S02',
  },
  {
    name: 'unknown database',
    sql: 'USE err_no_such_db',
    code: Code.NOT_FOUND,
    reason: 'UNKNOWN_DATABASE',
    errno: 1049,
    sqlState: '42000',
  },
  {
    name: 'unknown function',
    rpc: 'query',
    sql: 'SELECT err_no_such_fn()',
    code: Code.NOT_FOUND,
    reason: 'UNKNOWN_ROUTINE',
    errno: 1305,
    sqlState: '42000',
  },
  {
    name: 'null not allowed',
    sql: "INSERT INTO err_parent VALUES (2, NULL, 'a', 1)",
    code: Code.INVALID_ARGUMENT,
    reason: 'NULL_NOT_ALLOWED',
    errno: 1048,
    sqlState: '23000',
  },
  {
    name: 'out of range',
    sql: "INSERT INTO err_parent VALUES (3, 1000, 'a', 1)",
    code: Code.OUT_OF_RANGE,
    reason: 'VALUE_OUT_OF_RANGE',
    errno: 1264,
    sqlState: '22003',
  },
  {
    name: 'data too long',
    sql: "INSERT INTO err_parent VALUES (4, 1, 'abcd', 1)",
    code: Code.OUT_OF_RANGE,
    reason: 'DATA_TOO_LONG',
    errno: 1406,
    sqlState: '22001',
  },
  {
    name: 'incorrect value',
    sql: "INSERT INTO err_parent VALUES (5, 'abc', 'a', 1)",
    code: Code.INVALID_ARGUMENT,
    reason: 'INCORRECT_VALUE',
    errno: 1366,
    sqlState: '22007',
  },
  {
    name: 'foreign key (child)',
    sql: 'INSERT INTO err_child VALUES (2, 99)',
    code: Code.FAILED_PRECONDITION,
    reason: 'FOREIGN_KEY_VIOLATION',
    errno: 1452,
    sqlState: '23000',
  },
  {
    name: 'foreign key (parent)',
    sql: 'DELETE FROM err_parent WHERE id = 1',
    code: Code.FAILED_PRECONDITION,
    reason: 'FOREIGN_KEY_VIOLATION',
    errno: 1451,
    sqlState: '23000',
  },
  {
    name: 'check constraint',
    sql: "INSERT INTO err_parent VALUES (6, 1, 'a', -1)",
    code: Code.FAILED_PRECONDITION,
    reason: 'CHECK_CONSTRAINT_VIOLATION',
    errno: 4025,
    sqlState: '23000',
  },
  {
    name: 'read-only server',
    cluster: 'replicaAsPrimary',
    sql: 'CREATE TABLE err_ro (x INT)',
    code: Code.FAILED_PRECONDITION,
    reason: 'READ_ONLY',
    errno: 1290,
    sqlState: 'HY000',
  },
  {
    name: 'table access denied',
    cluster: 'limited',
    sql: "INSERT INTO err_parent VALUES (7, 1, 'a', 1)",
    code: Code.PERMISSION_DENIED,
    reason: 'ACCESS_DENIED',
    errno: 1142,
    sqlState: '42000',
  },
  {
    name: 'login denied',
    cluster: 'badpassword',
    rpc: 'query',
    sql: 'SELECT 1',
    code: Code.PERMISSION_DENIED,
    reason: 'ACCESS_DENIED',
    errno: 1045,
    sqlState: '28000',
  },
  {
    name: 'statement timeout',
    rpc: 'query',
    sql: 'SET STATEMENT max_statement_time=0.05 FOR SELECT SLEEP(2)',
    code: Code.DEADLINE_EXCEEDED,
    reason: 'STATEMENT_TIMEOUT',
    errno: 1969,
    sqlState: '70100',
  },
  {
    name: 'backend unreachable',
    cluster: 'down',
    rpc: 'query',
    sql: 'SELECT 1',
    code: Code.UNAVAILABLE,
    reason: 'BACKEND_UNAVAILABLE',
  },
  {
    name: 'unknown cluster',
    cluster: 'nope',
    rpc: 'query',
    sql: 'SELECT 1',
    code: Code.NOT_FOUND,
    reason: 'UNKNOWN_CLUSTER',
  },
  { name: 'empty sql', sql: '  ', code: Code.INVALID_ARGUMENT, reason: 'EMPTY_SQL' },
  {
    name: 'two statements',
    rpc: 'query',
    sql: 'SELECT 1; SELECT 2',
    code: Code.INVALID_ARGUMENT,
    reason: 'MULTI_STATEMENT',
  },
  {
    name: 'param count',
    rpc: 'query',
    sql: 'SELECT ?',
    params: [],
    code: Code.INVALID_ARGUMENT,
    reason: 'PARAM_COUNT_MISMATCH',
  },
  {
    name: 'transaction control outside Transaction',
    sql: 'START TRANSACTION',
    code: Code.FAILED_PRECONDITION,
    reason: 'TRANSACTION_CONTROL_SQL',
  },
  {
    name: 'lock tables outside Transaction',
    sql: 'LOCK TABLES err_parent READ',
    code: Code.FAILED_PRECONDITION,
    reason: 'TRANSACTION_CONTROL_SQL',
  },
  { name: 'rows through Execute', sql: 'SELECT 1', code: Code.INVALID_ARGUMENT, reason: 'USE_QUERY' },
  {
    name: 'load data local',
    sql: "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE err_parent",
    code: Code.PERMISSION_DENIED,
    reason: 'LOCAL_INFILE_DISABLED',
  },
];

for (const row of ROWS) {
  test.serial(`${row.name} -> ${row.reason}`, async (t) => {
    const req = { cluster: row.cluster ?? '', sql: row.sql, params: row.params ?? [] };
    const err = await t.throwsAsync(row.rpc === 'query' ? query(gw.client, req) : execute(gw.client, req));
    const d = errorDetails(err);
    t.is(d.code, row.code, d.details);
    t.is(d.reason, row.reason);
    t.is(d.errno, row.errno === undefined ? '' : String(row.errno));
    if (row.sqlState) t.is(d.sqlState, row.sqlState);
  });
}

test.serial('lock wait timeout -> ABORTED', async (t) => {
  const holder = new TxStream(gw.client);
  await holder.begin();
  await holder.execute('UPDATE err_parent SET s = ? WHERE id = 1', [{ string_value: 'h' }]);
  const err = await t.throwsAsync(
    execute(gw.client, {
      sql: "SET STATEMENT innodb_lock_wait_timeout=1 FOR UPDATE err_parent SET s = 'w' WHERE id = 1",
    }),
  );
  const d = errorDetails(err);
  t.is(d.code, Code.ABORTED);
  t.is(d.reason, 'LOCK_WAIT_TIMEOUT');
  t.is(d.errno, '1205');
  await holder.rollback();
});

/** Id of the gateway connection running a statement whose text contains `marker`. */
async function processId(marker: string): Promise<number> {
  let id: number | undefined;
  await waitFor(
    async () => {
      const rows = (await rootQuery(
        sandbox.primaryPort,
        `SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${marker}%' AND USER = ?`,
        [sandbox.gatewayUser],
      )) as { ID: number }[];
      id = rows[0]?.ID;
      return id !== undefined;
    },
    { timeoutMs: 5000, message: 'statement in the processlist' },
  );
  return id as number;
}

// A long join, not SLEEP(): a killed SLEEP may still return a row.
const LONG = 'FROM seq_1_to_100000 a, seq_1_to_100000 b WHERE a.seq + b.seq >';

test.serial('KILL QUERY from an operator -> CANCELLED', async (t) => {
  const pending = query(gw.client, { sql: `SELECT COUNT(*) AS err_kill_query ${LONG} 0` });
  pending.catch(() => {});
  await rootQuery(sandbox.primaryPort, `KILL QUERY ${await processId('err_kill_query')}`);
  const err = await t.throwsAsync(pending);
  t.is(errorDetails(err).code, Code.CANCELLED, errorDetails(err).details);
  t.is(errorDetails(err).errno, '1317');
});

test.serial(
  'KILL of the connection under an Execute -> UNAVAILABLE, never re-sent; the pool heals',
  async (t) => {
    const pending = execute(gw.client, { sql: `DO (SELECT COUNT(*) ${LONG} LENGTH('err_kill_conn'))` });
    pending.catch(() => {});
    await rootQuery(sandbox.primaryPort, `KILL ${await processId('err_kill_conn')}`);
    const err = await t.throwsAsync(pending);
    t.is(errorDetails(err).code, Code.UNAVAILABLE, errorDetails(err).details);
    await gw.assertNoLeaks();
    const ok = await query(gw.client, { sql: 'SELECT 1' });
    t.is(ok.rows.length, 1, 'the pool healed');
  },
);
