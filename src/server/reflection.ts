/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) over the build's FileDescriptorSet
 * (wire/descriptor-set.ts): each file under its real name with its real imports, so strict
 * clients (grpcurl, Python's descriptor pool) can build every type.
 *
 * Hand-written instead of @grpc/reflection: that package re-derives files from a proto-loader
 * package definition, which merges them per package (`mysqlgateway_v1.proto`) and drops their
 * imports (grpc-node issue 3018). The logic is {@link ServerReflection.handleServerReflectionRequest};
 * the bidi handler is a thin adapter over it.
 */
import type { Server, ServerDuplexStream, ServiceDefinition } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { Code } from '../errors.js';
import type { DescriptorFile, DescriptorSet } from '../wire/descriptor-set.js';

/** The reflection services this module serves, newest first. */
export const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
] as const;

/** `ServerReflectionRequest` as proto-loader decodes it (keepCase, oneofs). */
export interface ReflectionRequest {
  readonly host?: string;
  readonly message_request?: string;
  readonly file_by_filename?: string;
  readonly file_containing_symbol?: string;
  readonly file_containing_extension?: { containing_type?: string; extension_number?: number };
  readonly all_extension_numbers_of_type?: string;
  readonly list_services?: string;
}

/** `ServerReflectionResponse` as proto-loader encodes it: exactly one of the optional members is set. */
export interface ReflectionResponse {
  readonly valid_host: string;
  readonly original_request: ReflectionRequest;
  readonly file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
  readonly all_extension_numbers_response?: { base_type_name: string; extension_number: number[] };
  readonly list_services_response?: { service: { name: string }[] };
  readonly error_response?: { error_code: number; error_message: string };
}

class ReflectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers reflection requests from a {@link DescriptorSet}. */
export class ServerReflection {
  private readonly listed: { name: string }[];

  /**
   * @param set the descriptors to serve.
   * @param services fully-qualified names of the other services the server registers; each must
   *   be in `set` (the reflection services themselves are added).
   */
  constructor(
    private readonly set: DescriptorSet,
    services: readonly string[],
  ) {
    const names = [...services, ...REFLECTION_SERVICES];
    for (const name of names)
      if (set.symbol(name)?.kind !== 'service')
        throw new Error(`server reflection: service ${name} is not in the descriptor set`);
    this.listed = names.map((name) => ({ name }));
  }

  /** The answer to one request of the stream; failures are answered as `error_response`. */
  handleServerReflectionRequest(request: ReflectionRequest): ReflectionResponse {
    const base = { valid_host: request.host ?? '', original_request: request };
    try {
      return { ...base, ...this.answer(request) };
    } catch (err) {
      if (!(err instanceof ReflectionError)) throw err;
      return { ...base, error_response: { error_code: err.code, error_message: err.message } };
    }
  }

  /** Registers the v1 and v1alpha reflection services on `server`. */
  addToServer(server: Server): void {
    // Only the reflection files: building protobufjs types for the whole set costs 4x as long.
    const files = REFLECTION_SERVICES.map((name) => this.set.symbol(name)?.file as DescriptorFile);
    const definitions = loadFileDescriptorSetFromBuffer(Buffer.from(this.set.encodeSubset(files)), {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    for (const name of REFLECTION_SERVICES) {
      server.addService(definitions[name] as ServiceDefinition, {
        ServerReflectionInfo: (call: ServerDuplexStream<ReflectionRequest, ReflectionResponse>) => {
          call.on('data', (request: ReflectionRequest) =>
            call.write(this.handleServerReflectionRequest(request)),
          );
          call.on('end', () => call.end());
        },
      });
    }
  }

  private answer(request: ReflectionRequest): Partial<ReflectionResponse> {
    switch (request.message_request) {
      case 'list_services':
        return { list_services_response: { service: this.listed } };
      case 'file_by_filename': {
        const name = request.file_by_filename ?? '';
        const file = this.set.file(name);
        if (!file) throw new ReflectionError(Code.NOT_FOUND, `file not found: ${name}`);
        return this.files(file);
      }
      case 'file_containing_symbol': {
        const symbol = (request.file_containing_symbol ?? '').replace(/^\./, '');
        const found = this.set.symbol(symbol);
        if (!found) throw new ReflectionError(Code.NOT_FOUND, `symbol not found: ${symbol}`);
        return this.files(found.file);
      }
      case 'file_containing_extension': {
        const type = (request.file_containing_extension?.containing_type ?? '').replace(/^\./, '');
        const number = request.file_containing_extension?.extension_number ?? 0;
        const file = this.set.extension(type, number);
        if (!file) throw new ReflectionError(Code.NOT_FOUND, `extension not found: ${number} of ${type}`);
        return this.files(file);
      }
      case 'all_extension_numbers_of_type': {
        const type = (request.all_extension_numbers_of_type ?? '').replace(/^\./, '');
        if (this.set.symbol(type)?.kind !== 'message')
          throw new ReflectionError(Code.NOT_FOUND, `message type not found: ${type}`);
        return {
          all_extension_numbers_response: {
            base_type_name: type,
            extension_number: this.set.extensionNumbers(type),
          },
        };
      }
      default:
        throw new ReflectionError(
          Code.INVALID_ARGUMENT,
          'the request sets none of file_by_filename, file_containing_symbol, file_containing_extension, ' +
            'all_extension_numbers_of_type, list_services',
        );
    }
  }

  /** The file first, then every file it imports (transitively), as the reflection spec asks. */
  private files(file: DescriptorFile): Partial<ReflectionResponse> {
    return {
      file_descriptor_response: {
        file_descriptor_proto: this.set.withDependencies(file).map((f) => f.bytes),
      },
    };
  }
}
