/** The Transaction RPC: a thin adapter between a duplex call and a {@link TransactionSession}. */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Admission } from '../auth/call-guard.js';
import type { GatewayError } from '../errors.js';
import { type TransactionRequestInput, TransactionSession } from '../session/transaction-session.js';
import { callScope } from './call-context.js';
import type { HandlerDeps } from './handler-deps.js';
import { toStatus } from './status.js';

/** Builds the Transaction handler. */
export function transactionHandler(deps: HandlerDeps) {
  return (call: ServerDuplexStream<TransactionRequestInput, unknown>): void => {
    const trace = deps.telemetry.startCall('Transaction', call.metadata);
    const scope = callScope(call, trace);
    let admission: Admission;
    let principal = '';
    try {
      admission = deps.guard.admit(call, {
        transaction: true,
        trace,
        onIdentified: (name) => {
          principal = name;
        },
      });
    } catch (err) {
      scope.dispose();
      trace.end(err);
      deps.onError('Transaction', err, trace, principal);
      call.emit('error', toStatus(err));
      return;
    }
    let ended = false;
    const session = new TransactionSession(
      deps.clusters,
      deps.limits,
      deps.transactions,
      scope.ctx,
      admission.access,
      {
        send: (resp) => (ended ? true : call.write(resp)),
        onceDrain: (cb) => call.once('drain', cb),
        end: (err?: GatewayError) => {
          if (ended) return;
          ended = true;
          admission.release();
          scope.dispose();
          trace.end(err);
          if (err) {
            deps.onError('Transaction', err, trace, principal);
            call.emit('error', toStatus(err));
          } else {
            call.end();
          }
        },
        pauseInput: () => call.pause(),
        resumeInput: () => call.resume(),
      },
      deps.sessions,
    );
    deps.sessions.add(session);
    call.on('data', (req: TransactionRequestInput) => session.push(req));
    call.on('end', () => session.halfClose());
    call.on('error', () => {
      // A broken stream ends like a cancel: the call signal fires and the session rolls back.
    });
  };
}
