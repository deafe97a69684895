/**
 * Batch when things go wrong, against a real gateway and MariaDB: a deadlock between two
 * transactional batches (the victim's later steps skipped, nothing of it committed, the other
 * batch committed), a deadlock in an autocommit batch (only its step fails; a later error(N)
 * step handles it), a deadline or a cancel in the middle of a batch (the running statement
 * killed on the server, an open transaction rolled back, no lease leaked), and the statement
 * refusals of Query/Execute applied to every step before anything runs.
 */
import test from 'ava';
import { createConnection } from 'mysql2/promise';
import {
  type BatchResult,
  type BatchStepResult,
  Cond,
  GatewayClient,
  GatewayClientError,
  StatusCode,
} from '../../src/client/index.js';
import { rootQuery, runningStatements, sandbox, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, batch, errorDetails, execute } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const T = 'batch_faults_t';
/** Rows a batch locks to wait at a point the test controls (a barrier). */
const GATE = 'batch_faults_gate';
let gw: TestGateway;
let client: GatewayClient;

test.before(async () => {
  gw = await startGateway();
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 30_000 });
  for (const sql of [
    `DROP TABLE IF EXISTS ${T}`,
    `DROP TABLE IF EXISTS ${GATE}`,
    `CREATE TABLE ${T} (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB`,
    `CREATE TABLE ${GATE} (id INT PRIMARY KEY) ENGINE=InnoDB`,
    `INSERT INTO ${GATE} VALUES (1), (2)`,
  ])
    await client.execute(sql);
});

test.after.always(async () => {
  if (!gw) return;
  await client?.execute(`DROP TABLE IF EXISTS ${T}`).catch(() => {});
  await client?.execute(`DROP TABLE IF EXISTS ${GATE}`).catch(() => {});
  await client?.close();
  await gw.stop();
});

test.beforeEach(async () => {
  await client.execute(`DELETE FROM ${T}`);
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** The table's rows as [id, n], by id, read by another connection. */
async function rows(): Promise<[number, number][]> {
  const r = await client.queryAll(`SELECT id, n FROM ${T} ORDER BY id`);
  return r.rows as [number, number][];
}

const kinds = (r: BatchResult<unknown>) => r.results.map((s) => s.kind);

function errorOf(step: BatchStepResult | undefined): GatewayClientError {
  if (step?.kind !== 'error') throw new Error(`expected an error, got ${step?.kind}`);
  return step.error;
}

/**
 * How often to poll INNODB_TRX: InnoDB refreshes that view's cache only when it has not been
 * read for 100 ms, so polling it faster keeps showing the same stale rows.
 */
const TRX_POLL_MS = 250;

/** InnoDB transactions open on the primary (any connection of the sandbox). */
async function openTransactions(): Promise<number> {
  const r = await rootQuery(sandbox.primaryPort, 'SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX');
  return Number((r as { n: number }[])[0]?.n);
}

/** Transactions waiting for a row lock while running a statement that names `table`. */
async function lockWaits(table: string): Promise<number> {
  const r = await rootQuery(
    sandbox.primaryPort,
    "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE CONCAT('%', ?, '%')",
    [table],
  );
  return Number((r as { n: number }[])[0]?.n);
}

test.serial(
  'a deadlock between two transactional batches: the victim ends rolled back, the other commits',
  async (t) => {
    await client.execute(`INSERT INTO ${T} VALUES (1, 0), (2, 0)`);
    // The barrier: a connection of the test holds both gate rows, so each batch stops at its
    // gate step holding its first row, until the test lets both go at once.
    const holder = await createConnection({
      host: sandbox.host,
      port: sandbox.primaryPort,
      user: sandbox.rootUser,
      password: '',
      database: 'gwtest',
    });
    t.teardown(() => holder.end().catch(() => holder.destroy()));
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM ${GATE} WHERE id IN (1, 2) FOR UPDATE`);

    // Batch `me` writes row `first`, waits at the gate, then writes row `second`: the two
    // batches take rows 1 and 2 in opposite order.
    const run = (me: number, first: number, second: number) =>
      client.batch(
        [
          { sql: `UPDATE ${T} SET n = ? WHERE id = ?`, params: [me, first] },
          { sql: `SELECT id FROM ${GATE} WHERE id = ? FOR UPDATE`, params: [me] },
          { sql: `UPDATE ${T} SET n = ? WHERE id = ?`, params: [me, second] },
          { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [me * 10, me] },
          // Would handle a failure of step 2, but a rolled-back transaction ends the batch.
          { sql: `INSERT INTO ${T} VALUES (?, ?)`, params: [me * 100, me], condition: Cond.error(2) },
        ],
        { transaction: true },
      );
    const one = run(1, 1, 2);
    const two = run(2, 2, 1);
    // Both batches are at the gate, each holding its first row: no timing assumption.
    await waitFor(async () => (await lockWaits(GATE)) === 2, {
      timeoutMs: 10_000,
      intervalMs: TRX_POLL_MS,
      message: 'both batches waiting at the gate',
    });
    await holder.query('COMMIT');
    const results = await Promise.all([one, two]);

    const victims = results.filter((r) => r.results.some((s) => s.kind === 'error'));
    t.is(victims.length, 1, `exactly one victim: ${JSON.stringify(results.map(kinds))}`);
    const victim = victims[0] as BatchResult;
    const winner = results.find((r) => r !== victim) as BatchResult;
    const w = results.indexOf(winner) + 1;

    t.deepEqual(kinds(victim), ['executed', 'rows', 'error', 'skipped', 'skipped']);
    const e = errorOf(victim.results[2]);
    t.is(e.mysqlErrno, 1213);
    t.is(e.code, StatusCode.ABORTED);
    t.is(e.reason, 'DEADLOCK');
    t.true(e.transactionRolledBack, 'the step error says MySQL rolled the transaction back');
    t.is(e.batchStep, 2);
    t.false(victim.committed);

    t.deepEqual(kinds(winner), ['executed', 'rows', 'executed', 'executed', 'skipped']);
    t.true(winner.committed);
    // The winner's writes only: none of the victim's survived, not even its first update.
    t.deepEqual(await rows(), [
      [1, w],
      [2, w],
      [w * 10, w],
    ]);
  },
);

test.serial(
  'without a transaction, a deadlock fails only its step: a later error(N) step handles it',
  async (t) => {
    await client.execute(`INSERT INTO ${T} VALUES (1, 0), (2, 0)`);
    const holder = await createConnection({
      host: sandbox.host,
      port: sandbox.primaryPort,
      user: sandbox.rootUser,
      password: '',
      database: 'gwtest',
    });
    t.teardown(() => holder.end().catch(() => holder.destroy()));
    await holder.query('BEGIN');
    // 200 undo records make the holder the heavier transaction: InnoDB rolls back the lighter
    // one, the batch's statement.
    await holder.query(`INSERT INTO ${GATE} SELECT seq + 1000 FROM seq_1_to_200`);
    await holder.query(`UPDATE ${T} SET n = -1 WHERE id = 2`);
    const run = client.batch([
      // Locks row 1, then waits for row 2 (the holder's).
      { sql: `UPDATE ${T} SET n = 1 WHERE id IN (1, 2)` },
      // The catch block of step 0: runs when it failed ...
      { sql: `INSERT INTO ${T} VALUES (3, 3)`, condition: Cond.error(0) },
      // ... after which unconditioned steps carry on.
      { sql: `INSERT INTO ${T} VALUES (4, 4)` },
    ]);
    await waitFor(async () => (await lockWaits(T)) === 1, {
      timeoutMs: 10_000,
      intervalMs: TRX_POLL_MS,
      message: 'the batch statement waiting for row 2',
    });
    // Row 1 is the batch statement's: a cycle, and InnoDB rolls that statement back.
    await holder.query(`UPDATE ${T} SET n = -1 WHERE id = 1`);
    await holder.query('ROLLBACK');
    const r = await run;
    t.deepEqual(kinds(r), ['error', 'executed', 'executed']);
    const e = errorOf(r.results[0]);
    t.is(e.mysqlErrno, 1213);
    t.is(e.reason, 'DEADLOCK');
    t.false(e.transactionRolledBack, 'there was no batch transaction to roll back');
    t.deepEqual(await rows(), [
      [1, 0],
      [2, 0],
      [3, 3],
      [4, 4],
    ]);
  },
);

test.serial(
  'a deadline mid-batch: DEADLINE_EXCEEDED, the statement killed, the transaction rolled back',
  async (t) => {
    const marker = 'batch_deadline_marker';
    const started = Date.now();
    const err = await t.throwsAsync(
      client.batch(
        [
          { sql: `INSERT INTO ${T} VALUES (1, 1)` },
          { sql: `SELECT SLEEP(30) AS ${marker}` },
          { sql: `INSERT INTO ${T} VALUES (2, 2)` },
        ],
        { transaction: true, deadlineMs: 500 },
      ),
      { instanceOf: GatewayClientError },
    );
    t.is(err?.code, StatusCode.DEADLINE_EXCEEDED);
    t.true(Date.now() - started < 3000, `failed after ${Date.now() - started} ms`);
    // Killed on the server, not left to sleep out its 30 s.
    await waitFor(async () => (await runningStatements(marker)) === 0, {
      timeoutMs: 5000,
      message: 'the SLEEP killed on the server',
    });
    await gw.assertNoLeaks();
    await waitFor(async () => (await openTransactions()) === 0, {
      timeoutMs: 5000,
      intervalMs: TRX_POLL_MS,
      message: 'no transaction left open on any connection',
    });
    t.deepEqual(await rows(), [], 'the INSERT before the SLEEP was rolled back');
  },
);

test.serial(
  'a deadline mid-batch without a transaction: earlier steps stay, later steps never run',
  async (t) => {
    const marker = 'batch_deadline_marker_2';
    const err = await t.throwsAsync(
      client.batch(
        [
          { sql: `INSERT INTO ${T} VALUES (1, 1)` },
          { sql: `DO SLEEP(30) + 0 * LENGTH('${marker}')` },
          { sql: `INSERT INTO ${T} VALUES (2, 2)` },
        ],
        { deadlineMs: 500 },
      ),
      { instanceOf: GatewayClientError },
    );
    t.is(err?.code, StatusCode.DEADLINE_EXCEEDED);
    await waitFor(async () => (await runningStatements(marker)) === 0, {
      timeoutMs: 5000,
      message: 'the SLEEP killed on the server',
    });
    await gw.assertNoLeaks();
    t.deepEqual(await rows(), [[1, 1]], 'step 0 autocommitted; step 2 never ran');
  },
);

test.serial('cancel mid-batch (AbortSignal): CANCELLED, the statement killed, rolled back', async (t) => {
  const marker = 'batch_cancel_marker';
  const controller = new AbortController();
  const call = client.batch(
    [
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      { sql: `SELECT SLEEP(30) AS ${marker}` },
      { sql: `INSERT INTO ${T} VALUES (2, 2)` },
    ],
    { transaction: true, signal: controller.signal },
  );
  call.catch(() => {}); // awaited below
  await waitFor(async () => (await runningStatements(marker)) === 1, {
    timeoutMs: 5000,
    message: 'the SLEEP running',
  });
  controller.abort();
  const err = await t.throwsAsync(call, { instanceOf: GatewayClientError });
  t.is(err?.code, StatusCode.CANCELLED);
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'the SLEEP killed on the server',
  });
  await gw.assertNoLeaks();
  await waitFor(async () => (await openTransactions()) === 0, {
    timeoutMs: 5000,
    message: 'no transaction left open on any connection',
  });
  t.deepEqual(await rows(), [], 'the INSERT before the SLEEP was rolled back');
});

test.serial('cancel of the raw call mid-batch: CANCELLED, killed, later steps never run', async (t) => {
  const marker = 'batch_cancel_marker_2';
  const req = {
    steps: [
      { statement: { sql: `INSERT INTO ${T} VALUES (1, 1)` } },
      { statement: { sql: `SELECT SLEEP(30) AS ${marker}` } },
      { statement: { sql: `INSERT INTO ${T} VALUES (2, 2)` } },
    ],
  };
  let ended!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => {
    ended = resolve;
  });
  const call = gw.client.Batch(req, {}, (err) => ended(err));
  await waitFor(async () => (await runningStatements(marker)) === 1, {
    timeoutMs: 5000,
    message: 'the SLEEP running',
  });
  call.cancel();
  t.is(errorDetails(await done).code, StatusCode.CANCELLED);
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'the SLEEP killed on the server',
  });
  await gw.assertNoLeaks();
  t.deepEqual(await rows(), [[1, 1]], 'step 0 autocommitted; step 2 never ran');
  // The gateway keeps serving on its pool.
  const after = await client.batch([{ sql: 'SELECT 1' }]);
  t.deepEqual(kinds(after), ['rows']);
});

const refusals: [string, string, string][] = [
  ['an empty statement', '', 'EMPTY_SQL'],
  ['two statements', 'SELECT 1; SELECT 2', 'MULTI_STATEMENT'],
  ['LOAD DATA LOCAL', `LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE ${T}`, 'LOCAL_INFILE_DISABLED'],
  ['COMMIT as SQL', 'COMMIT', 'TRANSACTION_CONTROL_SQL'],
];

for (const [name, sql, reason] of refusals) {
  test.serial(`a step with ${name} fails the call ${reason} before any step runs`, async (t) => {
    // Execute refuses the statement alone; the batch must refuse it the same way, naming the step.
    const alone = errorDetails(await t.throwsAsync(execute(gw.client, { sql })));
    t.is(alone.reason, reason, 'Execute refuses it with this reason');
    for (const transaction of [undefined, {}]) {
      const mode = transaction ? 'in a transaction' : 'autocommit';
      const err = await t.throwsAsync(
        batch(gw.client, {
          steps: [
            { statement: { sql: `INSERT INTO ${T} VALUES (1, 1)` } },
            { statement: { sql: 'SELECT 1' } },
            { statement: { sql } },
          ],
          ...(transaction ? { transaction } : {}),
        }),
      );
      const d = errorDetails(err);
      t.is(d.code, alone.code, mode);
      t.is(d.reason, reason, mode);
      t.regex(d.details, /batch step 2\b/, mode);
      t.deepEqual(await rows(), [], `${mode}: step 0 never ran`);
    }
  });
}

test.serial('savepoints inside a transactional batch are allowed', async (t) => {
  const r = await client.batch(
    [
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      { sql: 'SAVEPOINT before_two' },
      { sql: `INSERT INTO ${T} VALUES (2, 2)` },
      { sql: 'ROLLBACK TO SAVEPOINT before_two' },
      { sql: `INSERT INTO ${T} VALUES (3, 3)` },
      { sql: 'RELEASE SAVEPOINT before_two' },
    ],
    { transaction: true },
  );
  t.deepEqual(kinds(r), ['executed', 'executed', 'executed', 'executed', 'executed', 'executed']);
  t.true(r.committed);
  t.deepEqual(await rows(), [
    [1, 1],
    [3, 3],
  ]);
});

test.serial('the gateway still serves batches after the faults above', async (t) => {
  const r = (await batch(gw.client, { steps: [{ statement: { sql: 'SELECT 1' } }] })) as AnyMessage;
  t.is(r.results.length, 1);
  t.truthy(r.results[0].result);
});
