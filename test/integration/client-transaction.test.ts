/**
 * `client.transaction()` against a real gateway: commit on return, rollback on throw (checked
 * from outside the transaction), in-band errors, pipelining, unread rows, deadlines and
 * cancellation, and `retry` through a real InnoDB deadlock.
 */
import test from 'ava';
import { GatewayClient, GatewayClientError, type RowObject, withRetry } from '../../src/client/index.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let client: GatewayClient;
const T = 'client_tx';

test.before(async () => {
  gw = await startGateway();
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 20_000 });
  await client.execute(`DROP TABLE IF EXISTS ${T}`);
  await client.execute(`CREATE TABLE ${T} (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0) ENGINE=InnoDB`);
});

test.after.always(async () => {
  if (!gw) return;
  await client?.execute(`DROP TABLE IF EXISTS ${T}`).catch(() => {});
  await client?.close();
  await gw.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** Seen from outside any transaction. */
async function rowsWithId(...ids: number[]): Promise<number> {
  const out = await client.queryAll(
    `SELECT COUNT(*) FROM ${T} WHERE id IN (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  return Number(out.rows[0]?.[0]);
}

/** A promise with its resolve function, to order two concurrent callbacks without sleeping. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

test.serial('commits when the callback returns, with its value and a consistency token', async (t) => {
  const out = await client.transaction(async (tx) => {
    t.truthy(tx.backend);
    t.regex(tx.connectionId, /^\d+$/);
    await tx.execute(`INSERT INTO ${T} (id) VALUES (?)`, [1]);
    t.is(await rowsWithId(1), 0, 'not visible outside before commit');
    const inside = await tx.queryAll(`SELECT id FROM ${T} WHERE id = ?`, [1]);
    return inside.rows;
  });
  t.deepEqual(out.value, [[1]]);
  t.regex(out.consistencyToken, /^\d+-\d+-\d+$/, 'the GTID of the commit');
  t.is(await rowsWithId(1), 1);
});

test.serial('rolls back when the callback throws, and rethrows the same error', async (t) => {
  const boom = new Error('boom');
  const err = await t.throwsAsync(
    client.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${T} (id) VALUES (2)`);
      throw boom;
    }),
  );
  t.is(err, boom);
  t.is(await rowsWithId(2), 0);
});

test.serial(
  'an in-band statement error is a GatewayClientError and the transaction stays usable',
  async (t) => {
    const out = await client.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${T} (id) VALUES (3)`);
      const dup = await t.throwsAsync(tx.execute(`INSERT INTO ${T} (id) VALUES (3)`), {
        instanceOf: GatewayClientError,
      });
      t.is(dup?.codeName, 'ALREADY_EXISTS');
      t.is(dup?.reason, 'DUPLICATE_KEY');
      t.is(dup?.mysqlErrno, 1062);
      t.is(dup?.sqlState, '23000');
      t.false(dup?.transactionRolledBack);
      const bad = await t.throwsAsync(tx.queryAll('SELECT * FROM no_such_table_tx'), {
        instanceOf: GatewayClientError,
      });
      t.is(bad?.mysqlErrno, 1146);
      await tx.execute(`INSERT INTO ${T} (id) VALUES (4)`);
      return 'done';
    });
    t.is(out.value, 'done');
    t.is(await rowsWithId(3, 4), 2);
  },
);

test.serial('a failed statement nobody awaited rolls the transaction back', async (t) => {
  await client.execute(`INSERT INTO ${T} (id) VALUES (5)`);
  const err = await t.throwsAsync(
    client.transaction(async (tx) => {
      void tx.execute(`INSERT INTO ${T} (id) VALUES (5)`); // duplicate, never looked at
      await tx.execute(`INSERT INTO ${T} (id) VALUES (6)`);
    }),
    { instanceOf: GatewayClientError },
  );
  t.is(err?.mysqlErrno, 1062);
  t.is(await rowsWithId(6), 0, 'the statement after it was not committed');
});

test.serial('statements pipeline and each gets its own answer', async (t) => {
  // Few enough that the gateway never finds its send buffer full (16 messages): see the report
  // on connections paused between statements.
  const N = 3;
  const out = await client.transaction(async (tx) => {
    const writes = Array.from({ length: N }, (_, i) =>
      tx.execute(`INSERT INTO ${T} (id, n) VALUES (?, ?)`, [100 + i, i]),
    );
    const reads = Array.from({ length: N }, (_, i) => tx.queryAll('SELECT ? AS i, ? * 2 AS twice', [i, i]));
    const [written, read] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    t.true(written.every((w) => w.affectedRows === 1));
    return read.map((r) => r.rows[0]);
  });
  t.deepEqual(
    out.value,
    Array.from({ length: N }, (_, i) => [i, i * 2]),
  );
  const sum = await client.queryAll(`SELECT COUNT(*), SUM(n) FROM ${T} WHERE id BETWEEN 100 AND 119`);
  t.deepEqual(sum.rows, [[N, String((N * (N - 1)) / 2)]]);
});

test.serial(
  'a query read after later statements is buffered, not deadlocked; breaking out discards the rest',
  async (t) => {
    const out = await client.transaction(async (tx) => {
      const big = tx.query('SELECT seq FROM seq_1_to_20000', [], { maxRowsPerBatch: 100 });
      await tx.execute(`INSERT INTO ${T} (id) VALUES (7)`); // answered after all of big's rows
      let count = 0;
      let last = 0;
      for await (const [seq] of big) {
        count++;
        last = seq as number;
      }
      t.is(big.stats?.rowCount, 20_000);
      const partial = tx.query('SELECT seq FROM seq_1_to_50000', [], { maxRowsPerBatch: 100 });
      let seen = 0;
      for await (const _row of partial) if (++seen === 10) break;
      t.is(partial.state, 'cancelled');
      const after = await tx.queryAll('SELECT 1 AS still_usable', [], { rowMode: 'object' });
      return { count, last, after: after.rows as RowObject[] };
    });
    t.deepEqual(out.value, { count: 20_000, last: 20_000, after: [{ still_usable: 1 }] });
    t.is(await rowsWithId(7), 1);
  },
);

test.serial('a transaction past its deadline fails DEADLINE_EXCEEDED and commits nothing', async (t) => {
  const err = await t.throwsAsync(
    client.transaction(
      async (tx) => {
        await tx.execute(`INSERT INTO ${T} (id) VALUES (8)`);
        await tx.queryAll('SELECT SLEEP(20)');
      },
      { deadlineMs: 700 },
    ),
    { instanceOf: GatewayClientError },
  );
  t.is(err?.codeName, 'DEADLINE_EXCEEDED');
  t.is(await rowsWithId(8), 0);
});

test.serial('an AbortSignal cancels the transaction: CANCELLED, nothing committed', async (t) => {
  const ac = new AbortController();
  const started = latch();
  const run = client.transaction(
    async (tx) => {
      await tx.execute(`INSERT INTO ${T} (id) VALUES (9)`);
      const sleeping = tx.queryAll('SELECT SLEEP(20)');
      started.open();
      await sleeping;
    },
    { signal: ac.signal },
  );
  await started.promise;
  const reason = new Error('stop');
  ac.abort(reason);
  const err = await t.throwsAsync(run, { instanceOf: GatewayClientError });
  t.is(err?.codeName, 'CANCELLED');
  t.is(err?.cause, reason);
  t.is(await rowsWithId(9), 0);
});

test.serial('read-only transactions refuse writes with MySQL errno 1792', async (t) => {
  const err = await t.throwsAsync(
    client.transaction((tx) => tx.execute(`INSERT INTO ${T} (id) VALUES (10)`), {
      readOnly: true,
      isolationLevel: 'READ_COMMITTED',
    }),
    { instanceOf: GatewayClientError },
  );
  t.is(err?.mysqlErrno, 1792);
  t.is(await rowsWithId(10), 0);
});

test.serial('the transaction handle refuses statements after the callback returned', async (t) => {
  let leaked: Parameters<Parameters<GatewayClient['transaction']>[0]>[0] | undefined;
  await client.transaction((tx) => {
    leaked = tx;
  });
  const err = await t.throwsAsync(leaked?.execute(`INSERT INTO ${T} (id) VALUES (11)`) ?? Promise.resolve(), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.reason, 'TRANSACTION_ENDED');
  t.is(await rowsWithId(11), 0);
});

/**
 * Two transactions that lock rows 1000 and 1001 in opposite order: each takes its first row,
 * waits for the other to take its own, then asks for the other's. InnoDB kills one (1213).
 */
function deadlockPair(retry: { attempts: number } | undefined) {
  const aHolds = latch();
  const bHolds = latch();
  const attempts = { a: 0, b: 0 };
  const retried: GatewayClientError[] = [];
  const side = (name: 'a' | 'b', first: number, second: number, mine: typeof aHolds, theirs: typeof aHolds) =>
    client.transaction(
      async (tx) => {
        attempts[name]++;
        await tx.execute(`UPDATE ${T} SET n = n + 1 WHERE id = ?`, [first]);
        if (attempts[name] === 1) {
          mine.open();
          await theirs.promise;
        }
        await tx.execute(`UPDATE ${T} SET n = n + 1 WHERE id = ?`, [second]);
        return name;
      },
      retry && { retry: { ...retry, onRetry: (e) => retried.push(e) } },
    );
  return {
    attempts,
    retried,
    runs: [side('a', 1000, 1001, aHolds, bHolds), side('b', 1001, 1000, bHolds, aHolds)] as const,
  };
}

test.serial('without retry a deadlock surfaces as ABORTED / 1213, rolled back', async (t) => {
  await client.execute(`INSERT INTO ${T} (id, n) VALUES (1000, 0), (1001, 0)`);
  const pair = deadlockPair(undefined);
  const outcomes = await Promise.allSettled(pair.runs);
  const failed = outcomes.filter((o) => o.status === 'rejected');
  t.is(failed.length, 1, 'exactly one victim');
  const err = (failed[0] as PromiseRejectedResult).reason as GatewayClientError;
  t.true(err instanceof GatewayClientError);
  t.is(err.codeName, 'ABORTED');
  t.is(err.mysqlErrno, 1213);
  t.is(err.sqlState, '40001');
  t.true(err.transactionRolledBack);
  t.false(err.commitAttempted);
  const n = await client.queryAll(`SELECT n FROM ${T} WHERE id IN (1000, 1001) ORDER BY id`);
  t.deepEqual(n.rows, [[1], [1]], "only the survivor's increments are there");
  await client.execute(`DELETE FROM ${T} WHERE id IN (1000, 1001)`);
});

test.serial('with retry the deadlocked transaction runs again and both commit', async (t) => {
  await client.execute(`INSERT INTO ${T} (id, n) VALUES (1000, 0), (1001, 0)`);
  const pair = deadlockPair({ attempts: 3 });
  const [a, b] = await Promise.all(pair.runs);
  t.is(a.value, 'a');
  t.is(b.value, 'b');
  t.is(pair.attempts.a + pair.attempts.b, 3, 'one of them ran twice');
  t.is(pair.retried.length, 1);
  t.is(pair.retried[0]?.mysqlErrno, 1213);
  const n = await client.queryAll(`SELECT n FROM ${T} WHERE id IN (1000, 1001) ORDER BY id`);
  t.deepEqual(n.rows, [[2], [2]], 'each transaction incremented both rows exactly once');
  await client.execute(`DELETE FROM ${T} WHERE id IN (1000, 1001)`);
});

test.serial('withRetry wraps any function; it stops at the first non-ABORTED error', async (t) => {
  let calls = 0;
  const err = await t.throwsAsync(
    withRetry(
      () => {
        calls++;
        return client.transaction((tx) => tx.execute(`INSERT INTO ${T} (id) VALUES (1), (1)`));
      },
      { attempts: 5 },
    ),
    { instanceOf: GatewayClientError },
  );
  t.is(err?.codeName, 'ALREADY_EXISTS');
  t.is(calls, 1);
});
