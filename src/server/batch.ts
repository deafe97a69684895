/** The Batch RPC: decodes the request, runs the batch through the session layer, encodes the outcome. */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { BatchOutcome, BatchStepOutcome } from '../session/commands.js';
import type { Row } from '../wire/row-encoding.js';
import { tagged } from './call-scaffold.js';
import type { HandlerDeps } from './handler-deps.js';
import { type BatchRequestMessage, batchCommandOf } from './request-decode.js';
import { encodeExecuted, encodeQueryStats, encodeStatementError } from './response-encode.js';

/** A BatchStepResult in proto-loader's object form. */
function encodeStep(step: BatchStepOutcome): object {
  switch (step.kind) {
    case 'executed':
      return { executed: encodeExecuted(step.totals, step.elapsedUs) };
    case 'rows':
      return {
        result: {
          metadata: { columns: step.columns },
          // The session collected the rows in batches (RowCollector's); the response lists them all.
          rows: (step.rows as Row[][]).flat(),
          stats: encodeQueryStats(step.totals, step.elapsedUs),
        },
      };
    case 'error':
      return { error: encodeStatementError(step.error) };
    case 'skipped':
      return { skipped: {} };
  }
}

/** A BatchResponse in proto-loader's object form. */
export function encodeBatchResponse(outcome: BatchOutcome, elapsedUs: bigint) {
  return {
    results: outcome.results.map(encodeStep),
    committed: outcome.committed,
    consistency_token: outcome.consistencyToken,
    backend: outcome.backend,
    elapsed_us: String(elapsedUs),
    replayed: outcome.replayed === true,
  };
}

/** Builds the Batch handler. */
export function batchHandler(deps: HandlerDeps) {
  return (call: ServerUnaryCall<BatchRequestMessage, unknown>, callback: sendUnaryData<unknown>): void => {
    deps.scaffold.serve(
      'Batch',
      call,
      {},
      (env) => deps.sessions.batch(tagged(env, batchCommandOf(call.request)), env),
      {
        ok: (outcome, env) =>
          callback(null, encodeBatchResponse(outcome, (process.hrtime.bigint() - env.startedNs) / 1000n)),
        fail: (status) => callback(status),
      },
    );
  };
}
