/**
 * The read-retry rule of Query: a read-only statement whose backend fails at the connection level
 * before anything reached the client is retried once, on another usable backend when there is
 * one, never after the caller left; Execute is never retried.
 */
import test from 'ava';
import { CallAbort } from '../../../src/abort-signal.js';
import { Code, errors, GatewayError } from '../../../src/errors.js';
import { FULL_ACCESS } from '../../../src/session/access.js';
import type { Caller, ExecuteCommand, QueryCommand } from '../../../src/session/commands.js';
import { runExecute, runQuery } from '../../../src/session/single-statement.js';
import type { ReadPreference } from '../../../src/routing/choose-backend.js';
import { fakeShape, hang, rowsResult } from './helpers/fake-backend.js';
import { type FakeClusterOptions, fakeCluster } from './helpers/fake-cluster.js';
import { networkError, serverError } from './helpers/fake-connection.js';
import { RecordingSink } from './helpers/fake-row-batch.js';
import { newRunner } from './helpers/setup.js';

function queryCmd(sql: string, over: Partial<QueryCommand> = {}): QueryCommand {
  return {
    cluster: '',
    sql,
    params: [],
    maxRowsPerBatch: 0,
    readPreference: undefined,
    maxStalenessMs: 0,
    consistencyToken: '',
    ...over,
  };
}

function setup(opts: FakeClusterOptions = { replicas: 2 }) {
  const c = fakeCluster(opts);
  const signal = new CallAbort();
  const caller: Caller = { ctx: { signal }, access: FULL_ACCESS };
  const sink = new RecordingSink();
  const runner = newRunner();
  const query = (sql: string, over: Partial<QueryCommand> = {}) =>
    runQuery(c.registry, runner, queryCmd(sql, over), caller, sink);
  return { ...c, signal, caller, sink, runner, query };
}

const SELECT = 'SELECT a FROM t';

test('a read-only Query whose replica drops the connection before any row is retried once on the other replica', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, () => {
    throw networkError();
  });
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1], [2]]));
  const totals = await s.query(SELECT);
  t.is(totals.backend, 'replica2:3306');
  t.is(totals.rowCount, 2);
  t.deepEqual(
    s.routeReads.map((r) => r.exclude),
    [undefined, 'replica1:3306'],
    'the retry is routed with the failed backend excluded',
  );
  t.deepEqual(
    s.health.reported.map((r) => r.name),
    ['replica1:3306'],
    'the failure is reported to the health monitor',
  );
  t.is(s.sink.columnCalls.length, 1, 'the client sees one result');
  t.deepEqual(s.sink.batches.flat(), [[1], [2]]);
  t.is(s.replicas[0]?.leases[0]?.ends[0]?.kind, 'destroy', 'the broken connection is destroyed');
  t.deepEqual(s.replicas[1]?.leases[0]?.ends, [{ kind: 'release', reset: false }]);
});

test('a connection failure while acquiring is retried the same way', async (t) => {
  const s = setup();
  s.replicas[0]!.onAcquire = () => {
    throw errors.unavailable('BACKEND_UNAVAILABLE', 'backend unavailable: ECONNREFUSED');
  };
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const totals = await s.query(SELECT);
  t.is(totals.backend, 'replica2:3306');
});

for (const reason of ['BACKEND_UNAVAILABLE', 'CONNECTION_KILLED', 'BACKEND_SHUTTING_DOWN']) {
  test(`UNAVAILABLE ${reason} is a connection failure: retried`, async (t) => {
    const s = setup();
    s.replicas[0]?.on(SELECT, () => {
      throw new GatewayError(Code.UNAVAILABLE, reason, 'gone');
    });
    s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
    t.is((await s.query(SELECT)).backend, 'replica2:3306');
  });
}

const NOT_CONNECTION_FAILURES: [string, () => Error][] = [
  ['a server error (no such table)', () => serverError(1146, '42S02', "Table 'db.t' doesn't exist")],
  [
    'UNAVAILABLE of another reason (pool timeout)',
    () => errors.unavailable('POOL_TIMEOUT', 'no connection in time'),
  ],
  ['DEADLINE_EXCEEDED', () => errors.deadlineExceeded('DEADLINE_EXCEEDED', 'too slow')],
  ['a deadlock', () => serverError(1213, '40001', 'Deadlock found')],
];

for (const [label, make] of NOT_CONNECTION_FAILURES) {
  test(`${label} is not retried and not reported to the health monitor`, async (t) => {
    const s = setup();
    const failure = make();
    s.replicas[0]?.on(SELECT, () => {
      throw failure;
    });
    s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
    const expected = GatewayError.from(failure);
    t.like(await t.throwsAsync(s.query(SELECT)), { code: expected.code, reason: expected.reason });
    t.is(s.replicas[1]?.acquires, 0);
    t.is(s.routeReads.length, 1);
    t.deepEqual(s.health.reported, []);
  });
}

test('retried only once: the second failure is thrown, though a third try would have worked', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, rowsResult(['a'], [[1]]));
  s.replicas[0]?.once(SELECT, () => {
    throw networkError();
  });
  s.replicas[1]?.on(SELECT, () => {
    throw networkError('ETIMEDOUT');
  });
  const err = await t.throwsAsync(s.query(SELECT));
  t.like(err, { code: Code.UNAVAILABLE, reason: 'BACKEND_UNAVAILABLE' });
  t.regex(err?.message ?? '', /ETIMEDOUT/, 'the second failure');
  t.deepEqual(
    s.replicas.map((r) => r.runs.length),
    [1, 1],
  );
  t.is(s.primary.acquires, 0);
});

test('not retried once the columns reached the client', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, (call) => {
    call.sink?.fields([], 'binary', fakeShape([]));
    throw networkError();
  });
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  await t.throwsAsync(s.query(SELECT), { instanceOf: GatewayError });
  t.is(s.sink.columnCalls.length, 1);
  t.is(s.replicas[1]?.acquires, 0);
  t.deepEqual(
    s.health.reported.map((r) => r.name),
    ['replica1:3306'],
    'still reported',
  );
});

test('not retried once rows reached the client', async (t) => {
  const s = setup();
  s.replicas[0]?.on(SELECT, (call) => {
    rowsResult(['a'], [[1], [2]])(call);
    return hang(call);
  });
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const running = s.query(SELECT, { maxRowsPerBatch: 1 });
  const call = await s.replicas[0]!.started(SELECT);
  t.true(s.sink.batches.length > 0, 'rows were sent before the failure');
  call.conn.lose();
  await t.throwsAsync(running, { instanceOf: GatewayError });
  t.is(s.replicas[1]?.acquires, 0);
});

test('a statement not proven read-only is never retried (it went to the primary)', async (t) => {
  const s = setup();
  const sql = 'SELECT a FROM t FOR UPDATE';
  s.primary.on(sql, () => {
    throw networkError();
  });
  await t.throwsAsync(s.query(sql), { instanceOf: GatewayError });
  t.is(s.primary.runs.length, 1);
  t.deepEqual(
    s.replicas.map((r) => r.acquires),
    [0, 0],
  );
  t.is(s.routeReads.length, 1);
});

for (const [preference, expected] of [
  ['REPLICA', undefined],
  ['REPLICA_PREFERRED', 'primary:3306'],
] as [ReadPreference, string | undefined][]) {
  test(`with one replica and ${preference}, the retry goes ${expected ? `to ${expected}` : 'nowhere: the failure is thrown'}`, async (t) => {
    const s = setup({ replicas: 1 });
    s.replicas[0]?.on(SELECT, () => {
      throw networkError();
    });
    s.primary.on(SELECT, rowsResult(['a'], [[1]]));
    const run = s.query(SELECT, { readPreference: preference });
    if (expected) {
      t.is((await run).backend, expected);
    } else {
      t.like(
        await t.throwsAsync(run),
        { reason: 'BACKEND_UNAVAILABLE' },
        'the original failure, not NO_USABLE_REPLICA',
      );
      t.is(s.primary.acquires, 0);
    }
    t.deepEqual(
      s.routeReads.map((r) => r.exclude),
      [undefined, 'replica1:3306'],
    );
  });
}

test("never retried when the caller's signal aborted", async (t) => {
  const s = setup();
  const cancelled = new GatewayError(Code.CANCELLED, 'CANCELLED', 'the client cancelled');
  s.replicas[0]!.onAcquire = () => {
    // The client cancels as the connection attempt fails.
    s.signal.abort(cancelled);
    throw errors.unavailable('BACKEND_UNAVAILABLE', 'backend unavailable: ECONNRESET');
  };
  s.replicas[1]?.on(SELECT, rowsResult(['a'], [[1]]));
  const err = await t.throwsAsync(s.query(SELECT));
  t.is(err?.message, 'backend unavailable: ECONNRESET');
  t.is(s.replicas[1]?.acquires, 0);
  t.is(s.routeReads.length, 1);
});

test('Execute is never retried, even on a connection failure; the failure is reported', async (t) => {
  const s = setup();
  const sql = 'INSERT INTO t VALUES (1)';
  s.primary.on(sql, () => {
    throw networkError();
  });
  const cmd: ExecuteCommand = { cluster: '', sql, params: [], maxRowsPerBatch: 0 };
  const err = await t.throwsAsync(runExecute(s.registry, s.runner, cmd, s.caller));
  t.like(err, { code: Code.UNAVAILABLE, reason: 'BACKEND_UNAVAILABLE' });
  t.is(s.primary.runs.length, 1);
  t.is(s.primary.acquires, 1);
  t.deepEqual(
    s.health.reported.map((r) => r.name),
    ['primary:3306'],
  );
  t.is(s.primary.leases[0]?.ends[0]?.kind, 'destroy');
});

test('Execute whose acquire fails at the connection level is not retried either', async (t) => {
  const s = setup();
  s.primary.onAcquire = () => {
    throw errors.unavailable('BACKEND_UNAVAILABLE', 'backend unavailable: ECONNREFUSED');
  };
  const cmd: ExecuteCommand = { cluster: '', sql: 'DELETE FROM t', params: [], maxRowsPerBatch: 0 };
  await t.throwsAsync(runExecute(s.registry, s.runner, cmd, s.caller), { instanceOf: GatewayError });
  t.is(s.primary.acquires, 1);
});
