/**
 * The transaction machinery over a scripted fake Transaction call (no network): requests are
 * written before earlier ones are answered, answers are routed by request_id, and errors are
 * marked by whether the commit had been sent, which decides what withRetry may retry.
 */
import { Duplex } from 'node:stream';
import { type ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import test from 'ava';
import { Code } from '../../../src/errors.js';
import { GatewayClientError } from '../../../src/client/errors.js';
import type { TransactionRequestOut, TransactionResponseIn } from '../../../src/client/messages.js';
import { retryLoop } from '../../../src/client/retry.js';
import { runTransactionAttempt, type Transaction } from '../../../src/client/transaction.js';
import { TransactionStream } from '../../../src/client/transaction-stream.js';

type Responder = (req: TransactionRequestOut, call: FakeCall) => void;

/** A grpc-js-like duplex call: records writes, lets the script push responses and end it. */
class FakeCall extends Duplex {
  readonly writes: TransactionRequestOut[] = [];
  ended = false;

  constructor(private readonly responder: Responder) {
    super({ objectMode: true });
  }

  override _write(chunk: TransactionRequestOut, _enc: BufferEncoding, cb: () => void): void {
    this.writes.push(chunk);
    cb();
    // The server answers later, never inside write().
    setImmediate(() => this.responder(chunk, this));
  }

  override _read(): void {}

  respond(msg: TransactionResponseIn): void {
    if (!this.ended) this.push(msg);
  }

  /** Ends like grpc-js: push(null), then 'error' (non-OK) and 'status' at once. */
  finish(code: number = Code.OK, details = 'OK', trailers: Record<string, string> = {}): void {
    if (this.ended) return;
    this.ended = true;
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
    this.push(null);
    if (code !== Code.OK) this.emit('error', Object.assign(new Error(details), { code, details, metadata }));
    this.emit('status', { code, details, metadata });
  }

  cancel(): void {
    this.finish(Code.CANCELLED, 'Cancelled on client');
  }
}

/** A responder for the usual answers; `overrides` change the answer per action. */
function server(overrides: Partial<Record<'execute' | 'commit' | 'rollback', Responder>> = {}): Responder {
  return (req, call) => {
    const id = req.request_id;
    if (req.begin) return call.respond({ request_id: id, begun: { backend: 'h:1', connection_id: '7' } });
    if (req.execute) {
      if (overrides.execute) return overrides.execute(req, call);
      return call.respond({ request_id: id, executed: { affected_rows: String(req.execute.params.length) } });
    }
    if (req.commit) {
      if (overrides.commit) return overrides.commit(req, call);
      call.respond({ request_id: id, committed: { consistency_token: '0-1-9' } });
      return call.finish();
    }
    if (req.rollback) {
      if (overrides.rollback) return overrides.rollback(req, call);
      call.respond({ request_id: id, rolled_back: {} });
      return call.finish();
    }
  };
}

/** Runs one attempt over a fresh FakeCall; returns the call for inspection. */
function attempt<T>(responder: Responder, fn: (tx: Transaction) => Promise<T> | T) {
  const calls: FakeCall[] = [];
  const run = () =>
    runTransactionAttempt(
      {
        begin: { cluster: '' },
        signal: undefined,
        open: () => {
          const call = new FakeCall(responder);
          calls.push(call);
          return new TransactionStream(
            call as unknown as ClientDuplexStream<TransactionRequestOut, TransactionResponseIn>,
          );
        },
      },
      fn,
    );
  return { run, calls };
}

const noRetryDelay = { random: () => 0, sleep: async () => {} };

test('statements are written before earlier ones are answered, answers matched by request_id', async (t) => {
  let writesWhenFirstAnswered = 0;
  const { run, calls } = attempt(
    server({
      execute: (req, call) => {
        writesWhenFirstAnswered ||= call.writes.length;
        call.respond({
          request_id: req.request_id,
          executed: { affected_rows: String(req.execute?.params.length) },
        });
      },
    }),
    async (tx) => {
      const pending = [tx.execute('A', []), tx.execute('B', [1]), tx.execute('C', [1, 2])];
      return (await Promise.all(pending)).map((r) => r.affectedRows);
    },
  );
  const out = await run();
  t.deepEqual(out, { value: [0, 1, 2], consistencyToken: '0-1-9', replayed: false, replays: [] });
  t.is(writesWhenFirstAnswered, 4, 'begin and all three statements were out before the first answer');
  const ids = calls[0]?.writes.map((w) => w.request_id) ?? [];
  t.is(new Set(ids).size, ids.length, 'request ids are unique');
  t.deepEqual(
    calls[0]?.writes.map((w) => Object.keys(w).find((k) => k !== 'request_id')),
    ['begin', 'execute', 'execute', 'execute', 'commit'],
  );
});

test('a throwing callback rolls back, waits for the confirmation and rethrows', async (t) => {
  const boom = new Error('boom');
  const { run, calls } = attempt(server(), async (tx) => {
    await tx.execute('X');
    throw boom;
  });
  t.is(await t.throwsAsync(run()), boom);
  t.truthy(calls[0]?.writes.at(-1)?.rollback);
  t.true(calls[0]?.ended, 'the stream ended with the rollback');
});

test('an error once the commit was sent is marked commitAttempted and is not retried', async (t) => {
  const { run, calls } = attempt(
    server({
      commit: (req, call) => {
        call.respond({
          request_id: req.request_id,
          error: {
            code: Code.ABORTED,
            mysql_errno: 1213,
            sql_state: '40001',
            message: 'Deadlock',
            reason: 'DEADLOCK',
          },
        });
        call.finish(Code.ABORTED, 'Deadlock', { 'gateway-reason': 'DEADLOCK' });
      },
    }),
    (tx) => tx.execute('X'),
  );
  const err = await t.throwsAsync(retryLoop(run, { attempts: 5 }, noRetryDelay), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.codeName, 'ABORTED');
  t.true(err?.commitAttempted);
  t.is(calls.length, 1, 'not retried');
});

test('losing the stream during commit is not retried either (the outcome is unknown)', async (t) => {
  const { run, calls } = attempt(
    server({
      commit: (_req, call) =>
        call.finish(Code.UNAVAILABLE, 'lost', { 'gateway-reason': 'COMMIT_OUTCOME_UNKNOWN' }),
    }),
    (tx) => tx.execute('X'),
  );
  const err = await t.throwsAsync(retryLoop(run, { attempts: 5 }, noRetryDelay), {
    instanceOf: GatewayClientError,
  });
  t.is(err?.reason, 'COMMIT_OUTCOME_UNKNOWN');
  t.true(err?.commitAttempted);
  t.is(calls.length, 1);
});

test('a deadlock before commit (even one the callback swallowed) is retried with a new stream', async (t) => {
  let deadlocks = 1;
  const responder = server({
    execute: (req, call) => {
      if (deadlocks-- > 0) {
        call.respond({
          request_id: req.request_id,
          error: { code: Code.ABORTED, mysql_errno: 1213, reason: 'DEADLOCK', transaction_rolled_back: true },
        });
        return call.finish(Code.ABORTED, 'Deadlock (the transaction was rolled back)', {
          'gateway-reason': 'DEADLOCK',
        });
      }
      call.respond({ request_id: req.request_id, executed: { affected_rows: '1' } });
    },
  });
  const { run, calls } = attempt(responder, async (tx) => {
    await tx.execute('X').catch(() => undefined); // swallowed: the commit must still not happen
    return 'ok';
  });
  const out = await retryLoop(run, { attempts: 3 }, noRetryDelay);
  t.is(out.value, 'ok');
  t.is(calls.length, 2);
  t.falsy(
    calls[0]?.writes.find((w) => w.commit),
    'the first attempt never sent commit',
  );
  t.truthy(calls[1]?.writes.find((w) => w.commit));
});

test('the committed answer and the end of the stream in the same tick still commit', async (t) => {
  const { run } = attempt(
    server({
      commit: (req, call) => {
        call.respond({ request_id: req.request_id, committed: { consistency_token: 't' } });
        call.finish();
      },
    }),
    () => 1,
  );
  t.deepEqual(await run(), { value: 1, consistencyToken: 't', replayed: false, replays: [] });
});

test('statements still pending when the stream ends fail with its status', async (t) => {
  const { run } = attempt(
    server({
      execute: (_req, call) =>
        call.finish(Code.DEADLINE_EXCEEDED, 'idle', { 'gateway-reason': 'TRANSACTION_IDLE_TIMEOUT' }),
    }),
    async (tx) => {
      const results = await Promise.allSettled([tx.execute('A'), tx.execute('B')]);
      return results.map((r) => (r.status === 'rejected' ? (r.reason as GatewayClientError).reason : 'ok'));
    },
  );
  const err = await t.throwsAsync(run(), { instanceOf: GatewayClientError });
  t.is(err?.reason, 'TRANSACTION_IDLE_TIMEOUT', 'commit is refused with the status that ended the stream');
  t.false(err?.commitAttempted);
});
