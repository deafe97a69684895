/** toStatus: a GatewayError's structured details become trailers, the consistency token only when it has one. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import { toStatus } from '../../../src/server/status.js';

test('an error carrying a consistency token sends it as x-consistency-token', (t) => {
  const status = toStatus(
    new GatewayError(Code.ALREADY_EXISTS, 'TRANSACTION_ALREADY_COMMITTED', 'done', {
      consistencyToken: '0-1-42',
    }),
  );
  t.is(status.code, Code.ALREADY_EXISTS);
  t.deepEqual(status.metadata.get('x-consistency-token'), ['0-1-42']);
  t.deepEqual(status.metadata.get('gateway-reason'), ['TRANSACTION_ALREADY_COMMITTED']);
});

test('an error without one sends no x-consistency-token trailer', (t) => {
  const status = toStatus(new GatewayError(Code.UNAVAILABLE, 'COMMIT_OUTCOME_UNKNOWN', 'lost'));
  t.deepEqual(status.metadata.get('x-consistency-token'), []);
});
