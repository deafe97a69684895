/**
 * The Batch RPC against a real gateway and MariaDB, through the TS client (`client.batch`) and,
 * for what that client refuses to send, the generated stub: order and one connection, the stop at
 * the first unhandled failure, every condition form, the handled rule, commit and rollback,
 * the response size bound, the steps limit, invalid conditions refused before anything runs,
 * fuzzed condition trees, and 10,000 inserts across 10 batches.
 *
 * The limits tests start a second gateway with small batch limits (`limits.maxBatchSteps`,
 * `maxBatchResponseRows`, `maxBatchResponseBytes`).
 */
import test from 'ava';
import {
  type BatchResult,
  type BatchStep,
  type BatchStepResult,
  Cond,
  GatewayClient,
  GatewayClientError,
  StatusCode,
} from '../../src/client/index.js';
import { prng } from '../helpers/prng.js';
import { type AnyMessage, errorDetails, type GatewayStub } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const T = 'batch_t';
let gw: TestGateway;
let client: GatewayClient;

test.before(async () => {
  gw = await startGateway();
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 30_000 });
  await client.execute(`DROP TABLE IF EXISTS ${T}`);
  await client.execute(`CREATE TABLE ${T} (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB`);
});

test.after.always(async () => {
  if (!gw) return;
  await client?.execute(`DROP TABLE IF EXISTS ${T}`).catch(() => {});
  await client?.close();
  await gw.stop();
});

test.beforeEach(async () => {
  await client.execute(`DELETE FROM ${T}`);
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** The table's rows as [id, n], by id. */
async function rows(): Promise<[number, number][]> {
  const r = await client.queryAll(`SELECT id, n FROM ${T} ORDER BY id`);
  return r.rows as [number, number][];
}

const kinds = (r: BatchResult<unknown>) => r.results.map((s) => s.kind);

function rowsOf(step: BatchStepResult | undefined): unknown[][] {
  if (step?.kind !== 'rows') throw new Error(`expected rows, got ${step?.kind}`);
  return step.rows;
}

function errorOf(step: BatchStepResult | undefined): GatewayClientError {
  if (step?.kind !== 'error') throw new Error(`expected an error, got ${step?.kind}`);
  return step.error;
}

/** A raw Batch call through the generated stub (for requests the TS client refuses to build). */
function rawBatch(stub: GatewayStub, req: AnyMessage): Promise<AnyMessage> {
  return new Promise((resolve, reject) => {
    (stub as AnyMessage).Batch(
      req,
      { deadline: new Date(Date.now() + 20_000) },
      (err: unknown, res: AnyMessage) => (err ? reject(err) : resolve(res)),
    );
  });
}

const stmt = (sql: string) => ({ statement: { sql, params: [] } });

test.serial(
  'steps run in order on one connection: CONNECTION_ID() and session state are shared',
  async (t) => {
    const r = await client.batch([
      { sql: 'SELECT CONNECTION_ID()' },
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      { sql: `UPDATE ${T} SET n = n * 10 WHERE id = 1` },
      { sql: `UPDATE ${T} SET n = n + 1 WHERE id = 1` },
      { sql: 'SET @batch_marker = 42' },
      { sql: 'SELECT @batch_marker, CONNECTION_ID()' },
      { sql: `SELECT n, CONNECTION_ID() FROM ${T} WHERE id = 1` },
    ]);
    t.deepEqual(kinds(r), ['rows', 'executed', 'executed', 'executed', 'executed', 'rows', 'rows']);
    const id = rowsOf(r.results[0])[0]?.[0];
    t.truthy(id);
    t.deepEqual(rowsOf(r.results[5]), [[42, id]]);
    // (1 * 10) + 1, not (1 + 1) * 10: the updates ran in step order.
    t.deepEqual(rowsOf(r.results[6]), [[11, id]]);
    t.false(r.committed, 'no transaction: nothing to commit');
    t.regex(r.backend, /:\d+$/);
    t.true(r.elapsedUs > 0);
    t.deepEqual(await rows(), [[1, 11]]);
  },
);

test.serial(
  'without a transaction, the first unhandled failure skips every later unconditioned step',
  async (t) => {
    await client.execute(`INSERT INTO ${T} VALUES (2, 0)`);
    const r = await client.batch([
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      { sql: `INSERT INTO ${T} VALUES (2, 2)` }, // duplicate key
      { sql: `INSERT INTO ${T} VALUES (3, 3)` },
      { sql: `SELECT COUNT(*) FROM ${T}` },
    ]);
    t.deepEqual(kinds(r), ['executed', 'error', 'skipped', 'skipped']);
    const e = errorOf(r.results[1]);
    t.is(e.code, StatusCode.ALREADY_EXISTS);
    t.is(e.mysqlErrno, 1062);
    t.is(e.sqlState, '23000');
    t.is(e.reason, 'DUPLICATE_KEY');
    t.is(e.batchStep, 1);
    t.false(r.committed);
    // Step 0 autocommitted; the skipped steps never ran.
    t.deepEqual(await rows(), [
      [1, 1],
      [2, 0],
    ]);
    const thrown = t.throws(() => r.throwOnError(), { instanceOf: GatewayClientError });
    t.is(thrown?.batchStep, 1);
  },
);

test.serial('each condition form, against steps that succeeded, failed and were skipped', async (t) => {
  const steps: BatchStep[] = [
    /* 0 */ { sql: 'SELECT 1' }, // ok
    /* 1 */ { sql: 'SELECT * FROM batch_no_such_table' }, // error
    /* 2 */ { sql: 'SELECT 2', condition: Cond.ok(1) }, // skipped
    /* 3 */ { sql: 'SELECT 3', condition: Cond.ok(0) },
    /* 4 */ { sql: 'SELECT 4', condition: Cond.error(0) },
    /* 5 */ { sql: 'SELECT 5', condition: Cond.error(1) },
    /* 6 */ { sql: 'SELECT 6', condition: Cond.ok(2) }, // a skipped step is not ok ...
    /* 7 */ { sql: 'SELECT 7', condition: Cond.error(2) }, // ... nor error
    /* 8 */ { sql: 'SELECT 8', condition: Cond.not(Cond.or(Cond.ok(2), Cond.error(2))) },
    /* 9 */ { sql: 'SELECT 9', condition: Cond.not(Cond.ok(0)) },
    /* 10 */ { sql: 'SELECT 10', condition: Cond.and(Cond.ok(0), Cond.error(1)) },
    /* 11 */ { sql: 'SELECT 11', condition: Cond.and(Cond.ok(0), Cond.ok(1)) },
    /* 12 */ { sql: 'SELECT 12', condition: Cond.or(Cond.ok(1), Cond.error(0)) },
    /* 13 */ { sql: 'SELECT 13', condition: Cond.or(Cond.ok(1), Cond.ok(3)) },
    /* 14 */ { sql: 'SELECT 14', condition: Cond.and() }, // empty and: true
    /* 15 */ { sql: 'SELECT 15', condition: Cond.or() }, // empty or: false
  ];
  const r = await client.batch(steps);
  const expected = [
    'rows',
    'error',
    'skipped',
    'rows',
    'skipped',
    'rows',
    'skipped',
    'skipped',
    'rows',
    'skipped',
    'rows',
    'skipped',
    'skipped',
    'rows',
    'rows',
    'skipped',
  ];
  t.deepEqual(kinds(r), expected);
  t.deepEqual(rowsOf(r.results[13]), [[13]]);
  t.is(errorOf(r.results[1]).mysqlErrno, 1146);
  // Step 5 named error(1) and ran: the failure is handled, so nothing is left to throw.
  t.deepEqual(r.unhandledErrors(), []);
});

test.serial(
  'a step naming error(N) that ran handles N: later unconditioned steps run (try/catch)',
  async (t) => {
    await client.execute(`INSERT INTO ${T} VALUES (1, 1)`);
    const r = await client.batch([
      { sql: `INSERT INTO ${T} VALUES (1, 100)` }, // duplicate: fails
      { sql: `UPDATE ${T} SET n = 100 WHERE id = 1`, condition: Cond.error(0) }, // the catch block
      { sql: `INSERT INTO ${T} VALUES (2, 2)` }, // runs: step 0 is handled
      { sql: `INSERT INTO ${T} VALUES (2, 3)` }, // fails, unhandled
      { sql: `INSERT INTO ${T} VALUES (4, 4)` }, // skipped
      { sql: `INSERT INTO ${T} VALUES (5, 5)`, condition: Cond.not(Cond.ok(3)) }, // runs, handles nothing
      { sql: `INSERT INTO ${T} VALUES (6, 6)` }, // skipped: step 3 is still unhandled
    ]);
    t.deepEqual(kinds(r), ['error', 'executed', 'executed', 'error', 'skipped', 'executed', 'skipped']);
    t.deepEqual(
      r.unhandledErrors().map((e) => e.batchStep),
      [3],
    );
    t.deepEqual(await rows(), [
      [1, 100],
      [2, 2],
      [5, 5],
    ]);
  },
);

test.serial('transaction: commits when every failure is handled', async (t) => {
  await client.execute(`INSERT INTO ${T} VALUES (1, 1)`);
  const r = await client.batch(
    [
      { sql: `INSERT INTO ${T} VALUES (1, 10)` },
      { sql: `UPDATE ${T} SET n = n + 10 WHERE id = 1`, condition: Cond.error(0) },
      { sql: `INSERT INTO ${T} VALUES (2, 20)` },
    ],
    { transaction: { isolationLevel: 'READ_COMMITTED' } },
  );
  t.deepEqual(kinds(r), ['error', 'executed', 'executed']);
  t.true(r.committed);
  t.deepEqual(await rows(), [
    [1, 11],
    [2, 20],
  ]);
});

test.serial('transaction: rolls back on an unhandled failure, earlier writes included', async (t) => {
  const r = await client.batch(
    [
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      { sql: `UPDATE ${T} SET n = 2 WHERE id = 1` },
      { sql: `INSERT INTO ${T} VALUES (1, 3)` }, // duplicate: unhandled
      { sql: `INSERT INTO ${T} VALUES (4, 4)`, condition: Cond.ok(0) }, // runs, then rolled back
    ],
    { transaction: true },
  );
  t.deepEqual(kinds(r), ['executed', 'executed', 'error', 'executed']);
  t.false(r.committed);
  t.deepEqual(await rows(), []);
});

test.serial('transaction: every step inside it, committed when nothing failed', async (t) => {
  const r = await client.batch(
    [
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      // Inside a transaction: another connection cannot see the row yet, this one can.
      { sql: `SELECT COUNT(*) FROM ${T}` },
      { sql: 'SELECT @@in_transaction' },
    ],
    { transaction: true },
  );
  t.deepEqual(kinds(r), ['executed', 'rows', 'rows']);
  t.deepEqual(rowsOf(r.results[1]), [[1]]);
  t.deepEqual(rowsOf(r.results[2]), [[1]]);
  t.true(r.committed);
  t.deepEqual(await rows(), [[1, 1]]);
});

test.serial('a read-only transaction refuses a write step in-band and rolls back', async (t) => {
  const r = await client.batch(
    [{ sql: `SELECT COUNT(*) FROM ${T}` }, { sql: `INSERT INTO ${T} VALUES (1, 1)` }],
    { transaction: { readOnly: true } },
  );
  t.deepEqual(kinds(r), ['rows', 'error']);
  t.is(errorOf(r.results[1]).mysqlErrno, 1792);
  t.false(r.committed);
  t.deepEqual(await rows(), []);
});

test.serial('invalid conditions fail the call INVALID_ARGUMENT before any step runs', async (t) => {
  const insert = stmt(`INSERT INTO ${T} VALUES (1, 1)`);
  const deep = (levels: number): AnyMessage => (levels === 1 ? { ok: 0 } : { not: deep(levels - 1) });
  const cases: [string, AnyMessage, RegExp][] = [
    ['names itself', { ...stmt('SELECT 1'), condition: { ok: 1 } }, /step 1/],
    ['names a later step', { ...stmt('SELECT 1'), condition: { error: 2 } }, /step 2/],
    ['no kind set', { ...stmt('SELECT 1'), condition: {} }, /no kind/],
    ['nested deeper than 32', { ...stmt('SELECT 1'), condition: deep(33) }, /deeper than 32/],
    [
      'more than 64 nodes',
      {
        ...stmt('SELECT 1'),
        condition: { and: { conditions: Array.from({ length: 64 }, () => ({ ok: 0 })) } },
      },
      /more than 64 nodes/,
    ],
  ];
  for (const [name, step, message] of cases) {
    const err = await rawBatch(gw.client, { steps: [insert, step, stmt('SELECT 2')] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.truthy(err, name);
    const d = errorDetails(err);
    t.is(d.code, StatusCode.INVALID_ARGUMENT, name);
    t.is(d.reason, 'INVALID_BATCH_CONDITION', name);
    t.regex(d.details, message, name);
  }
  t.deepEqual(await rows(), [], 'step 0 never ran');
});

test.serial(
  'fuzzed condition trees: the call answers or fails INVALID_ARGUMENT; the gateway keeps serving',
  async (t) => {
    const rand = prng(Number(process.env.BATCH_SEED ?? 1206));
    const node = (step: number, depth: number): AnyMessage => {
      const r = rand();
      if (r < 0.05) return {}; // no kind
      // Mostly earlier steps; sometimes itself or a later one, and now and then -1 (4294967295 as a uint32).
      const n = rand() < 0.03 ? -1 : Math.floor(rand() * (step + 2));
      if (depth > 40 || r < 0.4) return rand() < 0.5 ? { ok: n } : { error: n };
      if (r < 0.6) return { not: node(step, depth + 1) };
      const list = {
        conditions: Array.from({ length: Math.floor(rand() * 4) }, () => node(step, depth + 1)),
      };
      return rand() < 0.5 ? { and: list } : { or: list };
    };
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const count = 1 + Math.floor(rand() * 6);
      const steps = Array.from({ length: count }, (_, s) => ({
        ...stmt(rand() < 0.3 ? 'SELECT * FROM batch_no_such_table' : `SELECT ${s}`),
        ...(rand() < 0.7 ? { condition: node(s, 1) } : {}),
      }));
      try {
        const res = await rawBatch(gw.client, { steps });
        t.is(res.results.length, count);
        answered++;
      } catch (err) {
        const d = errorDetails(err);
        if (d.code !== StatusCode.INVALID_ARGUMENT)
          return t.fail(`${d.code} ${d.details}: ${JSON.stringify(steps)}`);
        refused++;
      }
    }
    t.true(answered > 10 && refused > 10, `answered ${answered}, refused ${refused}`);
    const after = await client.batch([{ sql: 'SELECT 1' }]);
    t.deepEqual(kinds(after), ['rows']);
  },
);

test.serial('10,000 inserts across 10 transactional batches of 1,000', async (t) => {
  for (let b = 0; b < 10; b++) {
    const steps = Array.from({ length: 1000 }, (_, i) => ({
      sql: `INSERT INTO ${T} VALUES (?, ?)`,
      params: [b * 1000 + i, b],
    }));
    const r = await client.batch(steps, { transaction: true });
    t.true(r.committed, `batch ${b}`);
    t.true(
      r.results.every((s) => s.kind === 'executed' && s.affectedRows === 1),
      `batch ${b}`,
    );
  }
  const count = await client.queryAll(`SELECT COUNT(*), COUNT(DISTINCT id), SUM(n) FROM ${T}`);
  t.deepEqual(count.rows, [[10_000, 10_000, '45000']]);
});

test.serial('limits: steps per batch and the response size bound', async (t) => {
  const small = await startGateway({
    limits: { maxBatchSteps: 20, maxBatchResponseRows: 50, maxBatchResponseBytes: 4096 },
  });
  const c = await GatewayClient.connect(`127.0.0.1:${small.port}`, { defaultDeadlineMs: 20_000 });
  t.teardown(async () => {
    await c.close();
    await small.stop();
  });

  // Steps: 20 is fine, 21 fails the call before anything runs.
  const ok = await c.batch(Array.from({ length: 20 }, (_, i) => ({ sql: `SELECT ${i}` })));
  t.is(ok.results.length, 20);
  const tooMany = await t.throwsAsync(
    c.batch([
      { sql: `INSERT INTO ${T} VALUES (1, 1)` },
      ...Array.from({ length: 20 }, (_, i) => ({ sql: `SELECT ${i}` })),
    ]),
    { instanceOf: GatewayClientError },
  );
  t.is(tooMany?.code, StatusCode.INVALID_ARGUMENT);
  t.is(tooMany?.reason, 'TOO_MANY_STEPS');
  t.regex(tooMany?.details ?? '', /20/);
  t.deepEqual(await rows(), [], 'nothing ran');

  // Rows: a step whose rows would pass the bound fails RESOURCE_EXHAUSTED in-band, later steps skipped.
  const seq = (n: number) => `SELECT seq FROM seq_1_to_${n}`;
  const big = await c.batch([
    { sql: seq(30) },
    { sql: seq(30) }, // 60 rows in all: over 50
    { sql: 'SELECT 1' },
    { sql: 'SELECT 2', condition: Cond.error(1) }, // the batch ended: skipped even so
  ]);
  t.deepEqual(kinds(big), ['rows', 'error', 'skipped', 'skipped']);
  const e = errorOf(big.results[1]);
  t.is(e.code, StatusCode.RESOURCE_EXHAUSTED);
  t.is(e.reason, 'BATCH_RESPONSE_LIMIT');
  t.regex(e.details, /Query/, 'the error says to use Query for large results');

  // Bytes: one wide row past 4096 bytes.
  const wide = await c.batch([{ sql: "SELECT REPEAT('x', 5000)" }, { sql: 'SELECT 1' }]);
  t.deepEqual(kinds(wide), ['error', 'skipped']);
  t.is(errorOf(wide.results[0]).code, StatusCode.RESOURCE_EXHAUSTED);
  t.is(errorOf(wide.results[0]).reason, 'BATCH_RESPONSE_LIMIT');

  // In a transaction the size failure ends the batch and rolls back.
  const tx = await c.batch([{ sql: `INSERT INTO ${T} VALUES (9, 9)` }, { sql: seq(60) }], {
    transaction: true,
  });
  t.deepEqual(kinds(tx), ['executed', 'error']);
  t.false(tx.committed);
  t.deepEqual(await rows(), []);
  await small.assertNoLeaks();
});
