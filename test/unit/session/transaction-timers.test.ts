/**
 * The idle timer (TRANSACTION_IDLE_TIMEOUT) and the lifetime timer (TRANSACTION_LIFETIME), driven
 * by a fake clock.
 */
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { deferred } from '../pool/helpers/fake-hooks.js';
import { begin, execute, flush, harness, opened } from './helpers/setup.js';

test('an open transaction idle for idleTimeoutMs is rolled back: DEADLINE_EXCEEDED TRANSACTION_IDLE_TIMEOUT', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000 } });
  await opened(h);
  await h.clock.advance(999);
  t.is(h.events.ends.length, 0, 'not before the timeout');
  t.is(h.session.state, 'open');
  await h.clock.advance(1);
  const end = await h.events.ended();
  t.like(end.err, { code: Code.DEADLINE_EXCEEDED, reason: 'TRANSACTION_IDLE_TIMEOUT' });
  t.deepEqual(h.primary.sqls, ['START TRANSACTION', 'ROLLBACK']);
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  t.is(h.clock.pendingTimers, 0);
});

test('each request restarts the idle timer', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000 } });
  await opened(h);
  for (let i = 0; i < 3; i++) {
    await h.clock.advance(900);
    h.session.push(execute(`x${i}`, 'INSERT INTO t VALUES (1)'));
    await h.events.waitFor('executed', `x${i}`);
    await flush();
  }
  t.is(h.events.ends.length, 0, '2700 ms open, never 1000 ms idle');
  await h.clock.advance(999);
  t.is(h.events.ends.length, 0);
  await h.clock.advance(1);
  t.is((await h.events.ended()).err?.reason, 'TRANSACTION_IDLE_TIMEOUT');
});

test('a session that never begins times out idle too, without leasing', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000 } });
  await h.clock.advance(1000);
  t.is((await h.events.ended()).err?.reason, 'TRANSACTION_IDLE_TIMEOUT');
  t.is(h.primary.acquires, 0);
});

test("begin's idleTimeoutMs replaces the default", async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000, maxIdleTimeoutMs: 5000 } });
  await opened(h, begin('b', { idleTimeoutMs: 3000 }));
  await h.clock.advance(2999);
  t.is(h.events.ends.length, 0);
  await h.clock.advance(1);
  t.is((await h.events.ended()).err?.reason, 'TRANSACTION_IDLE_TIMEOUT');
});

test("begin's idleTimeoutMs is capped at maxIdleTimeoutMs", async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000, maxIdleTimeoutMs: 5000 } });
  await opened(h, begin('b', { idleTimeoutMs: 3_600_000 }));
  await h.clock.advance(4999);
  t.is(h.events.ends.length, 0);
  await h.clock.advance(1);
  const end = await h.events.ended();
  t.is(end.err?.reason, 'TRANSACTION_IDLE_TIMEOUT');
  t.regex(end.err?.message ?? '', /5000 ms/);
});

test('the idle timer does not fire while a statement runs; it counts from when the statement ends', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000 } });
  await opened(h);
  const slow = deferred<undefined>();
  h.primary.on(/^UPDATE/, () => slow.promise);
  h.session.push(execute('x', 'UPDATE t SET a = 1'));
  await h.primary.started(/^UPDATE/);
  await h.clock.advance(5000);
  t.is(h.events.ends.length, 0, 'a long statement is not an idle transaction');
  slow.resolve(undefined);
  await h.events.waitFor('executed', 'x');
  await flush();
  await h.clock.advance(999);
  t.is(h.events.ends.length, 0);
  await h.clock.advance(1);
  t.is((await h.events.ended()).err?.reason, 'TRANSACTION_IDLE_TIMEOUT');
});

test('a transaction open longer than maxLifetimeMs is rolled back however busy: TRANSACTION_LIFETIME', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 1000, maxLifetimeMs: 3000 } });
  await opened(h);
  for (let i = 0; i < 3; i++) {
    await h.clock.advance(900);
    h.session.push(execute(`x${i}`, 'INSERT INTO t VALUES (1)'));
    await h.events.waitFor('executed', `x${i}`);
    await flush();
  }
  t.is(h.events.ends.length, 0, '2700 ms: still open');
  await h.clock.advance(300);
  const end = await h.events.ended();
  t.like(end.err, { code: Code.DEADLINE_EXCEEDED, reason: 'TRANSACTION_LIFETIME' });
  t.is(h.primary.sqls.at(-1), 'ROLLBACK');
  t.deepEqual(h.primary.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('the lifetime counts from when the transaction opened, not from when the stream started', async (t) => {
  const h = harness({ settings: { idleTimeoutMs: 10_000, maxIdleTimeoutMs: 10_000, maxLifetimeMs: 3000 } });
  await h.clock.advance(2000);
  await opened(h);
  await h.clock.advance(2999);
  t.is(h.events.ends.length, 0);
  await h.clock.advance(1);
  t.is((await h.events.ended()).err?.reason, 'TRANSACTION_LIFETIME');
});
