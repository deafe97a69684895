/**
 * limits.maxRowsPerQuery: a result that passes it fails RESOURCE_EXHAUSTED (ROW_LIMIT) at once,
 * its statement is killed on the server, and its connection is not handed to anyone else; inside
 * a Transaction the transaction ends (its connection is gone, so MySQL rolled it back).
 */
import test from 'ava';
import { Code } from '../../src/errors.js';
import { runningStatements, waitFor } from '../helpers/sandbox.js';
import { errorDetails, query, TxStream } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const LIMIT = 1000;
let gw: TestGateway;

test.before(async () => {
  gw = await startGateway({ limits: { maxRowsPerQuery: LIMIT } });
});

test.after.always(async () => {
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

/** Rows are slow to produce (SLEEP per row past the limit), so only a kill ends it soon. */
const slowResult = (marker: string) =>
  `SELECT seq, IF(seq > ${LIMIT}, SLEEP(0.01), 0) AS s, REPEAT('x', 2000) AS pad FROM seq_1_to_100000 /* ${marker} */`;

test.serial('a Query past the row limit fails ROW_LIMIT and its statement is killed', async (t) => {
  const marker = 'row_limit_query';
  const started = Date.now();
  const err = await t.throwsAsync(query(gw.client, { sql: slowResult(marker), max_rows_per_batch: 100 }));
  const details = errorDetails(err);
  t.is(details.code, Code.RESOURCE_EXHAUSTED, details.details);
  t.is(details.reason, 'ROW_LIMIT');
  t.true(
    Date.now() - started < 5000,
    'failed at once, not after the whole result (100,000 rows take 1000 s)',
  );
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'the statement is gone from the processlist',
  });
  // The gateway keeps serving, on a healthy connection.
  const ok = await query(gw.client, { sql: 'SELECT 1 AS one' });
  t.deepEqual(ok.rows, [[{ int64_value: '1', kind: 'int64_value' }]]);
});

test.serial('inside a Transaction the row limit ends the transaction', async (t) => {
  const marker = 'row_limit_tx';
  const tx = new TxStream(gw.client);
  await tx.begin({ read_only: true });
  const id = tx.send({ query: { sql: slowResult(marker), max_rows_per_batch: 100 } });
  const { last } = await tx.until(id, ['done']);
  t.is(last.error?.code, Code.RESOURCE_EXHAUSTED);
  t.is(last.error?.reason, 'ROW_LIMIT');
  t.true(last.error?.transaction_rolled_back);
  // The statement was killed with its connection, so the stream ends as on a lost connection.
  const status = errorDetails(await tx.status);
  t.is(status.code, Code.UNAVAILABLE, status.details);
  t.is(status.reason, 'TRANSACTION_ROLLED_BACK');
  await waitFor(async () => (await runningStatements(marker)) === 0, {
    timeoutMs: 5000,
    message: 'the statement is gone from the processlist',
  });
});
