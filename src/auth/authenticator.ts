/**
 * Maps a call's credentials to a {@link Principal}: a bearer token in the `authorization` metadata
 * (looked up by its SHA-256 digest), else the identity of the verified client certificate (mutual
 * TLS). A token, when sent, must be right even if a certificate would have matched.
 */
import type { PeerCertificate } from 'node:tls';
import type { AuthConfig } from '../config/index.js';
import { errors } from '../errors.js';
import { Principal } from './principal.js';
import type { Clock } from './rate-limiter.js';
import { bearerOf, hashToken } from './tokens.js';

/** What the authenticator reads of a call: its metadata and its TLS peer. */
export interface Credentials {
  readonly metadata: { get(key: string): readonly unknown[] };
  /** The verified client certificate, if any; asked for only when no token was sent. */
  peerCertificate(): PeerCertificate | undefined;
}

/** Tokens remembered after a successful lookup; past this many the memory starts again. */
const ACCEPTED_TOKENS_MAX = 1024;

/** The identities a certificate carries: `CN=…` and each subjectAltName entry (`DNS:…`, `URI:…`). */
export function certificateIdentities(cert: PeerCertificate): string[] {
  const out: string[] = [];
  const cn = cert.subject?.CN;
  for (const name of Array.isArray(cn) ? cn : cn ? [cn] : []) out.push(`CN=${name}`);
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) if (entry !== '') out.push(entry);
  return out;
}

/** Credentials → principal, built once from config. */
export class Authenticator {
  private readonly byDigest = new Map<string, Principal>();
  private readonly byIdentity = new Map<string, Principal>();
  /**
   * Tokens that matched a principal, so a client's every call does not hash its token again
   * (a SHA-256 per call was ~2% of the gateway's CPU per point select). Only tokens that matched
   * are kept, so wrong tokens cannot grow it; it lives in memory only, like the token in flight.
   */
  private readonly accepted = new Map<string, Principal>();

  constructor(auth: AuthConfig, clock?: Clock) {
    for (const [name, config] of Object.entries(auth.principals)) {
      const principal = new Principal(name, config, clock);
      for (const digest of config.tokenSha256) this.byDigest.set(digest.reveal(), principal);
      for (const identity of config.certIdentities) this.byIdentity.set(identity, principal);
    }
  }

  /** The caller's principal; throws UNAUTHENTICATED naming what is missing or wrong (never the token). */
  authenticate(credentials: Credentials): Principal {
    const bearer = bearerOf(credentials.metadata.get('authorization'));
    if (bearer.kind === 'malformed') {
      throw errors.unauthenticated(
        'BAD_AUTHORIZATION',
        'the authorization metadata must be a single "Bearer <token>" value',
      );
    }
    if (bearer.kind === 'token') {
      const known = this.accepted.get(bearer.token);
      if (known !== undefined) return known;
      const principal = this.byDigest.get(hashToken(bearer.token));
      if (principal === undefined)
        throw errors.unauthenticated('BAD_TOKEN', 'the bearer token matches no principal');
      if (this.accepted.size >= ACCEPTED_TOKENS_MAX) this.accepted.clear();
      this.accepted.set(bearer.token, principal);
      return principal;
    }
    const cert = credentials.peerCertificate();
    if (cert !== undefined) {
      const identities = certificateIdentities(cert);
      for (const identity of identities) {
        const principal = this.byIdentity.get(identity);
        if (principal !== undefined) return principal;
      }
      throw errors.unauthenticated(
        'UNKNOWN_CLIENT_CERTIFICATE',
        `the client certificate (${identities.join(', ') || 'no subject'}) maps to no principal`,
      );
    }
    throw errors.unauthenticated(
      'MISSING_CREDENTIALS',
      'no credentials: send "authorization: Bearer <token>" metadata or a client certificate',
    );
  }
}
