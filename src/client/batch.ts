/**
 * `client.batch(steps)`: many statements in one call (the Batch RPC), on one connection of the
 * gateway, each step guarded by an optional condition on earlier steps (pure functions: step
 * encoding, the {@link Cond} builders, and decoding of the response into {@link BatchResult}).
 *
 * ```ts
 * const r = await client.batch(
 *   [
 *     { sql: 'INSERT INTO t (id, n) VALUES (?, 1)', params: [7] },
 *     { sql: 'UPDATE t SET n = n + 1 WHERE id = ?', params: [7], condition: Cond.error(0) },
 *     { sql: 'SELECT n FROM t WHERE id = ?', params: [7] },
 *   ],
 *   { transaction: true },
 * );
 * r.throwOnError(); // nothing to throw: step 1 handled step 0's failure, if any
 * ```
 *
 * Rules the gateway applies (see `BatchRequest` in gateway.proto): a step with a condition runs
 * when it holds; a step without one runs when every earlier failed step is *handled*, i.e. named
 * by an `error(N)` leaf in the condition of a later step that ran. With `transaction`, the batch
 * commits when every failed step is handled, else it rolls back.
 */
import { GatewayClientError, invalidArgument, StatusCode } from './errors.js';
import {
  type BatchConditionOut,
  type BatchResponseIn,
  type BatchStepOut,
  type Column,
  decodeColumn,
  decodeExecute,
  decodeStats,
  type ExecuteResult,
  type QueryStats,
  type WireBatchStepResultIn,
} from './messages.js';
import type { RowMode } from './options.js';
import { duplicateColumnName, type Row, type RowObject, toRowObject } from './query-result.js';
import { decodeValue, encodeParams, type SqlParam, type SqlValue } from './values.js';

/** A condition on the outcomes of earlier steps (0-based); build one with {@link Cond}. */
export type BatchCondition =
  | { readonly ok: number }
  | { readonly error: number }
  | { readonly not: BatchCondition }
  | { readonly and: readonly BatchCondition[] }
  | { readonly or: readonly BatchCondition[] };

/** Builders of {@link BatchCondition}s. A skipped step is neither ok nor error. */
export const Cond = {
  /** True when step `step` ran and succeeded. */
  ok: (step: number): BatchCondition => ({ ok: step }),
  /** True when step `step` ran and failed; a step that runs under it handles that failure. */
  error: (step: number): BatchCondition => ({ error: step }),
  /** True when `condition` is false. */
  not: (condition: BatchCondition): BatchCondition => ({ not: condition }),
  /** True when every condition is true (no conditions: true). */
  and: (...conditions: BatchCondition[]): BatchCondition => ({ and: conditions }),
  /** True when at least one condition is true (no conditions: false). */
  or: (...conditions: BatchCondition[]): BatchCondition => ({ or: conditions }),
} as const;

/** One step of a batch. */
export interface BatchStep {
  /** One SQL statement with positional `?` placeholders. */
  readonly sql: string;
  /** One value per `?`, in order. */
  readonly params?: readonly SqlParam[];
  /** When the step runs. @default every earlier failed step is handled */
  readonly condition?: BatchCondition;
}

/** A step that ran a statement without rows. */
export interface BatchExecuted extends ExecuteResult {
  readonly kind: 'executed';
  /** The step's number (0-based). */
  readonly step: number;
}

/** A step that ran a result-producing statement, with all its rows. */
export interface BatchRows<R = Row> {
  readonly kind: 'rows';
  /** The step's number (0-based). */
  readonly step: number;
  /** The result's columns. */
  readonly columns: readonly Column[];
  /** Every row, decoded as {@link GatewayClient.query}'s. */
  readonly rows: R[];
  /** Totals for the statement. */
  readonly stats: QueryStats;
}

/** A step that ran and failed (its error's `batchStep` is the step's number). */
export interface BatchStepFailed {
  readonly kind: 'error';
  /** The step's number (0-based). */
  readonly step: number;
  /** What went wrong: code, reason, MySQL errno and SQLSTATE, `transactionRolledBack`. */
  readonly error: GatewayClientError;
}

/** A step that did not run: its condition did not hold, or the batch ended before it. */
export interface BatchSkipped {
  readonly kind: 'skipped';
  /** The step's number (0-based). */
  readonly step: number;
}

/** The outcome of one step. */
export type BatchStepResult<R = Row> = BatchExecuted | BatchRows<R> | BatchStepFailed | BatchSkipped;

/** Most nesting the client encodes (the gateway's own bound is lower); stops cyclic objects. */
const MAX_ENCODED_DEPTH = 256;
const UINT32_MAX = 2 ** 32 - 1;

/**
 * The `steps` of a BatchRequest. Throws INVALID_ARGUMENT (`INVALID_BATCH_STEP`,
 * `INVALID_BATCH_CONDITION` or `INVALID_PARAM`) naming the step, before anything is sent; the
 * gateway checks conditions again (and bounds their size).
 */
export function encodeBatchSteps(steps: readonly BatchStep[]): BatchStepOut[] {
  if (!Array.isArray(steps)) throw invalidArgument('INVALID_BATCH_STEP', 'batch steps must be an array');
  return steps.map((s: BatchStep, index) => {
    if (typeof s !== 'object' || s === null || typeof s.sql !== 'string')
      throw invalidArgument('INVALID_BATCH_STEP', `batch step ${index}: needs { sql, params?, condition? }`);
    let params: BatchStepOut['statement']['params'];
    try {
      params = encodeParams(s.params);
    } catch (err) {
      const e = GatewayClientError.from(err);
      throw new GatewayClientError(e.code, `batch step ${index}: ${e.details}`, { reason: e.reason });
    }
    const out: BatchStepOut = { statement: { sql: s.sql, params } };
    if (s.condition !== undefined) out.condition = encodeCondition(s.condition, index, 1);
    return out;
  });
}

function encodeCondition(c: BatchCondition, step: number, depth: number): BatchConditionOut {
  const fail = (problem: string) =>
    invalidArgument('INVALID_BATCH_CONDITION', `batch step ${step}: condition ${problem}`);
  if (depth > MAX_ENCODED_DEPTH) throw fail(`nests deeper than ${MAX_ENCODED_DEPTH} levels`);
  if (typeof c !== 'object' || c === null) throw fail('is not a condition (use Cond.*)');
  const keys = Object.keys(c);
  if (keys.length !== 1) throw fail('must have exactly one of ok, error, not, and, or (use Cond.*)');
  if ('ok' in c || 'error' in c) {
    const n = 'ok' in c ? c.ok : c.error;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > UINT32_MAX)
      throw fail('must name a step by a non-negative integer');
    if (n >= step) throw fail(`names step ${n}; a condition may only name earlier steps`);
    return 'ok' in c ? { ok: n } : { error: n };
  }
  if ('not' in c) return { not: encodeCondition(c.not, step, depth + 1) };
  if ('and' in c || 'or' in c) {
    const list = 'and' in c ? c.and : c.or;
    if (!Array.isArray(list)) throw fail('and/or need a list');
    const conditions = list.map((x: BatchCondition) => encodeCondition(x, step, depth + 1));
    return 'and' in c ? { and: { conditions } } : { or: { conditions } };
  }
  throw fail('must have exactly one of ok, error, not, and, or (use Cond.*)');
}

/** The step numbers of the `error` leaves of a condition. */
function errorLeaves(c: BatchCondition | undefined, out: Set<number> = new Set()): Set<number> {
  if (c === undefined) return out;
  if ('error' in c) out.add(c.error);
  else if ('not' in c) errorLeaves(c.not, out);
  else if ('and' in c) for (const x of c.and) errorLeaves(x, out);
  else if ('or' in c) for (const x of c.or) errorLeaves(x, out);
  return out;
}

/** What {@link GatewayClient.batch} resolves to. */
export class BatchResult<R = Row> {
  /** One result per step, in step order. */
  readonly results: readonly BatchStepResult<R>[];
  /** With `transaction`: whether it committed (false: rolled back). Always false without. */
  readonly committed: boolean;
  /** Pass as `consistencyToken` to a later read to see this batch's writes; '' when unknown. */
  readonly consistencyToken: string;
  /** Backend that ran the batch, `host:port`. */
  readonly backend: string;
  /** Time at the gateway from the request's arrival to the answer, in microseconds. */
  readonly elapsedUs: number;
  /** The recorded result of an earlier call with the same `idempotencyKey`: nothing ran again. */
  readonly replayed: boolean;
  readonly #steps: readonly BatchStep[];

  /** @internal Built by {@link decodeBatchResponse}. */
  constructor(
    fields: Pick<BatchResult<R>, 'results' | 'committed' | 'consistencyToken' | 'backend' | 'elapsedUs'> & {
      replayed?: boolean;
    },
    steps: readonly BatchStep[],
  ) {
    this.results = fields.results;
    this.committed = fields.committed;
    this.consistencyToken = fields.consistencyToken;
    this.backend = fields.backend;
    this.elapsedUs = fields.elapsedUs;
    this.replayed = fields.replayed === true;
    this.#steps = steps;
  }

  /**
   * The errors of failed steps that no later step handled (named in an `error(N)` leaf of a
   * step that ran), in step order. With a transaction, the batch committed iff this is empty
   * (and MySQL did not roll it back).
   */
  unhandledErrors(): GatewayClientError[] {
    const out: GatewayClientError[] = [];
    for (const r of this.results) {
      if (r.kind !== 'error') continue;
      const handled = this.results.some(
        (later) =>
          later.step > r.step &&
          later.kind !== 'skipped' &&
          errorLeaves(this.#steps[later.step]?.condition).has(r.step),
      );
      if (!handled) out.push(r.error);
    }
    return out;
  }

  /**
   * Throws the first unhandled step error (its `batchStep` says which step); returns the result
   * otherwise, so `(await client.batch(steps)).throwOnError()` reads well. Without a
   * transaction, the steps before it stay committed.
   */
  throwOnError(): this {
    const first = this.unhandledErrors()[0];
    if (first) throw first;
    return this;
  }
}

/**
 * A received BatchResponse as a {@link BatchResult}; `steps` are the steps that were sent.
 * Fails INTERNAL / `PROTOCOL_ERROR` when the response does not have one known outcome per step,
 * and INVALID_ARGUMENT / `DUPLICATE_COLUMN_NAME` for object rows of a result with two columns of
 * one name (the batch has run by then).
 */
export function decodeBatchResponse(
  res: BatchResponseIn,
  steps: readonly BatchStep[],
  rowMode: RowMode = 'array',
): BatchResult<Row | RowObject> {
  const wire = res.results ?? [];
  if (wire.length !== steps.length)
    throw protocolError(`${wire.length} step results for ${steps.length} steps`);
  return new BatchResult(
    {
      results: wire.map((r, step) => decodeStepResult(r, step, rowMode)),
      committed: res.committed === true,
      consistencyToken: res.consistency_token ?? '',
      backend: res.backend ?? '',
      elapsedUs: Number(res.elapsed_us ?? 0),
      replayed: res.replayed === true,
    },
    steps,
  );
}

function decodeStepResult(
  r: WireBatchStepResultIn,
  step: number,
  rowMode: RowMode,
): BatchStepResult<Row | RowObject> {
  const outcome = r.outcome ?? outcomeOf(r);
  switch (outcome) {
    case 'executed':
      return { kind: 'executed', step, ...decodeExecute(r.executed ?? {}) };
    case 'result': {
      const result = r.result ?? {};
      const columns = Object.freeze((result.metadata?.columns ?? []).map(decodeColumn));
      const arrays = (result.rows ?? []).map((row) => {
        const values = row.values ?? [];
        const out: SqlValue[] = new Array(columns.length);
        for (let i = 0; i < columns.length; i++) out[i] = decodeValue(values[i]);
        return out;
      });
      let rows: (Row | RowObject)[] = arrays;
      if (rowMode === 'object') {
        const duplicate = duplicateColumnName(columns);
        if (duplicate !== undefined)
          throw invalidArgument(
            'DUPLICATE_COLUMN_NAME',
            `batch step ${step}: two columns are named '${duplicate}' (the batch has run): alias them, or use rowMode 'array'`,
          );
        const names = columns.map((c) => c.name);
        rows = arrays.map((values) => toRowObject(names, values));
      }
      return { kind: 'rows', step, columns, rows, stats: decodeStats(result.stats ?? {}) };
    }
    case 'error':
      return { kind: 'error', step, error: GatewayClientError.fromStatementError(r.error ?? {}, step) };
    case 'skipped':
      return { kind: 'skipped', step };
    default:
      throw protocolError(`step ${step} has no outcome`);
  }
}

function outcomeOf(r: WireBatchStepResultIn): string | undefined {
  if (r.executed) return 'executed';
  if (r.result) return 'result';
  if (r.error) return 'error';
  if (r.skipped) return 'skipped';
  return undefined;
}

function protocolError(message: string): GatewayClientError {
  return new GatewayClientError(
    StatusCode.INTERNAL,
    `unexpected Batch response from the gateway: ${message}`,
    {
      reason: 'PROTOCOL_ERROR',
    },
  );
}
