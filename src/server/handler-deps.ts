/** What the RPC adapters need, injected by {@link GatewayServer}. */
import type { CallGuard } from '../auth/call-guard.js';
import type { ClusterRegistry } from '../routing/cluster.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { SessionLimits } from '../session/single-statement.js';
import type { GatewayStatus } from '../admin/gateway-status.js';
import type { TransactionSettings } from '../session/transaction-session.js';
import type { CallTrace, CallTracer } from '../telemetry/call-trace.js';

/** Dependencies of the RPC handlers. */
export interface HandlerDeps {
  /** Authentication and per-principal limits, run first on every call. */
  readonly guard: CallGuard;
  readonly clusters: ClusterRegistry;
  readonly sessions: SessionRegistry;
  readonly limits: SessionLimits & { readonly defaultRowsPerBatch: number };
  readonly transactions: TransactionSettings;
  /** Starts each call's trace (`Telemetry`, or `NOOP_CALL_TRACER`). */
  readonly telemetry: CallTracer;
  /**
   * The status snapshot for Admin.GetStatus: every cluster, or only the named one (throws
   * NOT_FOUND for an unknown name). The admin HTTP `/status.json` serves the same function's output.
   */
  readonly status: (cluster?: string) => GatewayStatus;
  /** Reports a failed call (logs); must not throw. */
  readonly onError: (method: string, err: unknown, trace: CallTrace, principal: string) => void;
}
