/** A call's deadline or cancellation stops its statement on the server, not only in the gateway. */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { runningStatements, waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, errorDetails, execute, query } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
});

test.after.always(async () => {
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

test.serial(
  'a deadline turns into DEADLINE_EXCEEDED and the query is gone from the processlist',
  async (t) => {
    const marker = 'deadline_marker_1';
    const err = await t.throwsAsync(
      query(gw.client, { sql: `SELECT SLEEP(30) AS ${marker}` }, { deadlineMs: 700 }),
    );
    t.is(errorDetails(err).code, Code.DEADLINE_EXCEEDED);
    await waitFor(async () => (await runningStatements(marker)) === 0, {
      timeoutMs: 5000,
      message: 'query killed on the server',
    });
    t.is(await runningStatements(marker), 0);
  },
);

test.serial('Execute past its deadline is killed on the server too', async (t) => {
  const marker = 'deadline_marker_2';
  const err = await t.throwsAsync(
    execute(gw.client, { sql: `DO SLEEP(30) + 0 * LENGTH('${marker}')` }, { deadlineMs: 700 }),
  );
  t.is(errorDetails(err).code, Code.DEADLINE_EXCEEDED);
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'statement killed on the server',
  });
  t.is(await runningStatements(marker), 0);
});

test.serial('cancelling a Query kills it on the server', async (t) => {
  const marker = 'cancel_marker_1';
  const call = gw.client.Query({ sql: `SELECT SLEEP(30) AS ${marker}` });
  const ended = new Promise<unknown>((resolve) => {
    call.on('error', resolve);
    call.on('end', () => resolve(null));
  });
  await waitFor(async () => (await runningStatements(marker)) === 1, {
    timeoutMs: 5000,
    message: 'query started',
  });
  call.cancel();
  const err = await ended;
  t.is(errorDetails(err).code, Code.CANCELLED);
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'query killed on the server',
  });
  t.is(await runningStatements(marker), 0);
});

test.serial('the gateway keeps serving after kills', async (t) => {
  const out = await query(gw.client, { sql: 'SELECT 42 AS answer' });
  const cell = (out.rows[0] ?? [])[0] as AnyMessage;
  t.is(cell.int64_value, '42');
});
