/**
 * A keyed Batch's outcome as text for its key row, and back: what a replay answers. Plain JSON
 * with tagged values for what JSON cannot hold (bytes, bigints, non-finite doubles, -0), and
 * step errors reduced to what the client receives (code, reason, message, errno, SQLSTATE).
 */
import { GatewayError } from '../errors.js';
import type { BatchOutcome, BatchStepOutcome } from './commands.js';

/** Tags a value JSON cannot hold as an object with one `$`-key. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(raw)) return { $b: raw.toString('base64') };
  if (typeof raw === 'bigint') return { $n: raw.toString() };
  if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0)))
    return { $d: String(raw === 0 ? '-0' : raw) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (typeof o.$b === 'string') return Buffer.from(o.$b, 'base64');
      if (typeof o.$n === 'string') return BigInt(o.$n);
      if (typeof o.$d === 'string') return o.$d === '-0' ? -0 : Number(o.$d);
    }
  }
  return value;
}

type StoredStep =
  | Exclude<BatchStepOutcome, { kind: 'error' }>
  | {
      kind: 'error';
      error: {
        code: number;
        reason: string;
        message: string;
        mysqlErrno?: number;
        sqlState?: string;
        transactionRolledBack: boolean;
      };
    };

/** The outcome as text (its consistency token is recorded on its own, after COMMIT). */
export function serializeBatchOutcome(outcome: BatchOutcome): string {
  const results: StoredStep[] = outcome.results.map((r) =>
    r.kind === 'error'
      ? {
          kind: 'error',
          error: {
            code: r.error.code,
            reason: r.error.reason,
            message: r.error.message,
            mysqlErrno: r.error.mysqlErrno,
            sqlState: r.error.sqlState,
            transactionRolledBack: r.error.transactionRolledBack,
          },
        }
      : r,
  );
  return JSON.stringify({ results, committed: outcome.committed, backend: outcome.backend }, replacer);
}

/** The outcome {@link serializeBatchOutcome} wrote, with `consistencyToken`. */
export function parseBatchOutcome(text: string, consistencyToken: string): BatchOutcome {
  const o = JSON.parse(text, reviver) as { results: StoredStep[]; committed: boolean; backend: string };
  return {
    results: o.results.map((r) =>
      r.kind === 'error'
        ? {
            kind: 'error',
            error: new GatewayError(r.error.code as GatewayError['code'], r.error.reason, r.error.message, {
              mysqlErrno: r.error.mysqlErrno,
              sqlState: r.error.sqlState,
              transactionRolledBack: r.error.transactionRolledBack,
            }),
          }
        : r,
    ),
    committed: o.committed,
    consistencyToken,
    backend: o.backend,
  };
}
