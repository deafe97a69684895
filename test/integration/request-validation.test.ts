/**
 * Enum fields carrying numbers the contract does not define. proto3 keeps such numbers and
 * proto-loader hands them to the handler as bare numbers; the gateway must refuse them with
 * INVALID_ARGUMENT naming the field and the value (and log the failed call), not end UNKNOWN
 * (a read_preference of 15094 once ended UNKNOWN "Unknown error" with no log line). An unknown
 * isolation level in the begin that opens a Transaction ends the stream; one in a later begin is
 * answered in-band like any second begin. Requests go out as raw bytes built by hand, the way a
 * client generated from a newer .proto (or a broken one) would send them.
 */
import { status } from '@grpc/grpc-js';
import test from 'ava';
import { waitFor } from '../helpers/sandbox.js';
import { type AnyMessage, query, type RawOutcome, rawClient, rawOutcome } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { decodeRequest, decodeResponse, encodeRequest, field } from './helpers/proto-wire.js';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
});

test.after.always(async () => {
  await gw?.stop();
});

/** The gateway's log lines from index `from` on, parsed. */
function linesSince(from: number): AnyMessage[] {
  return gw.logs.slice(from).map((l) => JSON.parse(l));
}

/** Waits for the "call failed" line of `method` logged since `from`; fails after 5 s. */
async function callFailedLine(from: number, method: string): Promise<AnyMessage> {
  const find = () => linesSince(from).find((l) => l.msg === 'call failed' && l.method === method);
  await waitFor(() => find() !== undefined, {
    timeoutMs: 5000,
    message: `a "call failed" log line for ${method}`,
  });
  return find();
}

/** The `gateway-reason` trailer of an outcome. */
function reasonOf(out: RawOutcome): string {
  return String(out.metadata?.get('gateway-reason')[0] ?? '');
}

/** proto3 reads an int32 enum from the low 32 bits of its varint, as a signed number. */
function asInt32(n: number | bigint): number {
  return Number(BigInt.asIntN(32, BigInt(n)));
}

test.serial(
  'the fuzzer-found Query bytes (read_preference 15094) end INVALID_ARGUMENT BAD_READ_PREFERENCE, logged',
  async (t) => {
    const bytes = Buffer.from('296623f6750a65664a8d9ae60f04d78b', 'hex');
    // What the server's decoder makes of them (so the handler does run): an enum number outside
    // the contract, next to a garbled cluster name.
    t.is(decodeRequest('Query', bytes).message?.read_preference, 15094);
    const from = gw.logs.length;
    const raw = rawClient(gw.port);
    const out = await rawOutcome(raw.Query(bytes));
    raw.close();
    t.is(out.code, status.INVALID_ARGUMENT, `${out.code} ${out.details}`);
    t.is(reasonOf(out), 'BAD_READ_PREFERENCE');
    t.regex(out.details, /\bread_preference\b/);
    t.regex(out.details, /\b15094\b/);
    const line = await callFailedLine(from, 'Query');
    t.is(line.code, status.INVALID_ARGUMENT);
    t.is(line.reason, 'BAD_READ_PREFERENCE');
    t.false(
      linesSince(from).some((l) => l.msg === 'internal error'),
      'no "internal error" line for a bad argument',
    );
  },
);

test.serial(
  'read_preference numbers the enum lacks, negative and huge, end BAD_READ_PREFERENCE',
  async (t) => {
    // 2^32 + 7 is a 5-byte varint whose low 32 bits are 7: an int32 enum field reads 7.
    for (const n of [5, 15094, 2 ** 31 - 1, -1, -(2 ** 31), 2n ** 32n + 7n]) {
      const bytes = Buffer.concat([field.bytes(2, 'SELECT 1'), field.varint(4, n)]);
      const from = gw.logs.length;
      const raw = rawClient(gw.port);
      const out = await rawOutcome(raw.Query(bytes));
      raw.close();
      const expected = String(asInt32(n));
      t.is(out.code, status.INVALID_ARGUMENT, `read_preference ${n}: ${out.code} ${out.details}`);
      t.is(reasonOf(out), 'BAD_READ_PREFERENCE', `read_preference ${n}`);
      t.regex(out.details, /\bread_preference\b/);
      t.true(out.details.includes(expected), `"${out.details}" names ${expected}`);
      t.is((await callFailedLine(from, 'Query')).reason, 'BAD_READ_PREFERENCE');
    }
    // The contract's own numbers still work, on the same raw path.
    const raw = rawClient(gw.port);
    const ok = await rawOutcome(raw.Query(Buffer.concat([field.bytes(2, 'SELECT 1'), field.varint(4, 1)])));
    raw.close();
    t.is(ok.code, status.OK, ok.details);
  },
);

test.serial('a Transaction whose begin has an unknown isolation_level ends INVALID_ARGUMENT', async (t) => {
  for (const n of [5, 99, -3]) {
    const begin = Buffer.concat([field.bytes(1, 'b1'), field.bytes(2, field.varint(2, n))]);
    t.is(decodeRequest('Transaction', begin).message?.begin?.isolation_level, n, 'reaches the handler');
    const from = gw.logs.length;
    const raw = rawClient(gw.port);
    const call = raw.Transaction({ deadline: new Date(Date.now() + 10_000) });
    const ended = rawOutcome(call);
    call.write(begin);
    const out = await ended;
    raw.close();
    t.is(out.code, status.INVALID_ARGUMENT, `isolation_level ${n}: ${out.code} ${out.details}`);
    t.is(reasonOf(out), 'BAD_ISOLATION_LEVEL');
    t.regex(out.details, /\bisolation_level\b/);
    t.true(out.details.includes(String(n)), `"${out.details}" names ${n}`);
    const responses = out.messages.map((m) => decodeResponse('Transaction', m));
    t.deepEqual(
      responses.filter((m) => m.begun),
      [],
      'no transaction was begun',
    );
    t.is((await callFailedLine(from, 'Transaction')).reason, 'BAD_ISOLATION_LEVEL');
  }
  await gw.assertNoLeaks();
});

/** Reads a raw Transaction call's responses one by one. */
function inbox(call: AnyMessage): (requestId: string) => Promise<AnyMessage> {
  const queue: AnyMessage[] = [];
  const waiters: ((m: AnyMessage) => void)[] = [];
  call.on('data', (b: Buffer) => {
    const m = decodeResponse('Transaction', b);
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = (): Promise<AnyMessage> =>
    queue.length > 0
      ? Promise.resolve(queue.shift())
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no response within 10 s')), 10_000);
          waiters.push((m) => {
            clearTimeout(timer);
            resolve(m);
          });
        });
  // The final response for `requestId` (rows and metadata skipped).
  return async (requestId) => {
    for (;;) {
      const m = await next();
      if (m.request_id !== requestId)
        throw new Error(`a response to ${m.request_id} while awaiting ${requestId}`);
      if (m.result !== 'metadata' && m.result !== 'rows') return m;
    }
  };
}

test.serial(
  'an unknown isolation_level after a successful begin is answered in-band, like any second begin',
  async (t) => {
    const tx = (message: AnyMessage) => encodeRequest('Transaction', message);
    const raw = rawClient(gw.port);
    const call = raw.Transaction({ deadline: new Date(Date.now() + 10_000) });
    const ended = rawOutcome(call);
    const answer = inbox(call);
    call.write(
      tx({ request_id: 'b', begin: { isolation_level: 'ISOLATION_LEVEL_READ_COMMITTED', read_only: true } }),
    );
    t.is((await answer('b')).result, 'begun');
    // A second begin whose isolation level is a number the enum lacks ...
    call.write(Buffer.concat([field.bytes(1, 'x'), field.bytes(2, field.varint(2, 77))]));
    const unknown = await answer('x');
    // ... is answered like a well-formed second begin, and the transaction goes on.
    call.write(tx({ request_id: 'v', begin: { isolation_level: 'ISOLATION_LEVEL_SERIALIZABLE' } }));
    const valid = await answer('v');
    t.is(unknown.result, 'error');
    t.is(valid.result, 'error');
    t.not(unknown.error.code, status.UNKNOWN);
    t.not(unknown.error.code, status.INTERNAL);
    t.is(unknown.error.code, valid.error.code);
    t.is(unknown.error.reason, valid.error.reason);
    t.false(unknown.error.transaction_rolled_back === true, 'the transaction is still open');
    call.write(tx({ request_id: 'q', query: { sql: 'SELECT 41 + 1' } }));
    t.is((await answer('q')).result, 'done');
    call.write(tx({ request_id: 'c', commit: {} }));
    t.is((await answer('c')).result, 'committed');
    call.end();
    const out = await ended;
    raw.close();
    t.is(out.code, status.OK, out.details);
  },
);

test.serial(
  'the gateway keeps serving afterwards, logged no internal error and leaked nothing',
  async (t) => {
    const out = await query(gw.client, { sql: 'SELECT 7 AS n', read_preference: 'READ_PREFERENCE_PRIMARY' });
    t.is(out.rows.length, 1);
    t.is((out.rows[0]?.[0] as AnyMessage)?.int64_value, '7');
    const lines = linesSince(0);
    t.deepEqual(
      lines.filter((l) => l.msg === 'internal error'),
      [],
    );
    t.deepEqual(
      lines.filter(
        (l) => l.msg === 'call failed' && (l.code === status.UNKNOWN || l.code === status.INTERNAL),
      ),
      [],
    );
    await gw.assertNoLeaks();
  },
);
