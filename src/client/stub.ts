/**
 * The generated `mysqlgateway.v1.Gateway` stub, loaded at run time from the package's own
 * `gateway.proto` with the wire package's loader options (64-bit integers as decimal strings,
 * enums as names, unset fields absent, the virtual oneof field), which its decoders rely on.
 */
import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Client as GrpcClient,
  loadPackageDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync, type MethodDefinition, type Options } from '@grpc/proto-loader';
import { LOADER_OPTIONS } from '../wire/proto.js';
import type {
  BatchRequestOut,
  BatchResponseIn,
  ExecuteRequestOut,
  QueryRequestOut,
  QueryResponseIn,
  TransactionRequestOut,
  TransactionResponseIn,
  WireExecuteIn,
} from './messages.js';
import { responseDeserializers } from '../wire/response-decoder.js';

type ServiceDefinition = Record<'Query' | 'Transaction', MethodDefinition<unknown, unknown>>;

/**
 * How the client maps messages to JS objects: the wire package's loader options, the ones its
 * hand-written decoder reproduces.
 */
export const CLIENT_LOADER_OPTIONS: Options = LOADER_OPTIONS;

/** Per-call grpc-js options the client uses. */
export interface StubCallOptions {
  deadline?: number;
}

/** The typed surface of the generated stub. */
export interface GatewayStub extends GrpcClient {
  Query(req: QueryRequestOut, options: StubCallOptions): ClientReadableStream<QueryResponseIn>;
  Execute(
    req: ExecuteRequestOut,
    options: StubCallOptions,
    callback: (err: ServiceError | null, res?: WireExecuteIn) => void,
  ): ClientUnaryCall;
  Transaction(options: StubCallOptions): ClientDuplexStream<TransactionRequestOut, TransactionResponseIn>;
  Batch(
    req: BatchRequestOut,
    options: StubCallOptions,
    callback: (err: ServiceError | null, res?: BatchResponseIn) => void,
  ): ClientUnaryCall;
}

type StubConstructor = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => GatewayStub;

let cached: StubConstructor | undefined;

/** The stub class (the .proto is parsed once per process). */
export function gatewayStubClass(): StubConstructor {
  if (!cached) {
    const definition = loadSync('mysqlgateway/v1/gateway.proto', CLIENT_LOADER_OPTIONS);
    const service = definition['mysqlgateway.v1.Gateway'] as ServiceDefinition;
    const fast = responseDeserializers(
      service.Query.responseDeserialize,
      service.Transaction.responseDeserialize,
    );
    // Rows messages are decoded by hand; everything else by proto-loader (response-decoder.ts).
    service.Query = { ...service.Query, responseDeserialize: fast.query };
    service.Transaction = { ...service.Transaction, responseDeserialize: fast.transaction };
    const pkg = loadPackageDefinition(definition) as unknown as {
      mysqlgateway: { v1: { Gateway: StubConstructor } };
    };
    cached = pkg.mysqlgateway.v1.Gateway;
  }
  return cached;
}
