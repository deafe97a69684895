/**
 * Session state never leaks between callers: with a pool of ONE connection, every caller gets
 * the same connection, and must not see what the previous caller left on it.
 */
import test from 'ava';
import { type AnyMessage, execute, query } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway({ clusters: { default: { pool: { min: 1, max: 1 } } } });
});

test.after.always(async () => {
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

async function scalar(sql: string): Promise<AnyMessage> {
  const out = await query(gw.client, { sql });
  return (out.rows[0] as AnyMessage[])[0];
}

async function connectionId(): Promise<string> {
  const c = await scalar('SELECT CONNECTION_ID()');
  return String(c.uint64_value ?? c.int64_value);
}

test.serial('user variables do not leak', async (t) => {
  const before = await connectionId();
  await execute(gw.client, { sql: "SET @secret = 'caller one'" });
  t.is(await connectionId(), before, 'same pooled connection (reset, not reconnected)');
  const after = await scalar('SELECT @secret');
  t.truthy(
    after.null_value !== undefined || Object.keys(after).filter((k) => k !== 'kind').length === 0,
    'NULL for the next caller',
  );
});

test.serial('session variables do not leak', async (t) => {
  await execute(gw.client, { sql: "SET SESSION sql_mode = 'ANSI_QUOTES'" });
  const mode = await scalar('SELECT @@SESSION.sql_mode');
  t.false(String(mode.string_value).includes('ANSI_QUOTES'));
  const tz = await scalar('SELECT @@SESSION.time_zone');
  t.is(tz.string_value, '+00:00', 'the gateway session settings are back');
});

test.serial('temporary tables do not leak', async (t) => {
  await execute(gw.client, { sql: 'CREATE TEMPORARY TABLE leak_tmp (x INT)' });
  const err = await t.throwsAsync(query(gw.client, { sql: 'SELECT * FROM leak_tmp' }));
  t.regex(String((err as Error).message), /leak_tmp/);
});

test.serial('named locks do not leak', async (t) => {
  await query(gw.client, { sql: "SELECT GET_LOCK('gw_leak_lock', 0)" });
  const held = await scalar("SELECT IS_USED_LOCK('gw_leak_lock')");
  t.true(
    held.null_value !== undefined || Object.keys(held).filter((k) => k !== 'kind').length === 0,
    'lock released',
  );
});

test.serial('SQL prepared statements do not leak', async (t) => {
  await execute(gw.client, { sql: "PREPARE leak_stmt FROM 'SELECT 1'" });
  const err = await t.throwsAsync(execute(gw.client, { sql: 'EXECUTE leak_stmt' }));
  t.regex(String((err as Error).message), /leak_stmt|Unknown prepared statement/i);
});

test.serial('a transaction that changed session state is reset too', async (t) => {
  const { TxStream } = await import('./helpers/client.js');
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute("SET @in_tx = 'left behind'");
  await tx.commit();
  const after = await scalar('SELECT @in_tx');
  t.true(after.null_value !== undefined || Object.keys(after).filter((k) => k !== 'kind').length === 0);
});
