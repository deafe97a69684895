/** BeginRequest.idempotency_key: decoded into the begin, validated as Execute's, refused with read_only and inside a Batch. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { batchCommandOf, beginCommandOf, transactionCommandOf } from '../../../src/server/request-decode.js';

test('a valid key is decoded; no key or an empty one means none', (t) => {
  t.is(beginCommandOf({ idempotency_key: '6f1c-2a' }).idempotencyKey, '6f1c-2a');
  t.is(beginCommandOf({}).idempotencyKey, undefined);
  t.is(beginCommandOf({ idempotency_key: '' }).idempotencyKey, undefined);
});

const BAD: [string, string, string][] = [
  // what, key, reason
  ['too long', 'k'.repeat(129), 'BAD_IDEMPOTENCY_KEY'],
  ['a space', 'has space', 'BAD_IDEMPOTENCY_KEY'],
  ['non-ASCII', 'clé', 'BAD_IDEMPOTENCY_KEY'],
  ['a control character', 'a\u0000b', 'BAD_IDEMPOTENCY_KEY'],
];

for (const [what, key, reason] of BAD) {
  test(`a key with ${what} is INVALID_ARGUMENT ${reason}, the key not echoed`, (t) => {
    const err = t.throws(() => beginCommandOf({ idempotency_key: key }), { instanceOf: GatewayError });
    t.is(err?.code, Code.INVALID_ARGUMENT);
    t.is(err?.reason, reason);
    t.false(err?.message.includes(key));
  });
}

test('a key with read_only is INVALID_ARGUMENT naming both fields', (t) => {
  const err = t.throws(() => beginCommandOf({ idempotency_key: 'k-1', read_only: true }), {
    instanceOf: GatewayError,
  });
  t.is(err?.code, Code.INVALID_ARGUMENT);
  t.is(err?.reason, 'IDEMPOTENCY_KEY_READ_ONLY');
  t.regex(err?.message ?? '', /idempotency_key.*read_only/);
  t.is(beginCommandOf({ read_only: true }).readOnly, true, 'read_only alone is fine');
});

test('a bad key on the first request of a stream is an invalid begin (it ends the stream)', (t) => {
  const cmd = transactionCommandOf({ request_id: 'r1', action: 'begin', begin: { idempotency_key: 'a b' } });
  t.is(cmd.kind, 'invalid');
  if (cmd.kind !== 'invalid') return;
  t.true(cmd.wasBegin);
  t.is(cmd.error.reason, 'BAD_IDEMPOTENCY_KEY');
});

test("a Batch's transaction.idempotency_key is refused: the batch has its own", (t) => {
  const err = t.throws(
    () => batchCommandOf({ steps: [], transaction: { idempotency_key: 'k-1' }, idempotency_key: 'k-1' }),
    { instanceOf: GatewayError },
  );
  t.is(err?.code, Code.INVALID_ARGUMENT);
  t.is(err?.reason, 'BAD_IDEMPOTENCY_KEY');
  t.regex(err?.message ?? '', /transaction\.idempotency_key/);
});

test('several bad fields: the refusal names the first in field-number order (isolation_level before the key)', (t) => {
  // Found by the wire fuzzer (seed 21735): an unknown isolation level and a bad key in one begin.
  const both = t.throws(() => beginCommandOf({ isolation_level: 7, idempotency_key: 'has space' }), {
    instanceOf: GatewayError,
  });
  t.is(both?.reason, 'BAD_ISOLATION_LEVEL');
  const keyAndTag = t.throws(
    () => beginCommandOf({ idempotency_key: 'has space', request_tag: 'bad\ntag' }),
    {
      instanceOf: GatewayError,
    },
  );
  t.is(keyAndTag?.reason, 'BAD_IDEMPOTENCY_KEY');
});
