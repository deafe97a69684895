/**
 * What a caller may do, as the session layer sees it: the checks it runs once it knows the cluster
 * and has classified the statement, before anything reaches MySQL. `src/auth/` builds one per call
 * from the caller's principal; {@link FULL_ACCESS} is the caller with no restriction.
 */

/** A caller's permissions and request budget. */
export interface Access {
  /** The principal's name, for errors and spans ('' when authentication is off). */
  readonly principal: string;
  /** Throws PERMISSION_DENIED unless the caller may use `cluster`. */
  useCluster(cluster: string): void;
  /** Throws PERMISSION_DENIED unless the caller may write; `what` names what was refused. */
  write(what: string): void;
  /** Counts one more request (a statement inside a transaction); throws RESOURCE_EXHAUSTED over the rate. */
  request(): void;
}

/** No restriction: authentication off, or internal callers. */
export const FULL_ACCESS: Access = {
  principal: '',
  useCluster: () => {},
  write: () => {},
  request: () => {},
};
