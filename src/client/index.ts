/**
 * `mysql-grpc-gateway/client`: the TypeScript client of the gateway.
 *
 * ```ts
 * import { GatewayClient, withRetry } from 'mysql-grpc-gateway/client';
 * const client = await GatewayClient.connect('127.0.0.1:50051', { defaultDeadlineMs: 5000 });
 * for await (const [id, note] of client.query('SELECT id, note FROM t')) console.log(id, note);
 * const { value } = await client.transaction(async (tx) => tx.execute('UPDATE t SET n = n + 1'));
 * await client.close();
 * ```
 */
export {
  type BatchCondition,
  type BatchExecuted,
  BatchResult,
  type BatchRows,
  type BatchSkipped,
  type BatchStep,
  type BatchStepFailed,
  type BatchStepResult,
  Cond,
} from './batch.js';
export {
  GatewayClientError,
  type GatewayClientErrorInit,
  StatusCode,
  statusCodeName,
  TRAILER,
} from './errors.js';
export { GatewayClient, type GatewayClientState } from './gateway-client.js';
export type { Column, ExecuteResult, QueryStats, TransactionReplay } from './messages.js';
export type {
  BatchOptions,
  BatchTransactionOptions,
  CallOptions,
  ExecuteOptions,
  GatewayClientOptions,
  IsolationLevel,
  QueryOptions,
  ReadPreference,
  RetryOption,
  RetryOptions,
  RowMode,
  TransactionOptions,
  TransactionQueryOptions,
} from './options.js';
export type { QueryAllResult, QueryResult, ResultState, Row, RowObject } from './query-result.js';
export { isAlreadyCommitted, isRetryableWithKey } from './idempotent-retry.js';
export { backoffDelayMs, isRetryable, withRetry } from './retry.js';
export type { Transaction, TransactionResult } from './transaction.js';
export {
  decodeValue,
  encodeParam,
  formatDateUtc,
  type SqlParam,
  type SqlValue,
  TypedParam,
  Value,
  type WireValue,
} from './values.js';
