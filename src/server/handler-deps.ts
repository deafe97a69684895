/** What the RPC adapters need, injected by {@link GatewayServer}. */
import type { ClusterRegistry } from '../routing/cluster.js';
import type { SessionService } from '../session/session-service.js';
import type { GatewayStatus } from '../admin/gateway-status.js';
import type { QueryDigests } from '../telemetry/query-digests.js';
import type { CallScaffold } from './call-scaffold.js';

/** Dependencies of the RPC handlers. */
export interface HandlerDeps {
  /** The steps every call takes (trace, context, admission, status mapping, logging). */
  readonly scaffold: CallScaffold;
  /** Query, Execute and Transaction sessions. */
  readonly sessions: SessionService;
  /** The clusters, for the per-cluster health statuses. */
  readonly clusters: ClusterRegistry;
  /**
   * The status snapshot for Admin.GetStatus: every cluster, or only the named one (throws
   * NOT_FOUND for an unknown name). The admin HTTP `/status.json` serves the same function's output.
   */
  readonly status: (cluster?: string) => GatewayStatus;
  /** The query digests for Admin.GetQueryStats; `digests` undefined when they are off. */
  readonly queryStats: { readonly digests: QueryDigests | undefined; readonly maxEntries: number };
}
