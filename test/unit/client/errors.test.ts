/** GatewayClientError from gRPC statuses (trailers), in-band statement errors and anything else. */
import { Metadata } from '@grpc/grpc-js';
import test from 'ava';
import { GatewayClientError, StatusCode, statusCodeName } from '../../../src/client/errors.js';

function serviceError(code: number, details: string, trailers: Record<string, string>) {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

test('a status with the gateway trailers', (t) => {
  const cause = serviceError(StatusCode.ALREADY_EXISTS, "Duplicate entry '1' for key 'PRIMARY'", {
    'gateway-reason': 'DUPLICATE_KEY',
    'mysql-errno': '1062',
    'mysql-sqlstate': '23000',
  });
  const err = GatewayClientError.from(cause);
  t.is(err.code, StatusCode.ALREADY_EXISTS);
  t.is(err.codeName, 'ALREADY_EXISTS');
  t.is(err.reason, 'DUPLICATE_KEY');
  t.is(err.mysqlErrno, 1062);
  t.is(err.sqlState, '23000');
  t.is(err.details, "Duplicate entry '1' for key 'PRIMARY'");
  t.is(err.message, "ALREADY_EXISTS: Duplicate entry '1' for key 'PRIMARY'");
  t.is(err.cause, cause);
  t.is(err.metadata, cause.metadata);
  t.false(err.commitAttempted);
  t.is(err.name, 'GatewayClientError');
  t.true(err instanceof Error);
});

test('a status without trailers (a client-side deadline): reason is the code name', (t) => {
  const err = GatewayClientError.from(serviceError(StatusCode.DEADLINE_EXCEEDED, 'Deadline exceeded', {}));
  t.is(err.codeName, 'DEADLINE_EXCEEDED');
  t.is(err.reason, 'DEADLINE_EXCEEDED');
  t.is(err.mysqlErrno, undefined);
  t.is(err.sqlState, undefined);
});

test('an in-band StatementError', (t) => {
  const err = GatewayClientError.fromStatementError({
    code: StatusCode.ABORTED,
    mysql_errno: 1213,
    sql_state: '40001',
    message: 'Deadlock found when trying to get lock',
    reason: 'DEADLOCK',
    transaction_rolled_back: true,
  });
  t.is(err.code, StatusCode.ABORTED);
  t.is(err.codeName, 'ABORTED');
  t.is(err.reason, 'DEADLOCK');
  t.is(err.mysqlErrno, 1213);
  t.is(err.sqlState, '40001');
  t.true(err.transactionRolledBack);
});

test('a gateway-side in-band error has no errno or SQLSTATE', (t) => {
  const err = GatewayClientError.fromStatementError({
    code: StatusCode.FAILED_PRECONDITION,
    mysql_errno: 0,
    sql_state: '',
    message: 'no',
    reason: 'TRANSACTION_CONTROL_SQL',
  });
  t.is(err.mysqlErrno, undefined);
  t.is(err.sqlState, undefined);
  t.false(err.transactionRolledBack);
});

test('afterCommit marks a copy and keeps the fields', (t) => {
  const err = GatewayClientError.fromStatementError({
    code: StatusCode.ABORTED,
    mysql_errno: 1213,
    reason: 'DEADLOCK',
  });
  const marked = err.afterCommit();
  t.true(marked.commitAttempted);
  t.false(err.commitAttempted);
  t.is(marked.code, StatusCode.ABORTED);
  t.is(marked.mysqlErrno, 1213);
  t.is(marked.reason, 'DEADLOCK');
  t.is(marked.afterCommit(), marked);
});

test('anything else becomes UNKNOWN, a GatewayClientError stays itself', (t) => {
  const boom = new Error('boom');
  const err = GatewayClientError.from(boom);
  t.is(err.code, StatusCode.UNKNOWN);
  t.is(err.cause, boom);
  t.is(GatewayClientError.from(err), err);
  t.is(GatewayClientError.from(undefined).code, StatusCode.UNKNOWN);
});

test('code names', (t) => {
  for (const [name, code] of Object.entries(StatusCode)) t.is(statusCodeName(code), name);
  t.is(statusCodeName(99), 'UNKNOWN');
});
