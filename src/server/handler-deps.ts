/** What the RPC adapters need, injected by {@link GatewayServer}. */
import type { ClusterRegistry } from '../routing/cluster.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { SessionLimits } from '../session/single-statement.js';
import type { TransactionSettings } from '../session/transaction-session.js';

/** Dependencies of the RPC handlers. */
export interface HandlerDeps {
  readonly clusters: ClusterRegistry;
  readonly sessions: SessionRegistry;
  readonly limits: SessionLimits & { readonly defaultRowsPerBatch: number };
  readonly transactions: TransactionSettings;
  /** Reports a failed call (logs/metrics); must not throw. */
  readonly onError: (method: string, err: unknown) => void;
}
