/** A keyed Batch's recorded outcome survives the round trip through its key row's text. */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import type { BatchOutcome } from '../../../src/session/commands.js';
import { parseBatchOutcome, serializeBatchOutcome } from '../../../src/session/idempotency-outcome.js';

test('rows with every value kind, totals, errors and skipped steps round-trip', (t) => {
  const rows = [
    [
      {
        values: [
          { null_value: 'NULL_VALUE' },
          { int64_value: '-9223372036854775808' },
          { uint64_value: '18446744073709551615' },
          { double_value: -0 },
          { double_value: Number.NaN },
          { double_value: Number.POSITIVE_INFINITY },
          { double_value: 1.5 },
          { string_value: 'é{"$b":"x"}' },
          { bytes_value: Buffer.from([0, 1, 255]) },
        ],
      },
    ],
  ];
  const outcome: BatchOutcome = {
    results: [
      {
        kind: 'executed',
        totals: {
          affectedRows: 1,
          lastInsertId: '42',
          warningCount: 0,
          info: '',
          backend: 'p:1',
          consistencyToken: '0-1-5',
        },
        elapsedUs: 12n,
      },
      {
        kind: 'rows',
        columns: [{ name: 'a' } as never],
        rows,
        totals: { rowCount: 1, warningCount: 0, backend: 'p:1', backendRole: 'primary', bytes: 40 },
        elapsedUs: 9007199254740993n,
      },
      {
        kind: 'error',
        error: new GatewayError(Code.ALREADY_EXISTS, 'DUPLICATE_KEY', 'Duplicate entry', {
          mysqlErrno: 1062,
          sqlState: '23000',
        }),
      },
      { kind: 'skipped' },
    ],
    committed: true,
    consistencyToken: 'ignored',
    backend: 'p:1',
  };
  const back = parseBatchOutcome(serializeBatchOutcome(outcome), '0-1-6');
  t.is(back.consistencyToken, '0-1-6');
  t.true(back.committed);
  t.is(back.backend, 'p:1');
  t.deepEqual(back.results[0], outcome.results[0]);
  t.deepEqual(back.results[1], outcome.results[1]);
  t.true(
    Object.is(
      (back.results[1] as unknown as { rows: typeof rows }).rows[0]?.[0]?.values[3]?.double_value,
      -0,
    ),
  );
  const err = back.results[2] as { kind: 'error'; error: GatewayError };
  t.true(err.error instanceof GatewayError);
  t.like(err.error, {
    code: Code.ALREADY_EXISTS,
    reason: 'DUPLICATE_KEY',
    mysqlErrno: 1062,
    sqlState: '23000',
    message: 'Duplicate entry',
  });
  t.deepEqual(back.results[3], { kind: 'skipped' });
});
