/**
 * The door every Gateway and Admin call goes through first: who is calling (authentication), may
 * it call this at all (admin), and is it within its budget (rate, calls and transactions in
 * flight). What it may do with a cluster or a statement is checked later, through the returned
 * {@link Access}, once the session layer knows the cluster and has classified the SQL.
 */
import type { PeerCertificate } from 'node:tls';
import { errors } from '../errors.js';
import type { Access } from '../session/access.js';
import type { CallTrace } from '../telemetry/call-trace.js';
import type { Authenticator } from './authenticator.js';
import { Principal } from './principal.js';

/** What the guard reads of a grpc-js call. */
export interface GuardedCall {
  readonly metadata: { get(key: string): readonly unknown[] };
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

/** An admitted call: its permissions, and the slot to release when it ends. */
export interface Admission {
  readonly access: Access;
  /** Gives back the call's concurrency slot; idempotent. */
  release(): void;
}

/** What kind of call is being admitted. */
export interface AdmitOptions {
  /** A Transaction stream (counts against maxConcurrentTransactions too). */
  readonly transaction?: boolean;
  /** Needs an admin principal. */
  readonly admin?: boolean;
  /** The call's trace, told who the caller is. */
  readonly trace?: Pick<CallTrace, 'authenticated'>;
  /** Hears the principal's name once the caller is authenticated, before any other check. */
  readonly onIdentified?: (principal: string) => void;
}

/** Authentication and per-principal limits; `undefined` authenticator = authentication off. */
export class CallGuard {
  private readonly anonymous = Principal.unrestricted();

  constructor(private readonly authenticator: Authenticator | undefined) {}

  /** Whether callers must authenticate. */
  get enabled(): boolean {
    return this.authenticator !== undefined;
  }

  /** Admits `call` or throws UNAUTHENTICATED, PERMISSION_DENIED or RESOURCE_EXHAUSTED. */
  admit(call: GuardedCall, opts: AdmitOptions = {}): Admission {
    if (this.authenticator === undefined) return { access: this.anonymous, release: () => {} };
    const principal = this.authenticator.authenticate({
      metadata: call.metadata,
      peerCertificate: () => call.getAuthContext().sslPeerCertificate,
    });
    opts.trace?.authenticated(principal.name);
    opts.onIdentified?.(principal.name);
    if (opts.admin) requireAdmin(principal);
    principal.request();
    const slot = principal.enter(opts.transaction === true);
    return { access: principal, release: () => slot.release() };
  }

  /** Admits `call`, runs `work` with its access, and releases the call's slot when `work` settles. */
  async run<T>(call: GuardedCall, work: (access: Access) => Promise<T>, opts: AdmitOptions = {}): Promise<T> {
    const admission = this.admit(call, opts);
    try {
      return await work(admission.access);
    } finally {
      admission.release();
    }
  }

  /** The admin principal a bearer token names (admin HTTP pages), or why not. */
  adminByToken(authorization: string | undefined): Principal {
    if (this.authenticator === undefined) return this.anonymous;
    const principal = this.authenticator.authenticate({
      metadata: { get: () => (authorization === undefined ? [] : [authorization]) },
      peerCertificate: () => undefined,
    });
    requireAdmin(principal);
    return principal;
  }
}

function requireAdmin(principal: Principal): void {
  if (!principal.admin) {
    throw errors.permissionDenied('ADMIN_ONLY', `principal ${principal.name} is not an admin principal`);
  }
}
