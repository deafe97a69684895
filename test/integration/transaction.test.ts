/** Transaction streams: pinning, commit/rollback visibility, pipelining, every way a stream can end. */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { type AnyMessage, execute, query, TxStream, v } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const T = 'tx_items';

test.before(async () => {
  gw = await startGateway({ transactions: { idleTimeoutMs: 500 } });
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, { sql: `CREATE TABLE ${T} (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=InnoDB` });
});

test.after.always(async () => {
  if (!gw) return;
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

async function count(id: number): Promise<number> {
  const out = await query(gw.client, { sql: `SELECT COUNT(*) FROM ${T} WHERE id = ?`, params: [v.i64(id)] });
  return Number((out.rows[0] as AnyMessage[])[0].int64_value);
}

test.serial('commit makes writes visible; CONNECTION_ID() is constant within the stream', async (t) => {
  const tx = new TxStream(gw.client);
  const begun = await tx.begin();
  t.truthy(begun.begun.backend);
  const ids = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const r = await tx.query('SELECT CONNECTION_ID()');
    ids.add(
      String((r.rows[0] as AnyMessage[])[0].int64_value ?? (r.rows[0] as AnyMessage[])[0].uint64_value),
    );
  }
  t.is(ids.size, 1);
  t.is([...ids][0], String(begun.begun.connection_id));
  const ex = await tx.execute(`INSERT INTO ${T} VALUES (?, ?)`, [v.i64(1), v.str('committed')]);
  t.is(ex.executed.affected_rows, '1');
  t.is(await count(1), 0, 'not visible before commit');
  await tx.commit();
  t.is(await tx.status, null, 'stream ends with OK after commit');
  t.is(await count(1), 1);
});

test.serial('rollback discards writes', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (2, 'rolled back')`);
  const r = await tx.rollback();
  t.truthy(r.rolled_back);
  t.is(await tx.status, null);
  t.is(await count(2), 0);
});

test.serial('half-close without commit rolls back', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (3, 'abandoned')`);
  tx.call.end();
  const status = await tx.status;
  t.is(status?.code, Code.ABORTED);
  t.is(await count(3), 0);
});

test.serial('cancel rolls back', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (4, 'cancelled')`);
  tx.call.cancel();
  await tx.status;
  await gw.assertNoLeaks();
  t.is(await count(4), 0);
});

test.serial('client disconnect rolls back', async (t) => {
  const client = gw.newClient();
  const tx = new TxStream(client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (5, 'disconnected')`);
  client.close();
  await tx.status;
  await gw.assertNoLeaks();
  t.is(await count(5), 0);
});

test.serial('idle timeout rolls back and ends the stream with DEADLINE_EXCEEDED', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (6, 'idle')`);
  const status = await tx.status; // no request follows: the 500 ms idle timeout fires
  t.is(status?.code, Code.DEADLINE_EXCEEDED);
  t.is(status?.metadata.get('gateway-reason')[0], 'TRANSACTION_IDLE_TIMEOUT');
  t.is(await count(6), 0);
});

test.serial('stream deadline rolls back', async (t) => {
  const tx = new TxStream(gw.client, { deadlineMs: 1500 });
  await tx.begin({ idle_timeout_ms: 60_000 });
  await tx.execute(`INSERT INTO ${T} VALUES (7, 'deadline')`);
  const status = await tx.status;
  t.is(status?.code, Code.DEADLINE_EXCEEDED);
  t.is(await count(7), 0);
});

test.serial('pipelined statements are answered in order on one connection', async (t) => {
  const tx = new TxStream(gw.client);
  const ids = [tx.send({ begin: {} }, 'b')];
  for (let i = 0; i < 20; i++)
    ids.push(tx.send({ query: { sql: 'SELECT ? AS n', params: [v.i64(i)] } }, `q${i}`));
  ids.push(tx.send({ commit: {} }, 'c'));
  const seen: string[] = [];
  const values: string[] = [];
  for (;;) {
    const m = await tx.next();
    if (seen.at(-1) !== m.request_id) seen.push(m.request_id);
    if (m.rows) values.push(String(m.rows.rows[0].values[0].int64_value));
    if (m.committed) break;
  }
  t.deepEqual(seen, ids);
  t.deepEqual(
    values,
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
  t.is(await tx.status, null);
});

test.serial('concurrent transactions are isolated', async (t) => {
  const a = new TxStream(gw.client);
  const b = new TxStream(gw.client);
  const [ba, bb] = await Promise.all([a.begin(), b.begin()]);
  t.not(ba.begun.connection_id, bb.begun.connection_id);
  await a.execute(`INSERT INTO ${T} VALUES (8, 'a')`);
  const seenByB = await b.query(`SELECT COUNT(*) FROM ${T} WHERE id = 8`);
  t.is((seenByB.rows[0] as AnyMessage[])[0].int64_value, '0', "b does not see a's uncommitted row");
  await a.commit();
  await b.rollback();
  t.is(await count(8), 1);
});

test.serial('a failed statement is answered in-band and the transaction stays usable', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin();
  await tx.execute(`INSERT INTO ${T} VALUES (9, 'first')`);
  const id = tx.send({ execute: { sql: `INSERT INTO ${T} VALUES (9, 'duplicate')` } });
  const r = await tx.until(id, ['executed']);
  t.is(r.last.error.code, Code.ALREADY_EXISTS);
  t.is(r.last.error.mysql_errno, 1062);
  t.is(r.last.error.sql_state, '23000');
  t.falsy(r.last.error.transaction_rolled_back);
  await tx.execute(`INSERT INTO ${T} VALUES (10, 'after error')`);
  await tx.commit();
  t.is(await count(9), 1);
  t.is(await count(10), 1);
});

test.serial('a deadlock is reported as rolled back and ends the stream ABORTED', async (t) => {
  await execute(gw.client, { sql: `INSERT INTO ${T} VALUES (11, 'x'), (12, 'y')` });
  const a = new TxStream(gw.client);
  const b = new TxStream(gw.client);
  await a.begin();
  await b.begin();
  await a.execute(`UPDATE ${T} SET note = 'a' WHERE id = 11`);
  await b.execute(`UPDATE ${T} SET note = 'b' WHERE id = 12`);
  // a now waits for b's lock; b then asks for a's: InnoDB picks a victim.
  const aId = a.send({ execute: { sql: `UPDATE ${T} SET note = 'a' WHERE id = 12` } });
  const bId = b.send({ execute: { sql: `UPDATE ${T} SET note = 'b' WHERE id = 11` } });
  const [ra, rb] = await Promise.all([a.until(aId, ['executed']), b.until(bId, ['executed'])]);
  const victim = ra.last.error ? { tx: a, r: ra, other: b } : { tx: b, r: rb, other: a };
  t.is(victim.r.last.error.mysql_errno, 1213);
  t.is(victim.r.last.error.code, Code.ABORTED);
  t.true(victim.r.last.error.transaction_rolled_back);
  const status = await victim.tx.status;
  t.is(status?.code, Code.ABORTED);
  await victim.other.commit();
});

test.serial('requests out of order get FAILED_PRECONDITION', async (t) => {
  const first = new TxStream(gw.client);
  first.send({ query: { sql: 'SELECT 1' } });
  const status = await first.status;
  t.is(status?.code, Code.FAILED_PRECONDITION);
  t.is(status?.metadata.get('gateway-reason')[0], 'BEGIN_REQUIRED');

  const tx = new TxStream(gw.client);
  await tx.begin();
  const again = tx.send({ begin: {} });
  const r = await tx.until(again, ['begun']);
  t.is(r.last.error.code, Code.FAILED_PRECONDITION);
  const commitId = tx.send({ commit: {} });
  const late = tx.send({ query: { sql: 'SELECT 1' } });
  const committed = await tx.until(commitId, ['committed']);
  t.truthy(committed.last.committed);
  const after = await tx.until(late, ['done']);
  t.is(after.last.error.code, Code.FAILED_PRECONDITION);
  t.is(await tx.status, null);
});

test.serial(
  'transaction-control SQL inside the stream is refused with a pointer to the messages',
  async (t) => {
    const tx = new TxStream(gw.client);
    await tx.begin();
    const id = tx.send({ execute: { sql: 'COMMIT' } });
    const r = await tx.until(id, ['executed']);
    t.is(r.last.error.code, Code.FAILED_PRECONDITION);
    t.regex(r.last.error.message, /commit or rollback message/);
    await tx.rollback();
  },
);

test.serial('a read-only transaction refuses writes', async (t) => {
  const tx = new TxStream(gw.client);
  await tx.begin({ read_only: true });
  const id = tx.send({ execute: { sql: `INSERT INTO ${T} VALUES (13, 'ro')` } });
  const r = await tx.until(id, ['executed']);
  t.like(r.last.error, {
    code: Code.FAILED_PRECONDITION,
    reason: 'READ_ONLY_TRANSACTION',
    mysql_errno: 1792,
  });
  await tx.rollback();
  t.is(await count(13), 0);
});
