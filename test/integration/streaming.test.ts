/**
 * A 1,000,000-row result streamed to a deliberately slow reader: the gateway stops reading
 * from MySQL while the client is behind (the server ends up blocked writing to the gateway),
 * and the gateway's memory stays bounded for the whole result.
 */
import test from 'ava';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import type { AnyMessage } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const ROWS = 1_000_000;
const MARKER = 'stream_marker_1m';

test.before(async () => {
  gw = await startGateway();
});

test.after.always(async () => {
  if (!gw) return;
  await gw.assertNoLeaks();
  await gw.stop();
});

/** State of the streaming statement on the server, '' when it is not running. */
async function serverState(): Promise<string> {
  const rows = (await rootQuery(
    sandbox.primaryPort,
    `SELECT STATE FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${MARKER}%' AND USER = ?`,
    [sandbox.gatewayUser],
  )) as { STATE: string }[];
  return rows[0]?.STATE ?? '';
}

/**
 * True once the statement has been seen blocked writing to the gateway on several polls in a
 * row: a gateway that kept reading would drain the socket and the state would not hold.
 */
function blockedOnWrite(): () => Promise<boolean> {
  let streak = 0;
  return async () => {
    streak = (await serverState()) === 'Writing to net' ? streak + 1 : 0;
    return streak >= 5;
  };
}

test.serial(`streams ${ROWS} rows to a slow reader with bounded memory`, async (t) => {
  const call = gw.client.Query({
    sql: `SELECT seq, REPEAT('x', 100) AS pad, ? AS tag FROM seq_1_to_${ROWS} /* ${MARKER} */`,
    params: [{ string_value: 'slow-reader' }],
  });
  let received = 0;
  let last = 0;
  let stats: AnyMessage;
  let peakHeap = 0;
  const baseline = process.memoryUsage().heapUsed;
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (m: AnyMessage) => {
      if (m.rows) {
        for (const r of m.rows.rows) {
          last = Number(r.values[0].int64_value ?? r.values[0].uint64_value);
          received++;
        }
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      } else if (m.stats) stats = m.stats;
    });
    call.on('error', reject);
    call.on('end', resolve);
  });

  // Phase 1: the reader stops right away. The server must end up blocked writing to us.
  call.pause();
  await waitFor(blockedOnWrite(), { timeoutMs: 20_000, message: 'the server blocked on the paused stream' });
  const heapWhilePaused = (process.memoryUsage().heapUsed - baseline) / 1e6;
  t.true(heapWhilePaused < 100, `heap grew ${heapWhilePaused.toFixed(0)} MB while the client was paused`);
  const stalledAt = received;
  t.true(stalledAt < ROWS / 2, `only part of the result was delivered while paused (${stalledAt})`);
  t.not(await serverState(), '', 'the statement is still running on the server while the client is behind');

  // Phase 2: read slowly in bursts, pausing again midway.
  call.resume();
  await waitFor(() => received > ROWS / 3, { timeoutMs: 60_000, message: 'a third of the rows' });
  call.pause();
  await waitFor(blockedOnWrite(), { timeoutMs: 20_000, message: 'the server blocked again mid-stream' });
  t.true(received < ROWS);
  call.resume();
  await done;

  t.is(received, ROWS);
  t.is(last, ROWS, 'rows arrive in order');
  t.is(stats.row_count, String(ROWS));
  const growthMb = (peakHeap - baseline) / 1e6;
  t.log(
    `heap growth while streaming ~${Math.round(growthMb)} MB for ~${Math.round((ROWS * 110) / 1e6)} MB of rows`,
  );
  t.true(growthMb < 150, `heap grew ${growthMb.toFixed(0)} MB`);
});
