/**
 * Lazy iteration: the client pulls rows only as the loop asks for them, so a consumer that
 * stops pulling stops the gateway and, through it, MySQL (the server ends up blocked writing),
 * with client memory flat; leaving the loop cancels the call and the gateway frees the
 * connection; a full 400 MB read retains a few MB.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { GatewayClient } from '../../src/client/index.js';
import { rootQuery, sandbox, waitFor } from '../helpers/sandbox.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

// A real gc() (the process does not run with --expose-gc), so heap samples measure what is
// retained, not garbage waiting to be collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection, MB. */
function retainedMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

let gw: TestGateway;
let client: GatewayClient;
/** Far more than could be streamed within the leak check's 10 s: only a cancel ends it in time. */
const ROWS = 100_000_000;

test.before(async () => {
  gw = await startGateway();
  client = await GatewayClient.connect(`127.0.0.1:${gw.port}`, { defaultDeadlineMs: 120_000 });
});

test.after.always(async () => {
  await client?.close();
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** State of the statement carrying `marker` on the primary, '' when it is not running. */
async function serverState(marker: string): Promise<string> {
  const rows = (await rootQuery(
    sandbox.primaryPort,
    `SELECT STATE FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('%', ?, '%') AND USER = ?`,
    [marker, sandbox.gatewayUser],
  )) as { STATE: string }[];
  return rows[0]?.STATE ?? '';
}

/** COMMAND of the statement carrying `marker` on the primary, '' when it is not there. */
async function serverCommand(marker: string): Promise<string> {
  const rows = (await rootQuery(
    sandbox.primaryPort,
    `SELECT COMMAND FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('%', ?, '%') AND USER = ?`,
    [marker, sandbox.gatewayUser],
  )) as { COMMAND: string }[];
  return rows[0]?.COMMAND ?? '';
}

/** True once the statement has been seen blocked writing to the gateway on several polls in a row. */
function blockedOnWrite(marker: string): () => Promise<boolean> {
  let streak = 0;
  return async () => {
    streak = (await serverState(marker)) === 'Writing to net' ? streak + 1 : 0;
    return streak >= 5;
  };
}

test.serial(
  'a consumer that stops pulling stops the server; breaking out frees the connection',
  async (t) => {
    const marker = 'client_lazy_1m';
    const result = client.query(`SELECT seq, REPEAT('x', 100) AS pad FROM seq_1_to_${ROWS} /* ${marker} */`);
    const baseline = retainedMb();
    let read = 0;
    for await (const [seq] of result) {
      read++;
      t.is(seq, read);
      if (read === 1000) {
        // The loop body is where the consumer "is busy": nothing is pulled while we wait here.
        await waitFor(blockedOnWrite(marker), {
          timeoutMs: 30_000,
          message: 'the server blocked on the idle consumer',
        });
        const growthMb = retainedMb() - baseline;
        t.true(growthMb < 20, `client heap grew ${growthMb.toFixed(1)} MB while not pulling`);
        t.not(await serverState(marker), '', 'the statement is still running, held back');
        break;
      }
    }
    t.is(read, 1000);
    t.is(result.state, 'cancelled');
    t.is(result.stats, undefined);
    await gw.assertNoLeaks();
    // The gateway kills the statement on cancel. (MariaDB may keep the killed thread in the
    // processlist while it is blocked writing to the closed socket: see the report.)
    await waitFor(async () => ['', 'Killed'].includes(await serverCommand(marker)), {
      timeoutMs: 10_000,
      message: 'the statement killed on the server',
    });
  },
);

const FULL_ROWS = 200_000;
const PAD = 2000;

test.serial(`all ${FULL_ROWS} rows of ${PAD} bytes arrive in order with bounded client memory`, async (t) => {
  const result = client.query(`SELECT seq, REPEAT('x', ${PAD}) AS pad FROM seq_1_to_${FULL_ROWS}`);
  const baseline = retainedMb();
  let peak = 0;
  let read = 0;
  let inOrder = true;
  for await (const row of result) {
    read++;
    if (row[0] !== read || (row[1] as string).length !== PAD) inOrder = false;
    if (read % 20_000 === 0) peak = Math.max(peak, retainedMb());
  }
  t.is(read, FULL_ROWS);
  t.true(inOrder);
  t.is(result.stats?.rowCount, FULL_ROWS);
  const totalMb = (FULL_ROWS * PAD) / 1e6;
  const growthMb = peak - baseline;
  t.log(`client heap retained at most ${growthMb.toFixed(1)} MB more while streaming ${totalMb} MB of rows`);
  t.true(growthMb < 50, `client heap grew ${growthMb.toFixed(1)} MB for ${totalMb} MB of rows`);
});
