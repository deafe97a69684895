/**
 * The Transaction RPC: a thin adapter between a duplex call and a session's
 * {@link TransactionSession}: requests are decoded into commands, events encoded into responses.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { GatewayError } from '../errors.js';
import type { TransactionEvents } from '../session/commands.js';
import { tagged } from './call-scaffold.js';
import type { HandlerDeps } from './handler-deps.js';
import { StatementAnswers } from './query-answer.js';
import { type TransactionRequestMessage, transactionCommandOf } from './request-decode.js';
import { encodeExecuted, encodeQueryStats, encodeReplayed, encodeStatementError } from './response-encode.js';

/** Builds the Transaction handler. */
export function transactionHandler(deps: HandlerDeps) {
  return (call: ServerDuplexStream<TransactionRequestMessage, unknown>): void => {
    deps.scaffold.serve(
      'Transaction',
      call,
      { transaction: true },
      (env) =>
        new Promise<void>((resolve, reject) => {
          let ended = false;
          // A replay's report rides on the next response, whatever it is.
          let replayed: object | undefined;
          const send = (resp: object): boolean => {
            if (ended) return true;
            if (replayed === undefined) return call.write(resp);
            const out = { ...resp, replayed };
            replayed = undefined;
            return call.write(out);
          };
          const answers = new StatementAnswers(send);
          const events: TransactionEvents = {
            begun: (id, backend, connectionId) =>
              send({ request_id: id, begun: { backend, connection_id: String(connectionId) } }),
            columns: (id, columns) => answers.columns(id, columns),
            rows: (id, rows) => answers.rows(id, rows),
            onceDrain: (cb) => call.once('drain', cb),
            done: (id, totals, elapsedUs) => answers.done(id, encodeQueryStats(totals, elapsedUs)),
            executed: (id, totals, elapsedUs) =>
              send({ request_id: id, executed: encodeExecuted(totals, elapsedUs) }),
            committed: (id, token) => send({ request_id: id, committed: { consistency_token: token } }),
            rolledBack: (id) => send({ request_id: id, rolled_back: {} }),
            failed: (id, err) => {
              answers.forget(id);
              send({ request_id: id, error: encodeStatementError(err) });
            },
            replayed: (info) => {
              replayed = encodeReplayed(info);
            },
            end: (err?: GatewayError) => {
              if (ended) return;
              ended = true;
              if (err) reject(err);
              else resolve();
            },
            pauseInput: () => call.pause(),
            resumeInput: () => call.resume(),
          };
          const session = deps.sessions.openTransaction(env, events);
          call.on('data', (req: TransactionRequestMessage) => {
            if (req.query) answers.query(req.request_id ?? '', req.query.accept_single_message === true);
            const cmd = transactionCommandOf(req);
            if (cmd.kind === 'begin') tagged(env, cmd.begin);
            session.push(cmd);
          });
          call.on('end', () => session.halfClose());
          call.on('error', () => {
            // A broken stream ends like a cancel: the call signal fires and the session rolls back.
          });
        }),
      {
        ok: () => call.end(),
        fail: (status) => call.emit('error', status),
      },
    );
  };
}
