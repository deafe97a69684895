/** The gRPC listener's transport credentials from `server.tls`: plaintext, TLS or mutual TLS. */
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { ServerTlsConfig } from '../config/index.js';

/** Builds the credentials (reads the PEM files now, so a bad file fails the start). */
export function serverCredentials(tls: ServerTlsConfig): ServerCredentials {
  if (tls.cert === '') return ServerCredentials.createInsecure();
  const clientCa = tls.clientCa === '' ? null : readFileSync(tls.clientCa);
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readFileSync(tls.cert), private_key: readFileSync(tls.key) }],
    // With a client CA, a client without a certificate chaining to it cannot even connect.
    clientCa !== null,
  );
}
