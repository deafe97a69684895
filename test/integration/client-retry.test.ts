/**
 * The TS client's `retry` for writes, against real faults: one idempotency key per logical
 * operation reused on every attempt, so a write whose answer was lost, or that met a stopped
 * primary, lands exactly once; a retried transaction that turns out to have committed answers
 * its first run; codes that are a definite answer are never retried.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { GatewayClient, type GatewayClientError } from '../../src/client/index.js';
import { rootQuery, sandbox, startNode, stopNode, waitFor } from '../helpers/sandbox.js';
import type { AnyMessage } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

const T = 'client_retry_items';

let gw: TestGateway;
/** A client connected through `proxy`, so that a test can drop the gateway's answers. */
let client: GatewayClient;
let proxy: TcpProxy;

test.before(async () => {
  gw = await startGateway();
  proxy = await TcpProxy.start(gw.port);
  client = await GatewayClient.connect(`127.0.0.1:${proxy.port}`, { defaultDeadlineMs: 20_000 });
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${T} (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL UNIQUE)`,
  );
  // The key table exists before the tests (it is created at start, in the background).
  await client.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [randomUUID()], { idempotencyKey: randomUUID() });
});

test.after.always(async () => {
  await startNode(0).catch(() => {});
  await client?.close();
  await proxy?.close();
  await gw?.stop();
});

test.afterEach.always(async () => {
  await gw.assertNoLeaks();
});

async function rowsTagged(tag: string): Promise<number> {
  const rows = await rootQuery<AnyMessage>(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM gwtest.${T} WHERE tag = ?`,
    [tag],
  );
  return Number(rows[0].n);
}

/** Once MySQL has `tag`'s row, cuts the client's held connection: the answer never arrives. */
async function cutOnceWritten(tag: string): Promise<void> {
  await waitFor(async () => (await rowsTagged(tag)) === 1, {
    timeoutMs: 15_000,
    message: 'the write whose answer is held to commit',
  });
  proxy.cutHeld();
}

test.serial(
  'execute: the answer is lost after the write committed; the retry answers it, replayed',
  async (t) => {
    const tag = randomUUID();
    const retried: GatewayClientError[] = [];
    proxy.holdAll();
    const cut = cutOnceWritten(tag);
    const res = await client.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag], {
      retry: { attempts: 5, baseDelayMs: 50, onRetry: (e) => retried.push(e) },
    });
    await cut;
    t.is(retried.length, 1);
    t.is(retried[0]?.codeName, 'UNAVAILABLE');
    t.true(res.replayed, 'the second attempt answered the first one, recorded');
    t.is(await rowsTagged(tag), 1);
  },
);

test.serial('execute: the primary is stopped during the first attempt; the write lands once', async (t) => {
  const tag = randomUUID();
  const retried: GatewayClientError[] = [];
  await stopNode(0);
  t.teardown(() => startNode(0));
  let restarting: Promise<void> | undefined;
  const res = await client.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag], {
    deadlineMs: 5000,
    retry: {
      attempts: 100,
      baseDelayMs: 100,
      maxDelayMs: 500,
      maxElapsedMs: 60_000,
      onRetry: (e) => {
        retried.push(e);
        restarting ??= startNode(0);
      },
    },
  });
  await restarting;
  t.true(retried.length >= 1);
  t.true(retried.every((e) => e.codeName === 'UNAVAILABLE' || e.codeName === 'DEADLINE_EXCEEDED'));
  t.false(res.replayed);
  t.is(res.affectedRows, 1);
  t.is(await rowsTagged(tag), 1);
});

test.serial('batch: the answer is lost after the commit; the retry answers the recorded batch', async (t) => {
  const tag = randomUUID();
  let retries = 0;
  proxy.holdAll();
  const cut = cutOnceWritten(tag);
  const res = await client.batch([{ sql: `INSERT INTO ${T} (tag) VALUES (?)`, params: [tag] }], {
    transaction: true,
    retry: { attempts: 5, baseDelayMs: 50, onRetry: () => retries++ },
  });
  await cut;
  t.is(retries, 1);
  t.true(res.replayed);
  t.true(res.committed);
  t.is(await rowsTagged(tag), 1);
});

test.serial(
  'transaction: the committed answer is lost; the retry finds the key committed and returns the first run',
  async (t) => {
    const tag = randomUUID();
    let runs = 0;
    let retries = 0;
    let cut: Promise<void> | undefined;
    const out = await client.transaction(
      async (tx) => {
        runs++;
        await tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag]);
        if (runs === 1) {
          // From here on the gateway's answers on this connection (the committed one) are dropped.
          proxy.holdAll();
          cut = cutOnceWritten(tag);
        }
        return `run ${runs}`;
      },
      { retry: { attempts: 5, baseDelayMs: 50, onRetry: () => retries++ } },
    );
    await cut;
    t.is(runs, 1, 'the callback did not run again: the begin of the retry was refused');
    t.is(retries, 1);
    t.true(out.replayed);
    t.is(out.value, 'run 1');
    t.regex(out.consistencyToken, /^\d+-\d+-\d+/);
    t.is(await rowsTagged(tag), 1);
    // The token makes a later read see the write.
    const seen = await client.queryAll(`SELECT COUNT(*) FROM ${T} WHERE tag = ?`, [tag], {
      consistencyToken: out.consistencyToken,
    });
    t.is(Number(seen.rows[0]?.[0]), 1);
  },
);

test.serial('codes that are a definite answer are not retried', async (t) => {
  const tag = randomUUID();
  await client.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag]);
  let retries = 0;
  const onRetry = () => retries++;
  const dup = await t.throwsAsync<GatewayClientError>(
    client.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag], { retry: { attempts: 5, onRetry } }),
  );
  t.is(dup?.codeName, 'ALREADY_EXISTS');
  const syntax = await t.throwsAsync<GatewayClientError>(
    client.execute('INSERT INTO nowhere VALUES (', [], { retry: { attempts: 5, onRetry } }),
  );
  t.is(syntax?.codeName, 'INVALID_ARGUMENT');
  const inTx = await t.throwsAsync<GatewayClientError>(
    client.transaction((tx) => tx.execute(`INSERT INTO ${T} (tag) VALUES (?)`, [tag]), {
      retry: { attempts: 5, onRetry },
    }),
  );
  t.is(inTx?.codeName, 'ALREADY_EXISTS');
  t.is(retries, 0);
  t.is(await rowsTagged(tag), 1);
});
