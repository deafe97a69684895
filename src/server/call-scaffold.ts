/**
 * The steps every RPC takes, written once (in the spirit of a connect-es interceptor): start the
 * timer and the trace, build the call's context (deadline, abort signal), admit the caller
 * (principal, permissions, budget), run the handler's body, then release the caller's slot,
 * dispose of the context, end the trace, log a failure and map it to a wire status. A handler
 * only decodes its request, calls the session layer and encodes what comes back; a new log field
 * or metric attribute is one edit here.
 */
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { Admission, CallGuard, GuardedCall } from '../auth/call-guard.js';
import type { StatementContext } from '../backend/backend.js';
import type { Access } from '../session/access.js';
import { type CallTrace, type CallTracer, NOOP_CALL_TRACE, type RpcMethod } from '../telemetry/call-trace.js';
import { callScope } from './call-context.js';
import { toStatus, type WireStatus } from './status.js';

/** The RPCs the scaffold serves: the traced Gateway methods and Admin's. */
export type ScaffoldMethod = RpcMethod | 'GetStatus' | 'GetQueryStats';

/** What a handler's body gets: the admitted caller and the call's context. */
export interface CallEnv {
  /** Deadline, abort signal and trace, for the session layer. */
  readonly ctx: StatementContext;
  /** What the caller may do. */
  readonly access: Access;
  /** The call's trace (the no-op trace for untraced methods). */
  readonly trace: CallTrace;
  /** `process.hrtime.bigint()` when the call arrived. */
  readonly startedNs: bigint;
}

/** Reports `cmd.requestTag` to the call's trace (digests, spans, log lines) and returns `cmd`. */
export function tagged<C extends { readonly requestTag?: string }>(env: CallEnv, cmd: C): C {
  if (cmd.requestTag) env.trace.tagged(cmd.requestTag);
  return cmd;
}

/** How a handler ends its call: the value its body resolved with, or a failure's status. */
export interface CallEnding<R> {
  /** Sends the outcome (a unary response, a stream's last message and end). */
  ok(value: R, env: CallEnv): void;
  /** Ends the call with `status`. */
  fail(status: WireStatus): void;
}

/** Per-method options. */
export interface ScaffoldOptions {
  /** A Transaction stream: counts against the principal's maxConcurrentTransactions. */
  readonly transaction?: boolean;
  /** Needs an admin principal. */
  readonly admin?: boolean;
}

/** Dependencies of the scaffold. */
export interface ScaffoldDeps {
  /** Authentication and per-principal limits, run first on every call. */
  readonly guard: CallGuard;
  /** Starts each call's trace (`Telemetry`, or `NOOP_CALL_TRACER`). */
  readonly telemetry: CallTracer;
  /** Reports a failed call (logs); must not throw. */
  readonly onError: (method: string, err: unknown, trace: CallTrace, principal: string) => void;
  /** Hears every call's end: its gRPC status code and duration (the status page's history). */
  readonly observer?: CallObserver;
}

/** What the scaffold reports about every call (`StatusHistory` is one). */
export interface CallObserver {
  callEnded(method: string, code: number, durationUs: number): void;
}

const TRACED: ReadonlySet<string> = new Set<RpcMethod>(['Query', 'Execute', 'Transaction', 'Batch']);

/** Wraps handler bodies in the steps every call takes. */
export class CallScaffold {
  constructor(private readonly deps: ScaffoldDeps) {}

  /**
   * Runs `body` for `call` between the common steps, then ends the call through `ending`. Anything
   * `body` throws or rejects with (a bug included) becomes a status: never UNKNOWN, never lost.
   */
  serve<R>(
    method: ScaffoldMethod,
    call: ServerSurfaceCall & GuardedCall,
    opts: ScaffoldOptions,
    body: (env: CallEnv) => Promise<R>,
    ending: CallEnding<R>,
  ): void {
    const startedNs = process.hrtime.bigint();
    const { guard, telemetry, onError, observer } = this.deps;
    const trace = TRACED.has(method)
      ? telemetry.startCall(method as RpcMethod, call.metadata)
      : NOOP_CALL_TRACE;
    const scope = callScope(call, trace);
    let principal = '';
    let admission: Admission | undefined;
    let work: Promise<R>;
    let env: CallEnv | undefined;
    try {
      admission = guard.admit(call, {
        transaction: opts.transaction === true,
        admin: opts.admin === true,
        trace,
        onIdentified: (name) => {
          principal = name;
        },
      });
      env = { ctx: scope.ctx, access: admission.access, trace, startedNs };
      work = body(env);
    } catch (err) {
      work = Promise.reject(err);
    }
    work.then(
      (value) => {
        admission?.release();
        scope.dispose();
        try {
          ending.ok(value, env as CallEnv);
          trace.end();
          observer?.callEnded(method, 0, elapsedUs());
        } catch (err) {
          fail(err);
        }
      },
      (err: unknown) => {
        admission?.release();
        scope.dispose();
        fail(err);
      },
    );
    function fail(err: unknown): void {
      trace.end(err);
      onError(method, err, trace, principal);
      const status = toStatus(err);
      ending.fail(status);
      observer?.callEnded(method, status.code, elapsedUs());
    }
    function elapsedUs(): number {
      return Number(process.hrtime.bigint() - startedNs) / 1000;
    }
  }
}
