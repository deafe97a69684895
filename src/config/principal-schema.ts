/**
 * Principals: who may call the gateway, with which credentials, and what each may do. Their
 * TypeScript shape and the declarations of their keys (`auth.principals.<name>.…`), in the one
 * style of `keys.ts`.
 *
 * Tokens are stored as SHA-256 digests, never in plain text: the gateway hashes the token a caller
 * presents and looks the digest up. `mysql-grpc-gateway --new-token` prints a fresh token and its
 * digest; `--hash-token` hashes one read from standard input.
 */

import { boolean, decimal, type Format, integer, matching } from './formats.js';
import type { SchemaFor } from './keys.js';
import type { Secret } from './secret.js';

/** A principal as written in the configuration. */
export interface PrincipalSettings {
  /** SHA-256 digests (hex) of the bearer tokens that identify this principal. @default [] */
  readonly tokenSha256: readonly string[];
  /** Client certificate identities (`CN=name`, `DNS:host`, `URI:spiffe://…`, `email:…`) that identify it. @default [] */
  readonly certIdentities: readonly string[];
  /** Clusters it may use; `*` = all. @default ['*'] */
  readonly clusters: readonly string[];
  /** Only read-only statements and read-only transactions. @default false */
  readonly readOnly: boolean;
  /** May call the Admin service and the admin HTTP status and metrics pages. @default false */
  readonly admin: boolean;
  /** Most calls in flight at once (streams included); 0 = no limit. @default 0 */
  readonly maxConcurrentCalls: number;
  /** Most open Transaction streams at once; 0 = no limit. @default 0 */
  readonly maxConcurrentTransactions: number;
  /** Sustained requests per second (calls, plus statements inside transactions); 0 = no limit. @default 0 */
  readonly requestsPerSecond: number;
  /** Requests allowed in a burst above the sustained rate; 0 = one second's worth. @default 0 */
  readonly burst: number;
}

/** A loaded principal: its token digests held as {@link Secret}s, so no printout shows them. */
export interface PrincipalConfig extends Omit<PrincipalSettings, 'tokenSha256'> {
  readonly tokenSha256: readonly Secret[];
}

const sha256Hex = matching(
  /^[0-9a-f]{64}$/,
  'a SHA-256 digest in lowercase hex (64 characters; `mysql-grpc-gateway --hash-token` prints it), never the token itself',
);
const certIdentity = matching(
  /^(CN=|DNS:|URI:|email:|IP Address:)\S.*$/,
  'a certificate identity: CN=<common name>, DNS:<name>, URI:<uri>, email:<address> or IP Address:<ip>',
);
const clusterRef = matching(/^(\*|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$/, 'a cluster name or *');
const count: Format = integer(0, 1_000_000);

/** Keys of every principal: `auth.principals.<name>`. */
export const principalSchema: SchemaFor<PrincipalSettings> = {
  tokenSha256: {
    doc:
      'SHA-256 digests (lowercase hex) of the bearer tokens that identify this principal; several ' +
      'allow rotation. Callers send `authorization: Bearer <token>` metadata.',
    default: [],
    items: sha256Hex,
  },
  certIdentities: {
    doc:
      'Client certificate identities that identify this principal (needs server.tls.clientCa): ' +
      'CN=<common name>, or a subjectAltName entry such as DNS:<name> or URI:spiffe://<id>.',
    default: [],
    items: certIdentity,
  },
  clusters: { doc: 'Clusters this principal may use; * means all.', default: ['*'], items: clusterRef },
  readOnly: {
    doc:
      'Allows only statements proven read-only and read-only transactions; anything else is ' +
      'PERMISSION_DENIED before it reaches MySQL.',
    default: false,
    format: boolean,
  },
  admin: {
    doc: 'May call the Admin service, and the admin HTTP /status and /metrics pages when those need a token.',
    default: false,
    format: boolean,
  },
  maxConcurrentCalls: {
    doc: 'Most calls in flight at once, streams included; more fail RESOURCE_EXHAUSTED. 0 means no limit.',
    default: 0,
    format: count,
  },
  maxConcurrentTransactions: {
    doc: 'Most open Transaction streams at once; more fail RESOURCE_EXHAUSTED. 0 means no limit.',
    default: 0,
    format: count,
  },
  requestsPerSecond: {
    doc:
      'Sustained requests per second (each call, and each statement inside a transaction); more ' +
      'fail RESOURCE_EXHAUSTED. 0 means no limit.',
    default: 0,
    format: decimal(0, 1_000_000),
  },
  burst: {
    doc: 'Requests allowed at once above the sustained rate; 0 means one second of requestsPerSecond.',
    default: 0,
    format: count,
  },
};
