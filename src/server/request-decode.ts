/**
 * Requests as proto-loader decodes them (snake_case, enums as names, the virtual oneof field)
 * and their decoding into the session layer's typed commands. Every enum field is checked here:
 * proto3 keeps enum numbers it does not know, which proto-loader hands over as bare numbers, and
 * those are refused INVALID_ARGUMENT naming the field and the value.
 */
import { errors, GatewayError } from '../errors.js';
import type { ReadPreference } from '../routing/cluster.js';
import type { BatchCondition } from '../session/batch-conditions.js';
import { checkIdempotencyKey } from '../session/idempotency.js';
import type {
  BatchCommand,
  BeginCommand,
  ExecuteCommand,
  IsolationLevel,
  QueryCommand,
  StatementCommand,
  TransactionCommand,
} from '../session/commands.js';
import type { WireValue } from '../sql/values.js';
import type { DigestQuery, DigestSort } from '../telemetry/query-digests.js';

/** A `Statement` message (also the statement fields of Query and Execute requests). */
export interface StatementMessage {
  sql?: string;
  params?: WireValue[];
  max_rows_per_batch?: number;
  accept_single_message?: boolean;
}

/** QueryRequest as proto-loader decodes it. */
export interface QueryRequestMessage extends StatementMessage {
  cluster?: string;
  read_preference?: string | number;
  max_staleness_ms?: number;
  consistency_token?: string;
  request_tag?: string;
  accept_single_message?: boolean;
}

/** ExecuteRequest as proto-loader decodes it. */
export interface ExecuteRequestMessage {
  cluster?: string;
  sql?: string;
  params?: WireValue[];
  idempotency_key?: string;
  request_tag?: string;
}

/** BeginRequest as proto-loader decodes it. */
export interface BeginRequestMessage {
  cluster?: string;
  isolation_level?: string | number;
  read_only?: boolean;
  idle_timeout_ms?: number;
  idempotency_key?: string;
  request_tag?: string;
  replay?: boolean;
}

/** One TransactionRequest as proto-loader decodes it (`oneofs: true`). */
export interface TransactionRequestMessage {
  request_id?: string;
  action?: 'begin' | 'query' | 'execute' | 'commit' | 'rollback';
  begin?: BeginRequestMessage;
  query?: StatementMessage;
  execute?: StatementMessage;
  commit?: object;
  rollback?: object;
}

const READ_PREFERENCES: Record<string, ReadPreference | undefined> = {
  READ_PREFERENCE_UNSPECIFIED: undefined,
  READ_PREFERENCE_PRIMARY: 'PRIMARY',
  READ_PREFERENCE_PRIMARY_PREFERRED: 'PRIMARY_PREFERRED',
  READ_PREFERENCE_REPLICA: 'REPLICA',
  READ_PREFERENCE_REPLICA_PREFERRED: 'REPLICA_PREFERRED',
};

const ISOLATION_LEVELS: Record<string, IsolationLevel | undefined> = {
  ISOLATION_LEVEL_UNSPECIFIED: undefined,
  ISOLATION_LEVEL_READ_UNCOMMITTED: 'READ UNCOMMITTED',
  ISOLATION_LEVEL_READ_COMMITTED: 'READ COMMITTED',
  ISOLATION_LEVEL_REPEATABLE_READ: 'REPEATABLE READ',
  ISOLATION_LEVEL_SERIALIZABLE: 'SERIALIZABLE',
};

/**
 * Looks up an enum field's value in `table` (unset = the zero value); throws INVALID_ARGUMENT
 * naming `field` and the value when it is not one of the contract's names.
 */
function enumValue<T>(
  table: Record<string, T>,
  value: string | number | undefined,
  field: string,
  reason: string,
): T | undefined {
  if (value === undefined || value === 0) return undefined;
  if (typeof value === 'string' && Object.hasOwn(table, value)) return table[value];
  throw errors.invalidArgument(
    reason,
    `${field} ${String(value).slice(0, 40)} is not a value of the contract's enum`,
  );
}

/** Maps `read_preference` to the router's preference (unset/unspecified = the cluster default). */
export function readPreferenceOf(
  value: string | number | undefined,
  field = 'read_preference',
): ReadPreference | undefined {
  return enumValue(READ_PREFERENCES, value, field, 'BAD_READ_PREFERENCE');
}

/** Maps `isolation_level` to SQL's name (unset/unspecified = the server default). */
export function isolationLevelOf(value: string | number | undefined): IsolationLevel | undefined {
  return enumValue(ISOLATION_LEVELS, value, 'isolation_level', 'BAD_ISOLATION_LEVEL');
}

const TOKEN_PATTERN = /^[0-9A-Za-z:,-]{1,4096}$/;

/** Returns `token` ('' when unset); throws INVALID_ARGUMENT unless it has the form of a token this gateway returns. */
export function consistencyTokenOf(token: string | undefined): string {
  if (token && !TOKEN_PATTERN.test(token)) {
    throw errors.invalidArgument(
      'BAD_CONSISTENCY_TOKEN',
      'consistency_token is not a token returned by this gateway',
    );
  }
  return token ?? '';
}

/** Longest request tag, in characters. */
export const REQUEST_TAG_MAX_LENGTH = 64;

const REQUEST_TAG_PATTERN = /^[\x20-\x7e]*$/;

/**
 * Returns `tag` ('' when unset); throws INVALID_ARGUMENT BAD_REQUEST_TAG unless it is at most
 * {@link REQUEST_TAG_MAX_LENGTH} printable ASCII characters (it goes into logs, spans and digest keys).
 */
export function requestTagOf(tag: string | undefined, field = 'request_tag'): string {
  if (!tag) return '';
  if (tag.length > REQUEST_TAG_MAX_LENGTH || !REQUEST_TAG_PATTERN.test(tag)) {
    throw errors.invalidArgument(
      'BAD_REQUEST_TAG',
      `${field} must be at most ${REQUEST_TAG_MAX_LENGTH} printable ASCII characters`,
    );
  }
  return tag;
}

/** The statement fields of a request. */
export function statementOf(m: StatementMessage | undefined): StatementCommand {
  return { sql: m?.sql ?? '', params: m?.params ?? [], maxRowsPerBatch: m?.max_rows_per_batch ?? 0 };
}

/** Decodes a QueryRequest; throws INVALID_ARGUMENT on an unknown enum value. */
export function queryCommandOf(req: QueryRequestMessage): QueryCommand {
  return {
    cluster: req.cluster ?? '',
    ...statementOf(req),
    readPreference: readPreferenceOf(req.read_preference),
    maxStalenessMs: req.max_staleness_ms ?? 0,
    consistencyToken: consistencyTokenOf(req.consistency_token),
    requestTag: requestTagOf(req.request_tag),
  };
}

/** Decodes an ExecuteRequest; throws INVALID_ARGUMENT on a bad request tag. */
export function executeCommandOf(req: ExecuteRequestMessage): ExecuteCommand {
  return {
    cluster: req.cluster ?? '',
    sql: req.sql ?? '',
    params: req.params ?? [],
    maxRowsPerBatch: 0,
    idempotencyKey: req.idempotency_key ?? '',
    requestTag: requestTagOf(req.request_tag),
  };
}

/**
 * Decodes a BeginRequest; throws INVALID_ARGUMENT on an unknown isolation level, a malformed
 * idempotency key, or a key on a read-only transaction (it would have no write to record).
 */
export function beginCommandOf(m: BeginRequestMessage | undefined): BeginCommand {
  // Checked in field-number order, so a request with several bad fields is refused for the
  // first one, whatever was added to the message later.
  const isolationLevel = isolationLevelOf(m?.isolation_level);
  const readOnly = m?.read_only === true;
  const idempotencyKey = m?.idempotency_key ?? '';
  if (idempotencyKey !== '') {
    checkIdempotencyKey(idempotencyKey);
    if (readOnly) {
      throw errors.invalidArgument(
        'IDEMPOTENCY_KEY_READ_ONLY',
        'begin.idempotency_key cannot be set with begin.read_only: a key records the commit of a read-write transaction',
      );
    }
  }
  return {
    cluster: m?.cluster ?? '',
    isolationLevel,
    readOnly,
    idleTimeoutMs: m?.idle_timeout_ms ?? 0,
    requestTag: requestTagOf(m?.request_tag),
    ...(idempotencyKey === '' ? {} : { idempotencyKey }),
    replay: m?.replay === true,
  };
}

/** A BatchCondition as proto-loader decodes it (`oneofs: true` sets `kind`). */
export interface BatchConditionMessage {
  kind?: string;
  ok?: number;
  error?: number;
  not?: BatchConditionMessage;
  and?: { conditions?: BatchConditionMessage[] };
  or?: { conditions?: BatchConditionMessage[] };
}

/** BatchRequest as proto-loader decodes it. */
export interface BatchRequestMessage {
  cluster?: string;
  steps?: { statement?: StatementMessage; condition?: BatchConditionMessage }[];
  transaction?: BeginRequestMessage;
  read_preference?: string | number;
  max_staleness_ms?: number;
  consistency_token?: string;
  idempotency_key?: string;
  request_tag?: string;
}

/**
 * A BatchCondition in the session's terms. Structure only: which steps a condition may name,
 * depth and size bounds are the session's checks (batch-conditions.ts), which name what is wrong.
 * Recursion is bounded by the message's own nesting (gRPC caps the message size).
 */
export function batchConditionOf(m: BatchConditionMessage): BatchCondition {
  const list = (l: { conditions?: BatchConditionMessage[] } | undefined) =>
    (l?.conditions ?? []).map(batchConditionOf);
  switch (m.kind) {
    case 'ok':
      return { ok: m.ok ?? 0 };
    case 'error':
      return { error: m.error ?? 0 };
    case 'not':
      return { not: batchConditionOf(m.not ?? {}) };
    case 'and':
      return { and: list(m.and) };
    case 'or':
      return { or: list(m.or) };
    default:
      // No kind set: the session's validation refuses it, naming the step.
      return {} as BatchCondition;
  }
}

/** Decodes a BatchRequest; throws INVALID_ARGUMENT on an unknown enum value or a transaction for another cluster. */
export function batchCommandOf(req: BatchRequestMessage): BatchCommand {
  const cluster = req.cluster ?? '';
  let transaction: BatchCommand['transaction'];
  if (req.transaction !== undefined) {
    const begin = beginCommandOf(req.transaction);
    if (begin.idempotencyKey) {
      throw errors.invalidArgument(
        'BAD_IDEMPOTENCY_KEY',
        "transaction.idempotency_key is not used by Batch: set the batch request's own idempotency_key",
      );
    }
    if (begin.cluster !== '' && begin.cluster !== cluster) {
      throw errors.invalidArgument(
        'BATCH_CLUSTER_MISMATCH',
        "transaction.cluster must be empty or equal to the batch request's cluster",
      );
    }
    transaction = { isolationLevel: begin.isolationLevel, readOnly: begin.readOnly };
  }
  return {
    cluster,
    steps: (req.steps ?? []).map((step) => ({
      sql: step.statement?.sql ?? '',
      params: step.statement?.params ?? [],
      condition: step.condition === undefined ? undefined : batchConditionOf(step.condition),
    })),
    transaction,
    readPreference: readPreferenceOf(req.read_preference),
    maxStalenessMs: req.max_staleness_ms ?? 0,
    consistencyToken: consistencyTokenOf(req.consistency_token),
    idempotencyKey: req.idempotency_key ?? '',
    requestTag: requestTagOf(req.request_tag),
  };
}

/** Decodes one TransactionRequest; a request that cannot be decoded becomes an `invalid` command. */
export function transactionCommandOf(req: TransactionRequestMessage): TransactionCommand {
  const id = req.request_id ?? '';
  try {
    switch (req.action) {
      case 'begin':
        return { id, kind: 'begin', begin: beginCommandOf(req.begin) };
      case 'query':
      case 'execute':
        return { id, kind: req.action, statement: statementOf(req[req.action]) };
      case 'commit':
      case 'rollback':
        return { id, kind: req.action };
      default:
        return {
          id,
          kind: 'invalid',
          wasBegin: false,
          error: errors.invalidArgument(
            'EMPTY_REQUEST',
            'the request has no action (begin, query, execute, commit or rollback)',
          ),
        };
    }
  } catch (err) {
    return { id, kind: 'invalid', wasBegin: req.action === 'begin', error: GatewayError.from(err) };
  }
}

/** GetQueryStatsRequest as proto-loader decodes it. */
export interface GetQueryStatsRequestMessage {
  sort?: string | number;
  limit?: number;
  cluster?: string;
  reset?: boolean;
}

const QUERY_STATS_SORTS: Record<string, DigestSort | undefined> = {
  QUERY_STATS_SORT_UNSPECIFIED: undefined,
  QUERY_STATS_SORT_TOTAL_TIME: 'total',
  QUERY_STATS_SORT_CALLS: 'calls',
  QUERY_STATS_SORT_P99: 'p99',
  QUERY_STATS_SORT_ERRORS: 'errors',
};

/** Decodes a GetQueryStatsRequest; throws INVALID_ARGUMENT BAD_SORT on an unknown sort. */
export function queryStatsRequestOf(req: GetQueryStatsRequestMessage): {
  readonly query: DigestQuery;
  readonly reset: boolean;
} {
  return {
    query: {
      sortBy: enumValue(QUERY_STATS_SORTS, req.sort, 'sort', 'BAD_SORT') ?? 'total',
      limit: req.limit ?? 0,
      cluster: req.cluster ?? '',
    },
    reset: req.reset === true,
  };
}
