/**
 * Idempotency keys, the pure parts: which keys are valid, what makes two requests the same
 * (fingerprints), which statements a key cannot cover, and how a lost COMMIT is resolved from
 * what the key table says (over a fake store).
 */
import test from 'ava';
import type { Backend } from '../../../src/backend/backend.js';
import type { DbConnection } from '../../../src/backend/connection.js';
import { Code, GatewayError } from '../../../src/errors.js';
import { classifyStatement } from '../../../src/sql/classify.js';
import {
  checkIdempotencyKey,
  checkKeyable,
  MAX_IDEMPOTENCY_KEY_BYTES,
  requestFingerprint,
} from '../../../src/session/idempotency.js';
import { resolveLostCommit } from '../../../src/session/idempotency-execute.js';
import type { IdempotencyRecord } from '../../../src/session/idempotency-store.js';

const reasonOf = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    const e = err as GatewayError;
    return `${e.code}:${e.reason}`;
  }
  return 'ok';
};

const bad = `${Code.INVALID_ARGUMENT}:BAD_IDEMPOTENCY_KEY`;
for (const [key, want] of [
  ['3f1c2b9e-6c1d-4c55-a0f6-0e1f2d3c4b5a', 'ok'],
  ['order-42/attempt', 'ok'],
  ['x', 'ok'],
  ['~!@#$%^&*()_+{}|:"<>?', 'ok'],
  ['k'.repeat(MAX_IDEMPOTENCY_KEY_BYTES), 'ok'],
  ['k'.repeat(MAX_IDEMPOTENCY_KEY_BYTES + 1), bad],
  ['', bad],
  ['with space', bad],
  ['tab\tkey', bad],
  ['newline\n', bad],
  ['clé', bad],
  ['nul\u0000', bad],
  ['emoji🙂', bad],
] as const) {
  test(`key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}…(${key.length})` : key)}: ${want}`, (t) => {
    t.is(
      reasonOf(() => checkIdempotencyKey(key)),
      want,
    );
  });
}

test('a refused key is never echoed in the message', (t) => {
  const err = t.throws(() => checkIdempotencyKey('secret value'));
  t.false(err?.message.includes('secret value'));
});

const s = (v: string) => ({ string_value: v });
const i = (v: string) => ({ int64_value: v });
const stmt = (sql: string, params: object[] = []) => ({ sql, params: params as never[] });

test('fingerprints: equal for equal requests, whatever the param objects carry besides their value', (t) => {
  const a = requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [s('x')])]);
  const b = requestFingerprint('execute', [
    stmt('INSERT INTO t VALUES (?)', [{ kind: 'string_value', string_value: 'x' }]),
  ]);
  t.is(a, b);
  t.regex(a, /^[0-9a-f]{64}$/);
  const nulls = [{}, { null_value: 'NULL_VALUE' }, { kind: 'null_value', null_value: 0 }];
  const fps = nulls.map((n) => requestFingerprint('execute', [stmt('SELECT ?', [n])]));
  t.is(new Set(fps).size, 1, 'every form of NULL is the same NULL');
});

test('fingerprints: differ when the SQL, a param, its type, the kind, the options or the split differ', (t) => {
  const base = requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [s('1')])]);
  const others = [
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?) ', [s('1')])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [s('2')])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [i('1')])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [{ uint64_value: '1' }])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [{ bytes_value: Buffer.from('1') }])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [{}])]),
    requestFingerprint('batch', [stmt('INSERT INTO t VALUES (?)', [s('1')])]),
    requestFingerprint('execute', [stmt('INSERT INTO t VALUES (?)', [s('1')])], {
      isolation: 'SERIALIZABLE',
    }),
  ];
  for (const o of others) t.not(o, base);
  t.is(new Set(others).size, others.length);
  // Length prefixes: moving text between the SQL and a param, or between params, is another request.
  t.not(
    requestFingerprint('execute', [stmt('a', [s('bc')])]),
    requestFingerprint('execute', [stmt('ab', [s('c')])]),
  );
  t.not(
    requestFingerprint('execute', [stmt('?,?', [s('a,b'), s('')])]),
    requestFingerprint('execute', [stmt('?,?', [s('a'), s(',b')])]),
  );
  t.not(
    requestFingerprint('batch', [stmt('x'), stmt('y')]),
    requestFingerprint('batch', [stmt('x'), stmt(''), stmt('y')]),
  );
});

for (const [sql, ok] of [
  ['INSERT INTO t VALUES (1)', true],
  ['UPDATE t SET a = 1', true],
  ['DELETE FROM t', true],
  ['REPLACE INTO t VALUES (1)', true],
  ['CREATE TEMPORARY TABLE tmp (a INT)', true],
  ['CREATE TABLE t2 (a INT)', false],
  ['ALTER TABLE t ADD COLUMN b INT', false],
  ['DROP TABLE t', false],
  ['TRUNCATE TABLE t', false],
  ['RENAME TABLE t TO u', false],
  ['GRANT SELECT ON *.* TO x', false],
  ['LOCK TABLES t WRITE', false],
] as const) {
  test(`a key on ${sql}: ${ok ? 'allowed' : 'IDEMPOTENCY_KEY_IMPLICIT_COMMIT'}`, (t) => {
    t.is(
      reasonOf(() => checkKeyable(classifyStatement(sql))),
      ok ? 'ok' : `${Code.INVALID_ARGUMENT}:IDEMPOTENCY_KEY_IMPLICIT_COMMIT`,
    );
  });
}

/** A key table that answers `find` from `rows`, failing the first `failures` connections. */
function fakeStore(rows: Map<string, IdempotencyRecord>, failures = 0) {
  let opened = 0;
  const conn = {} as DbConnection;
  return {
    opened: () => opened,
    store: {
      async withConnection<T>(_ctx: unknown, fn: (c: DbConnection) => Promise<T>): Promise<T> {
        opened++;
        if (opened <= failures) throw new GatewayError(Code.UNAVAILABLE, 'BACKEND_UNAVAILABLE', 'down');
        return fn(conn);
      },
      async find(_c: DbConnection, principal: string, key: string) {
        return rows.get(`${principal}/${key}`);
      },
      async currentPosition() {
        return '0-1-99';
      },
    },
  };
}

const backend = { name: 'primary:3306' } as Backend;
const ctx = { signal: new AbortController().signal };
const lost = new GatewayError(Code.UNAVAILABLE, 'CONNECTION_KILLED', 'killed');
const record = (fingerprint: string, token = ''): IdempotencyRecord => ({
  fingerprint,
  affectedRows: 1,
  lastInsertId: '17',
  warningCount: 0,
  info: '',
  consistencyToken: token,
  outcome: '',
});

test('lost COMMIT, key row present with our fingerprint: committed, the recorded outcome (not a replay)', async (t) => {
  const { store } = fakeStore(new Map([['p/k', record('fp', '0-1-42')]]));
  const totals = await resolveLostCommit(store, backend, 'p', 'k', 'fp', lost, ctx);
  t.like(totals, {
    affectedRows: 1,
    lastInsertId: '17',
    consistencyToken: '0-1-42',
    replayed: false,
    backend: 'primary:3306',
  });
});

test('lost COMMIT, committed but its token not recorded: the primary position covers it', async (t) => {
  const { store } = fakeStore(new Map([['p/k', record('fp')]]));
  const totals = await resolveLostCommit(store, backend, 'p', 'k', 'fp', lost, ctx);
  t.is(totals.consistencyToken, '0-1-99');
});

test("lost COMMIT, key row absent (or another principal's): rolled back, UNAVAILABLE safe to retry", async (t) => {
  const { store } = fakeStore(new Map([['other/k', record('fp')]]));
  const err = await t.throwsAsync(resolveLostCommit(store, backend, 'p', 'k', 'fp', lost, ctx));
  t.true(err instanceof GatewayError);
  const e = err as GatewayError;
  t.is(e.code, Code.UNAVAILABLE);
  t.is(e.reason, 'IDEMPOTENT_WRITE_NOT_COMMITTED');
  t.false(e.mayHaveExecuted);
});

test('lost COMMIT, the primary answers on the second try: resolved', async (t) => {
  const fake = fakeStore(new Map([['p/k', record('fp', 't')]]), 1);
  const totals = await resolveLostCommit(fake.store, backend, 'p', 'k', 'fp', lost, ctx);
  t.is(totals.lastInsertId, '17');
  t.is(fake.opened(), 2);
});

test('lost COMMIT, the primary unreachable: COMMIT_OUTCOME_UNKNOWN, may have executed', async (t) => {
  const fake = fakeStore(new Map([['p/k', record('fp')]]), 100);
  const err = (await t.throwsAsync(
    resolveLostCommit(fake.store, backend, 'p', 'k', 'fp', lost, ctx),
  )) as GatewayError;
  t.is(err.reason, 'COMMIT_OUTCOME_UNKNOWN');
  t.true(err.mayHaveExecuted);
  t.is(fake.opened(), 3);
});

test('lost COMMIT, the caller already gone: no resolution attempt, COMMIT_OUTCOME_UNKNOWN', async (t) => {
  const fake = fakeStore(new Map([['p/k', record('fp')]]));
  const ac = new AbortController();
  ac.abort(new GatewayError(Code.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED', 'late'));
  const err = (await t.throwsAsync(
    resolveLostCommit(fake.store, backend, 'p', 'k', 'fp', lost, { signal: ac.signal }),
  )) as GatewayError;
  t.is(err.reason, 'COMMIT_OUTCOME_UNKNOWN');
  t.is(fake.opened(), 0);
});
