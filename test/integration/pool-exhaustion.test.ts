/** A full pool fails callers with RESOURCE_EXHAUSTED within the acquire timeout, never hangs. */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { errorDetails, execute, query, TxStream } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const ACQUIRE_TIMEOUT_MS = 400;

test.before(async () => {
  gw = await startGateway({
    clusters: { default: { pool: { min: 1, max: 1, acquireTimeoutMs: ACQUIRE_TIMEOUT_MS, maxWaiting: 1 } } },
  });
});

test.after.always(async () => {
  await gw?.stop();
});

test.serial(
  'waiting past the acquire timeout gives RESOURCE_EXHAUSTED; a full queue fails at once',
  async (t) => {
    const holder = new TxStream(gw.client);
    await holder.begin(); // pins the only connection
    const waiter = execute(gw.client, { sql: 'DO 1' });
    // The queue holds one waiter: the next caller is refused at once.
    const refused = await t.throwsAsync(query(gw.client, { sql: 'SELECT 1' }));
    t.is(errorDetails(refused).code, Code.RESOURCE_EXHAUSTED);
    t.is(errorDetails(refused).reason, 'POOL_EXHAUSTED');
    const timedOut = await t.throwsAsync(waiter);
    t.is(errorDetails(timedOut).code, Code.RESOURCE_EXHAUSTED);
    t.is(errorDetails(timedOut).reason, 'ACQUIRE_TIMEOUT');
    t.is(gw.gateway.clusters.get('default').primary.pool.stats().acquireTimeouts, 1);
    await holder.rollback();
    await gw.assertNoLeaks();
    const ok = await query(gw.client, { sql: 'SELECT 1' });
    t.is(ok.rows.length, 1, 'serves again once the connection is back');
  },
);

test.serial('a call deadline shorter than the acquire timeout gives DEADLINE_EXCEEDED', async (t) => {
  const holder = new TxStream(gw.client);
  await holder.begin();
  const err = await t.throwsAsync(execute(gw.client, { sql: 'DO 1' }, { deadlineMs: 100 }));
  t.is(errorDetails(err).code, Code.DEADLINE_EXCEEDED);
  await holder.rollback();
  await gw.assertNoLeaks();
});
