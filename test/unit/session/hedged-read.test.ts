/**
 * Hedged reads over fake backends and a fake clock: a read-only Query with no answer within the
 * hedge delay is sent to another backend the router allows, the first answer wins and the other
 * statement is aborted (its connection destroyed); answers, errors the server gave, rows already
 * streamed, statements not proven read-only and a spent budget are never hedged.
 */
import test from 'ava';
import { CallAbort } from '../../../src/abort-signal.js';
import { errors } from '../../../src/errors.js';
import { FULL_ACCESS } from '../../../src/session/access.js';
import type { Caller, QueryCommand } from '../../../src/session/commands.js';
import { runQuery } from '../../../src/session/single-statement.js';
import type { ReadPreference } from '../../../src/routing/choose-backend.js';
import { type HedgeOptions, HedgePolicy } from '../../../src/routing/hedge-policy.js';
import { type HedgeOutcome, NOOP_CALL_TRACE } from '../../../src/telemetry/call-trace.js';
import { FakeClock, flush } from '../pool/helpers/fake-clock.js';
import { fakeShape, hang, type RunScript, rowsResult } from './helpers/fake-backend.js';
import { fakeCluster } from './helpers/fake-cluster.js';
import { serverError } from './helpers/fake-connection.js';
import { RecordingSink } from './helpers/fake-row-batch.js';
import { newRunner } from './helpers/setup.js';

const SELECT = 'SELECT a FROM t';
const DELAY_MS = 50;

function setup(opts: { replicas?: number; budgetPercent?: number; readPreference?: ReadPreference } = {}) {
  const clock = new FakeClock();
  const options: HedgeOptions = {
    enabled: true,
    budgetPercent: opts.budgetPercent ?? 100,
    minDelayMs: DELAY_MS,
    maxDelayMs: DELAY_MS,
  };
  const policy = new HedgePolicy(options, clock);
  const c = fakeCluster({ replicas: opts.replicas ?? 2, hedging: policy });
  const events: [HedgeOutcome, string][] = [];
  const signal = new CallAbort();
  const trace = {
    ...NOOP_CALL_TRACE,
    hedge: (o: HedgeOutcome, b: { name: string }) => events.push([o, b.name]),
  };
  const caller: Caller = { ctx: { signal, trace }, access: FULL_ACCESS };
  const sink = new RecordingSink();
  const cmd = (sql: string): QueryCommand => ({
    cluster: '',
    sql,
    params: [],
    maxRowsPerBatch: 0,
    readPreference: opts.readPreference,
    maxStalenessMs: 0,
    consistencyToken: '',
  });
  const query = (sql: string) => runQuery(c.registry, newRunner(), cmd(sql), caller, sink);
  return { ...c, clock, policy, events, signal, sink, query };
}

/** A script that answers with `rows` once `release()` is called. */
function held(rows: unknown[][]): { script: RunScript; release: () => void } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const answer = rowsResult(['a'], rows);
  const script: RunScript = async (call) => {
    await gate;
    return answer(call);
  };
  return { script, release };
}

test('a read with no answer within the delay is hedged; the hedge answers and the first is aborted', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, hang);
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1], [2]]));
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS - 1);
  t.is(s.replicas[1]?.runs.length, 0, 'nothing sent elsewhere before the delay');
  await s.clock.advance(1);
  const totals = await result;
  await flush();
  t.is(totals.backend, 'replica2:3306');
  t.is(s.sink.columnCalls.length, 1, 'the client sees one result');
  t.deepEqual(s.sink.batches.flat(), [[1], [2]]);
  t.is(
    s.replicas[0]?.aborted[0]?.reason.reason,
    'HEDGE_LOST',
    'the slow statement is aborted (KILL QUERY path)',
  );
  t.is(s.replicas[0]?.leases[0]?.ends[0]?.kind, 'destroy', "the loser's connection is not reused");
  t.deepEqual(s.replicas[1]?.leases[0]?.ends, [{ kind: 'release', reset: false }]);
  t.deepEqual(s.events, [
    ['sent', 'replica2:3306'],
    ['won', 'replica2:3306'],
  ]);
  t.is(s.clock.pendingTimers, 0, 'no timer left behind');
});

test('when the first attempt answers after the hedge was sent, the hedge is aborted', async (t) => {
  const s = setup();
  const first = held([[7]]);
  s.replicas[0]?.on(SELECT, first.script);
  s.replicas[1]?.on(SELECT, hang);
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS);
  t.is(s.replicas[1]?.runs.length, 1, 'hedge sent');
  first.release();
  const totals = await result;
  await flush();
  t.is(totals.backend, 'replica1:3306');
  t.deepEqual(s.sink.batches.flat(), [[7]]);
  t.is(s.replicas[1]?.aborted[0]?.reason.reason, 'HEDGE_LOST');
  t.is(s.replicas[1]?.leases[0]?.ends[0]?.kind, 'destroy');
  t.deepEqual(s.events, [
    ['sent', 'replica2:3306'],
    ['lost', 'replica1:3306'],
  ]);
});

test('a read that answers in time is not hedged and leaves no timer', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, rowsResult(['a'], [[1]]));
  const totals = await s.query(SELECT);
  await s.clock.advance(DELAY_MS * 10);
  t.is(totals.backend, 'replica1:3306');
  t.is(s.replicas[1]?.runs.length, 0);
  t.deepEqual(s.events, []);
  t.is(s.clock.pendingTimers, 0);
});

test('an error the server answered is the answer, not a reason to hedge', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, () => {
    throw serverError(1146, '42S02', "Table 'gwtest.t' doesn't exist");
  });
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const err = await t.throwsAsync(s.query(SELECT));
  await s.clock.advance(DELAY_MS * 10);
  t.is((err as { reason?: string }).reason, 'UNKNOWN_TABLE');
  t.is(s.replicas[1]?.runs.length, 0, 'not sent elsewhere');
  t.is(s.clock.pendingTimers, 0);
});

test('a read that already streamed a row is never hedged', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, ({ sink }) => {
    sink?.fields([], 'binary', fakeShape(['a']));
    sink?.row([1]);
    return new Promise(() => {});
  });
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const result = s.query(SELECT);
  await s.replicas[0]?.started(SELECT);
  await s.clock.advance(DELAY_MS * 10);
  t.deepEqual(s.sink.batches.flat(), [[1]], 'the row reached the client');
  t.is(s.replicas[1]?.runs.length, 0, 'no hedge after a row was sent');
  t.deepEqual(s.events, []);
  s.signal.abort(errors.cancelled('CANCELLED', 'the client cancelled the call'));
  await t.throwsAsync(result, { message: /cancelled/ });
});

test('a statement not proven read-only is never hedged, and arms no timer', async (t) => {
  const s = setup();
  const sql = 'SELECT a FROM t FOR UPDATE';
  s.primary.on(sql, hang);
  const result = s.query(sql);
  await flush();
  t.is(s.clock.pendingTimers, 0, 'no hedge timer for a locking read');
  await s.clock.advance(DELAY_MS * 10);
  t.is(s.replicas[0]?.runs.length ?? 0, 0);
  t.is(s.replicas[1]?.runs.length ?? 0, 0);
  t.deepEqual(s.events, []);
  s.signal.abort(errors.cancelled('CANCELLED', 'the client cancelled the call'));
  await t.throwsAsync(result);
});

test('with the budget spent the slow read is not hedged and waits as before', async (t) => {
  const s = setup({ budgetPercent: 0 });
  s.replicas[0]?.on(SELECT, hang);
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS * 10);
  t.is(s.replicas[1]?.runs.length, 0);
  t.deepEqual(s.events, [['skipped_budget', 'replica1:3306']]);
  s.signal.abort(errors.deadlineExceeded('DEADLINE_EXCEEDED', 'deadline exceeded'));
  await t.throwsAsync(result, { message: /deadline/ });
  await flush();
  t.is(s.replicas[0]?.leases[0]?.ends[0]?.kind, 'destroy');
});

test('with no other backend the read may go to, nothing is hedged', async (t) => {
  const s = setup({ replicas: 1, readPreference: 'REPLICA' });
  s.replicas[0]?.on(SELECT, hang);
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS * 10);
  t.deepEqual(s.events, [['skipped_no_backend', 'replica1:3306']]);
  t.is(s.primary.runs.length, 0, 'a REPLICA read is not hedged to the primary');
  t.is(s.policy.available, 1, 'the budget was not spent');
  s.signal.abort(errors.cancelled('CANCELLED', 'the client cancelled the call'));
  await t.throwsAsync(result);
});

test("a hedge's connection failure leaves the first attempt to answer", async (t) => {
  const s = setup();
  const first = held([[3]]);
  s.replicas[0]?.on(SELECT, first.script);
  s.replicas[1]?.on(SELECT, () => {
    throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', fatal: true });
  });
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS);
  t.is(s.replicas[1]?.runs.length, 1, 'hedge sent and failed');
  first.release();
  const totals = await result;
  t.is(totals.backend, 'replica1:3306');
  t.deepEqual(
    s.health.reported.map((r) => r.name),
    ['replica2:3306'],
    "the hedge's failure is reported to the health monitor",
  );
});

test('the caller leaving while both attempts run ends both, and neither is counted as winning', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, hang);
  s.replicas[1]?.on(SELECT, hang);
  const result = s.query(SELECT);
  await s.clock.advance(DELAY_MS);
  t.is(s.replicas[1]?.runs.length, 1, 'hedge sent');
  s.signal.abort(errors.cancelled('CANCELLED', 'the client cancelled the call'));
  await t.throwsAsync(result, { message: /cancelled/ });
  await flush();
  t.deepEqual(s.events, [['sent', 'replica2:3306']]);
  t.is(s.replicas[0]?.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(s.replicas[1]?.leases[0]?.ends[0]?.kind, 'destroy');
  t.is(s.clock.pendingTimers, 0);
});
