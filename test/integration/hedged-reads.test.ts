/**
 * Hedged reads against the real sandbox: a replica frozen with SIGSTOP under read load costs no
 * read more than the hedge cap plus a margin (well before the health monitor would notice it),
 * reads answer from the other replica, the hedges show in the metric, and once thawed the frozen
 * node's connections are recovered. A read that is slow on one server only (its SLEEP depends on
 * `@@server_id`) is hedged and its loser is killed on that server. The budget bounds the hedges
 * (none at 0%, even with a frozen replica); a read that already streamed a row and writes are
 * never hedged. Frozen nodes are always thawed, whatever fails.
 */
import test from 'ava';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { errorDetails, execute, query } from './helpers/client.js';
import { allHealthy, defaultCluster, servedBy } from './helpers/cluster.js';
import { freezeNode, thawNode } from './helpers/freeze.js';
import { sandboxClusterConfig, startGateway, type TestGateway } from './helpers/gateway.js';
import { type InMemoryTelemetry, inMemoryTelemetry, waitForSpan } from './helpers/telemetry.js';

/** The hedge cap of the gateways here, ms. */
const MAX_DELAY_MS = 300;
/**
 * What a read may take beyond the cap: a pool lease, the hedge's own statement, gRPC, on a 2-core
 * machine shared with other work. Far below the health monitor's detection time here (10 failed
 * checks, ~10 s), so a read rescued by markDown rather than by a hedge fails the bound.
 */
const MARGIN_MS = 1500;
/** Deadline of every read: far longer than anything expected, so a read that waits for it is seen. */
const DEADLINE_MS = 30_000;
/** server_id of node 1, the replica frozen (or slow) here; node 2 is server_id 3. */
const SLOW_SERVER_ID = 2;

/** A gateway reading from replicas, hedging with `budgetPercent`, its metrics in memory. */
async function hedgingGateway(
  budgetPercent: number,
  minDelayMs = 50,
): Promise<{ gw: TestGateway; tel: InMemoryTelemetry }> {
  const tel = inMemoryTelemetry();
  const gw = await startGateway(
    {
      telemetry: { enabled: true, samplingRatio: 1 },
      clusters: {
        default: {
          ...sandboxClusterConfig(),
          defaultReadPreference: 'REPLICA',
          pool: { min: 2, max: 8, acquireTimeoutMs: 20_000 },
          // Slow detection: what rescues reads from a frozen replica here is the hedge, not markDown.
          healthCheck: { failuresToDown: 10 },
          hedging: { enabled: true, budgetPercent, minDelayMs, maxDelayMs: MAX_DELAY_MS },
        },
      },
    },
    tel.options,
  );
  await allHealthy(gw);
  return { gw, tel };
}

/** Hedge events counted by the metric so far, by outcome. */
async function hedges(tel: InMemoryTelemetry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await tel.metrics.points('mysqlgateway.query.hedges')) {
    const outcome = String(p.attributes.outcome);
    out[outcome] = (out[outcome] ?? 0) + Number(p.value);
  }
  return out;
}

interface ReadOutcome {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly serverId?: number;
  readonly error?: string;
}

/** Runs `sql` (its last column is `@@server_id`) and times it. */
async function timedRead(gw: TestGateway, sql: string): Promise<ReadOutcome> {
  const startedAt = Date.now();
  try {
    const out = await query(gw.client, { sql }, { deadlineMs: DEADLINE_MS });
    const row = out.rows[0] ?? [];
    const cell = row[row.length - 1] as { int64_value?: string; uint64_value?: string };
    return { startedAt, endedAt: Date.now(), serverId: Number(cell.int64_value ?? cell.uint64_value) };
  } catch (err) {
    const e = errorDetails(err);
    return { startedAt, endedAt: Date.now(), error: `${e.code} ${e.reason}: ${e.details}` };
  }
}

/** Statements of the gateway user running on the node at `port` whose text contains `marker`. */
async function runningOn(port: number, marker: string): Promise<number> {
  const rows = await rootQuery(
    port,
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ? AND INFO LIKE CONCAT('%', ?, '%') AND COMMAND <> 'Sleep'",
    [sandbox.gatewayUser, marker],
  );
  return Number((rows as { n: number }[])[0]?.n);
}

const replicaPort = (node: 1 | 2): number => sandbox.replicaPorts[node - 1] as number;

/** KILL statements the node at `port` has run since it started (`Com_kill`). */
async function killsOn(port: number): Promise<number> {
  const rows = await rootQuery(port, "SHOW GLOBAL STATUS LIKE 'Com_kill'");
  return Number((rows as { Value: string }[])[0]?.Value);
}

test.before(() => {
  thawNode(1);
});

test.after.always(() => {
  thawNode(1);
});

test.serial(
  'a replica freezes under read load: no read waits past the hedge cap, hedges answer, it recovers',
  async (t) => {
    const { gw, tel } = await hedgingGateway(50);
    t.teardown(() => gw.stop());
    const { cluster, monitor } = defaultCluster(gw);
    const frozen = cluster.replicas[0]!;
    const outcomes: ReadOutcome[] = [];
    let running = true;
    const readers = Array.from({ length: 6 }, async () => {
      while (running) outcomes.push(await timedRead(gw, 'SELECT @@server_id'));
    });
    t.teardown(() => {
      running = false;
    });
    await waitFor(() => outcomes.filter((o) => o.serverId === SLOW_SERVER_ID).length >= 20, {
      message: '20 reads served by the replica about to freeze',
    });
    const before = await hedges(tel);
    const frozenAt = Date.now();
    const thaw = freezeNode(1);
    t.teardown(thaw);
    const afterFreeze = () => outcomes.filter((o) => o.startedAt > frozenAt);
    await waitFor(() => afterFreeze().filter((o) => o.startedAt > frozenAt + 2000).length >= 20, {
      timeoutMs: 20_000,
      message: '20 reads started 2 s after the freeze',
    });
    running = false;
    await Promise.all(readers);
    t.not(monitor.health(frozen.name).state, 'down', 'the health monitor has not taken it down yet');

    const errors = outcomes.map((o) => o.error).filter((e) => e !== undefined);
    t.deepEqual(errors, [], 'no read failed');
    const slowest = Math.max(...outcomes.map((o) => o.endedAt - o.startedAt));
    t.log(`${outcomes.length} reads (${afterFreeze().length} after the freeze), slowest ${slowest} ms`);
    t.true(slowest < MAX_DELAY_MS + MARGIN_MS, `slowest read ${slowest} ms`);
    // SIGSTOP takes effect once the kernel stops every thread: allow it a moment.
    t.deepEqual(
      afterFreeze().filter((o) => o.startedAt > frozenAt + 500 && o.serverId === SLOW_SERVER_ID),
      [],
      'no read sent after the freeze was answered by the frozen replica',
    );
    const during = await hedges(tel);
    const won = (during.won ?? 0) - (before.won ?? 0);
    t.log(`hedges: ${JSON.stringify(during)}`);
    t.true(won > 0, 'hedges answered the reads caught by the freeze');
    t.true((during.sent ?? 0) - (before.sent ?? 0) >= won, 'every hedge that won was counted as sent');

    // Thawed: the killed statements' connections are destroyed, and the replica serves again.
    thaw();
    await gw.assertNoLeaks();
    await waitFor(async () => (await servedBy(gw.client)) === SLOW_SERVER_ID, {
      timeoutMs: 15_000,
      message: 'the thawed replica serves reads again',
    });
    await gw.assertNoLeaks();
    t.is(frozen.pool.stats().used, 0, "no lease left on the thawed replica's pool");
  },
);

test.serial('a read slow on one server is hedged, and the slow statement is killed there', async (t) => {
  const { gw, tel } = await hedgingGateway(100);
  t.teardown(() => gw.stop());
  const marker = 'hedge-kill-marker';
  // Sleeps 20 s on node 1 only: the statement itself is slow there, nothing is frozen.
  const sql = `SELECT '${marker}' AS m, SLEEP(IF(@@server_id = ${SLOW_SERVER_ID}, 20, 0)) AS s, @@server_id AS id`;
  const killsBefore = await killsOn(replicaPort(1));
  let hedged: ReadOutcome | undefined;
  for (let i = 0; i < 30 && hedged === undefined; i++) {
    const before = (await hedges(tel)).won ?? 0;
    const out = await timedRead(gw, sql);
    t.is(out.error, undefined);
    if (((await hedges(tel)).won ?? 0) > before) hedged = out;
  }
  if (hedged === undefined) return t.fail('no read was routed to the slow server in 30 tries');
  t.not(hedged.serverId, SLOW_SERVER_ID, 'the answer came from the other replica');
  t.true(
    hedged.endedAt - hedged.startedAt < MAX_DELAY_MS + MARGIN_MS,
    'and long before the 20 s sleep ended',
  );
  // MariaDB would also end it once it noticed the closed socket (it checks every 5 s): the
  // KILL QUERY counter tells the two apart.
  await waitFor(async () => (await killsOn(replicaPort(1))) > killsBefore, {
    timeoutMs: 10_000,
    message: 'a KILL QUERY ran on the slow server',
  });
  await waitFor(async () => (await runningOn(replicaPort(1), marker)) === 0, {
    timeoutMs: 10_000,
    message: 'the losing statement is gone from the slow server',
  });
  // The call's span says a hedge was sent and won; the loser's statement span failed HEDGE_LOST.
  const call = await waitForSpan(
    tel.spans,
    (s) => s.name.endsWith('/Query') && s.attributes['mysqlgateway.hedge.winner'] === 'hedge',
    'the span of the hedged Query',
  );
  t.is(call.attributes['mysqlgateway.hedge.sent'], true);
  t.is(call.attributes['mysqlgateway.backend'], defaultCluster(gw).cluster.replicas[1]?.name);
  const statements = tel.spans
    .getFinishedSpans()
    .filter((s) => s.spanContext().traceId === call.spanContext().traceId && s.name !== call.name);
  t.deepEqual(
    statements.map((s) => s.attributes['error.type'] ?? 'ok').sort(),
    ['HEDGE_LOST', 'ok'],
    'two statements: the loser cancelled, the winner ok',
  );
  await gw.assertNoLeaks();
});

test.serial('budget 0: a read caught by a frozen replica is not hedged and waits as before', async (t) => {
  const { gw, tel } = await hedgingGateway(0);
  t.teardown(() => gw.stop());
  // Default detection here would be ~10 s; keep reads short of their deadline by reading once.
  const thaw = freezeNode(1);
  t.teardown(thaw);
  let caught: ReadOutcome | undefined;
  for (let i = 0; i < 30 && caught === undefined; i++) {
    // Each read started alone: one routed to the frozen replica waits there (no hedge).
    const out = await timedRead(gw, 'SELECT @@server_id');
    if (out.endedAt - out.startedAt > MAX_DELAY_MS + MARGIN_MS) caught = out;
  }
  const counts = await hedges(tel);
  t.log(
    `hedges: ${JSON.stringify(counts)}; the caught read took ${caught ? caught.endedAt - caught.startedAt : '-'} ms`,
  );
  t.truthy(caught, 'a read was routed to the frozen replica and waited');
  t.is(counts.sent ?? 0, 0, 'no hedge sent');
  t.true((counts.skipped_budget ?? 0) >= 1, 'the slow read was skipped for want of budget');
  thaw();
  await gw.assertNoLeaks();
});

test.serial('a small budget bounds the hedges', async (t) => {
  const BUDGET_PERCENT = 10;
  // The delay is pinned at the cap (floor = cap): every read on node 1 outlasts it.
  const { gw, tel } = await hedgingGateway(BUDGET_PERCENT, MAX_DELAY_MS);
  t.teardown(() => gw.stop());
  // 0.6 s on node 1 (twice the delay), at once elsewhere: every read on node 1 wants a hedge.
  const sql = `SELECT SLEEP(IF(@@server_id = ${SLOW_SERVER_ID}, 0.6, 0)) AS s, @@server_id AS id`;
  const before = await hedges(tel);
  let reads = 0;
  // One at a time: with nothing in flight, routing picks either replica at random (reads in
  // parallel would mostly go to the fast one, least outstanding requests first).
  for (let i = 0; i < 40; i++) {
    const out = await timedRead(gw, sql);
    t.is(out.error, undefined);
    reads++;
  }
  const after = await hedges(tel);
  const sent = (after.sent ?? 0) - (before.sent ?? 0);
  const skipped = (after.skipped_budget ?? 0) - (before.skipped_budget ?? 0);
  t.log(`${reads} reads: ${sent} hedges sent, ${skipped} skipped for budget`);
  // The bucket starts empty and earns 10% of a token per read.
  t.true(sent <= Math.floor((reads * BUDGET_PERCENT) / 100), `${sent} hedges for ${reads} reads`);
  t.true(sent >= 1, 'the budget allowed some');
  t.true(skipped >= 1, 'and refused the rest');
  await gw.assertNoLeaks();
});

test.serial('a read that already streamed a row, and writes, are never hedged', async (t) => {
  const { gw, tel } = await hedgingGateway(100);
  t.teardown(() => gw.stop());
  // Node 1 sends its first row (100 kB, past the server's network buffer) at once, then sleeps
  // 2 s before the second; elsewhere both rows come at once.
  const sql =
    "SELECT REPEAT('x', 100000) AS pad, SLEEP(IF(n = 2 AND @@server_id = " +
    `${SLOW_SERVER_ID}, 2, 0)) AS s, @@server_id AS id FROM (SELECT 1 AS n UNION ALL SELECT 2) AS t`;
  const before = await hedges(tel);
  let slow: ReadOutcome | undefined;
  for (let i = 0; i < 30 && slow === undefined; i++) {
    const out = await timedRead(gw, sql);
    t.is(out.error, undefined);
    if (out.serverId === SLOW_SERVER_ID) slow = out;
  }
  if (slow === undefined) return t.fail('no read was routed to the slow server in 30 tries');
  t.true(slow.endedAt - slow.startedAt >= 2000, 'the read waited for its second row on the slow server');
  // Writes (and anything not proven read-only) go to the primary, never hedged.
  await execute(gw.client, { sql: 'DO SLEEP(0.5)' }, { deadlineMs: DEADLINE_MS });
  await query(gw.client, { sql: 'SELECT SLEEP(0.5) FOR UPDATE' }, { deadlineMs: DEADLINE_MS });
  const after = await hedges(tel);
  t.deepEqual(after, before, 'no hedge sent or considered');
  await gw.assertNoLeaks();
});
