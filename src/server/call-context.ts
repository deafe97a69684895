/**
 * Per-call context: the call's deadline and an abort signal (a cheap {@link CallAbort}) that
 * fires when the client cancels or the deadline passes, with a {@link GatewayError} as its reason.
 */
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { CallAbort } from '../abort-signal.js';
import type { StatementContext } from '../backend/backend.js';
import { errors } from '../errors.js';
import type { CallTrace } from '../telemetry/call-trace.js';

/** A call's context and the function that releases its timer. */
export interface CallScope {
  readonly ctx: StatementContext;
  dispose(): void;
}

/** Builds the context of `call`, traced by `trace`. Call `dispose()` when the call ends. */
export function callScope(call: ServerSurfaceCall, trace?: CallTrace): CallScope {
  const controller = new CallAbort();
  const raw = call.getDeadline();
  const deadlineMs = raw instanceof Date ? raw.getTime() : Number(raw);
  const deadline = Number.isFinite(deadlineMs) ? deadlineMs : undefined;
  const expire = () => {
    if (!controller.aborted) {
      controller.abort(errors.deadlineExceeded('DEADLINE_EXCEEDED', 'the call passed its deadline'));
    }
  };
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    timer = setTimeout(expire, Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  const onCancel = () => {
    if (deadline !== undefined && Date.now() >= deadline) expire();
    else if (!controller.aborted)
      controller.abort(errors.cancelled('CANCELLED', 'the client cancelled the call'));
  };
  call.once('cancelled', onCancel);
  // A client that cancels before the handler runs never fires 'cancelled' for it: check the flag.
  if (call.cancelled) onCancel();
  return {
    ctx: { deadline, signal: controller, trace },
    dispose: () => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}
