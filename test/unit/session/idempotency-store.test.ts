/**
 * The key table's SQL over a fake primary: names are quoted and schema-qualified, expired keys
 * go in batches of 500 repeated while a batch was full, and a table that cannot be created fails
 * FAILED_PRECONDITION naming the table and the grant (a usable existing table is fine).
 */
import test from 'ava';
import type { Backend, BoundStatement } from '../../../src/backend/backend.js';
import { Code, GatewayError } from '../../../src/errors.js';
import { EXPIRY_BATCH_ROWS, IdempotencyStore } from '../../../src/session/idempotency-store.js';

const settings = { schema: '', table: 'mysqlgateway_idempotency', ttlMs: 1000, sweepIntervalMs: 60_000 };
const ctx = { signal: new AbortController().signal };

/** A primary whose statements are answered by `answer`; records them and the leases. */
function fakePrimary(answer: (stmt: BoundStatement) => unknown, database = 'app') {
  const sent: BoundStatement[] = [];
  let leased = 0;
  const backend = {
    settings: { database },
    async acquire() {
      leased++;
      return {
        resource: { broken: false },
        release: () => leased--,
        destroy: () => leased--,
      };
    },
    async run(_conn: unknown, stmt: BoundStatement) {
      sent.push(stmt);
      const out = answer(stmt);
      if (out instanceof Error) throw out;
      return { rowCount: 0, header: out };
    },
  } as unknown as Backend;
  return { backend, sent, leased: () => leased };
}

const serverError = (errno: number) =>
  new GatewayError(Code.PERMISSION_DENIED, 'ACCESS_DENIED', 'denied', {
    mysqlErrno: errno,
    sqlState: '42000',
  });

test('the table is the primary database by default, or the configured schema; names are quoted', (t) => {
  const { backend } = fakePrimary(() => ({}));
  t.is(new IdempotencyStore('default', backend, settings).table, '`app`.`mysqlgateway_idempotency`');
  t.is(
    new IdempotencyStore('default', backend, { ...settings, schema: 'keys', table: 'k' }).table,
    '`keys`.`k`',
  );
  const { backend: noDb } = fakePrimary(() => ({}), '');
  t.is(new IdempotencyStore('default', noDb, settings).table, '`mysqlgateway_idempotency`');
});

test('expired keys are deleted 500 at a time, again while a batch was full, scoped to the cluster', async (t) => {
  const counts = [EXPIRY_BATCH_ROWS, EXPIRY_BATCH_ROWS, 3];
  const fake = fakePrimary(() => ({ affectedRows: counts.shift() ?? 0 }));
  const store = new IdempotencyStore('east', fake.backend, settings);
  t.is(await store.deleteExpired(ctx), 1003);
  t.is(fake.sent.length, 3);
  for (const s of fake.sent) {
    t.regex(
      s.sql,
      /^DELETE FROM `app`\.`mysqlgateway_idempotency` WHERE cluster = \? AND created_at < .* LIMIT 500$/,
    );
    t.deepEqual(s.params, ['east', '1000000']);
  }
  t.is(fake.leased(), 0, 'the connection went back');
});

test('a table that cannot be created but exists is used; one that does not exist fails naming the grant', async (t) => {
  const exists = fakePrimary((s) => (s.sql.startsWith('CREATE') ? serverError(1142) : {}));
  await new IdempotencyStore('default', exists.backend, settings).ensureTable(ctx);
  t.is(exists.sent.length, 2);

  const missing = fakePrimary(() => serverError(1142));
  const store = new IdempotencyStore('default', missing.backend, settings);
  const err = (await t.throwsAsync(store.ensureTable(ctx))) as GatewayError;
  t.is(err.code, Code.FAILED_PRECONDITION);
  t.is(err.reason, 'IDEMPOTENCY_TABLE_UNAVAILABLE');
  t.regex(err.message, /`app`\.`mysqlgateway_idempotency`/);
  t.regex(err.message, /CREATE, SELECT, INSERT, UPDATE, DELETE ON `app`\.\*/);
  // Not cached: the next call tries again.
  await t.throwsAsync(store.ensureTable(ctx));
  t.is(missing.sent.length, 4);
  t.is(missing.leased(), 0);
});

test('a primary that cannot be reached: its error, not FAILED_PRECONDITION', async (t) => {
  const down = fakePrimary(() => new GatewayError(Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE', 'down'));
  const err = (await t.throwsAsync(
    new IdempotencyStore('default', down.backend, settings).ensureTable(ctx),
  )) as GatewayError;
  t.is(err.reason, 'BACKEND_UNAVAILABLE');
});
