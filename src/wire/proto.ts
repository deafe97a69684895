/**
 * Loads the public contract (proto/mysqlgateway/v1/*.proto) once, for the server, reflection
 * and the TypeScript client.
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { batchResponseSerializer } from './batch-codec.js';
import { responseSerializers, type Serializer } from './response-codec.js';

/** Folder holding the .proto files (shipped with the package). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/** The contract's files, relative to {@link PROTO_ROOT}. */
export const PROTO_FILES = ['mysqlgateway/v1/gateway.proto', 'mysqlgateway/v1/admin.proto'];

/**
 * How messages map to JS objects on both sides: 64-bit integers as decimal strings (exact),
 * enums as their names, unset fields absent, and a virtual field naming the set member of
 * each oneof.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: PackageDefinition | undefined;

/** The package definition (cached). */
export function gatewayPackageDefinition(): PackageDefinition {
  cached ??= loadSync(PROTO_FILES, LOADER_OPTIONS);
  return cached;
}

/**
 * Service definitions by short name, for the server: the Gateway service's Query, Transaction and
 * Batch responses use the hand-written encoders of `response-codec.ts` and `batch-codec.ts`
 * (proto-loader's serializers remain their fallback).
 */
export function gatewayServices(): { Gateway: ServiceDefinition; Admin: ServiceDefinition } {
  const pkg = loadPackageDefinition(gatewayPackageDefinition()) as unknown as {
    mysqlgateway: { v1: { Gateway: { service: ServiceDefinition }; Admin: { service: ServiceDefinition } } };
  };
  const gateway = pkg.mysqlgateway.v1.Gateway.service;
  const { Query, Transaction, Batch } = gateway;
  if (!Query || !Transaction || !Batch)
    throw new Error('the Gateway service has no Query, Transaction or Batch method');
  const encode = responseSerializers(
    Query.responseSerialize as Serializer,
    Transaction.responseSerialize as Serializer,
  );
  return {
    Gateway: {
      ...gateway,
      Query: { ...Query, responseSerialize: encode.query },
      Transaction: { ...Transaction, responseSerialize: encode.transaction },
      Batch: {
        ...Batch,
        responseSerialize: batchResponseSerializer(encode.metadata, Batch.responseSerialize as Serializer),
      },
    },
    Admin: pkg.mysqlgateway.v1.Admin.service,
  };
}
