/**
 * A real gRPC client for the integration tests, generated at run time from the repo's proto
 * (the same way a client in any language would use it), with small promise helpers.
 */
import { Code } from '../../../src/errors.js';
import {
  type ChannelCredentials,
  type ClientDuplexStream,
  credentials,
  InterceptingCall,
  type Interceptor,
  loadPackageDefinition,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from '../../../src/wire/proto.js';

// biome-ignore lint/suspicious/noExplicitAny: dynamic stubs are untyped by nature
export type AnyMessage = any;

/** A Value as the client builds it. */
export type Value =
  | { null_value: 'NULL_VALUE' }
  | { int64_value: string }
  | { uint64_value: string }
  | { double_value: number }
  | { string_value: string }
  | { bytes_value: Buffer };

/** The generated stub. */
export interface GatewayStub {
  Query(req: AnyMessage, opts?: AnyMessage): AnyMessage;
  Execute(req: AnyMessage, opts: AnyMessage, cb: (err: ServiceError | null, res: AnyMessage) => void): void;
  Transaction(opts?: AnyMessage): ClientDuplexStream<AnyMessage, AnyMessage>;
  Batch(
    req: AnyMessage,
    opts: AnyMessage,
    cb: (err: ServiceError | null, res: AnyMessage) => void,
  ): AnyMessage;
  close(): void;
}

/** Opens a client to `127.0.0.1:port`. */
export function connectClient(port: number, opts: ConnectOpts = {}): GatewayStub {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILES, LOADER_OPTIONS)) as AnyMessage;
  const Ctor = pkg.mysqlgateway.v1.Gateway;
  return new Ctor(
    `127.0.0.1:${port}`,
    opts.credentials ?? credentials.createInsecure(),
    stubOptions(opts),
  ) as GatewayStub;
}

/**
 * A client that sends and receives raw bytes (identity serializers): Query, Execute and
 * Transaction take and yield Buffers, so a test can send any bytes as a request message.
 */
export function rawClient(port: number): GatewayStub {
  const identity = (b: Buffer) => b;
  const methods = Object.fromEntries(
    ['Query', 'Execute', 'Transaction'].map((m) => [
      m,
      {
        path: `/mysqlgateway.v1.Gateway/${m}`,
        requestStream: m === 'Transaction',
        responseStream: m !== 'Execute',
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    ]),
  );
  const Ctor = makeGenericClientConstructor(methods as never, 'Raw');
  return new Ctor(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as GatewayStub;
}

/** How a raw call ended: its status and every response message, still encoded. */
export interface RawOutcome {
  code: number;
  details: string;
  metadata: Metadata;
  messages: Buffer[];
}

/**
 * Awaits the end of a streaming call of {@link rawClient} (Query or Transaction); rejects when
 * no status arrives within `timeoutMs` (the gateway hung on the input).
 */
export function rawOutcome(call: AnyMessage, timeoutMs = 10_000): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const messages: Buffer[] = [];
    const timer = setTimeout(
      () => reject(new Error(`no status within ${timeoutMs} ms: the gateway hung on this input`)),
      timeoutMs,
    );
    call.on('data', (m: Buffer) => messages.push(m));
    call.on('error', () => {}); // the status event below carries the same
    call.on('status', (s: { code: number; details: string; metadata: Metadata }) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details, metadata: s.metadata, messages });
    });
  });
}

/** Runs a unary Execute of {@link rawClient} with `bytes` as the request. */
export function rawExecute(raw: GatewayStub, bytes: Buffer, timeoutMs = 10_000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    raw.Execute(bytes, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
      resolve(
        err
          ? { code: err.code, details: err.details, metadata: err.metadata, messages: [] }
          : { code: 0, details: '', metadata: new Metadata(), messages: [res] },
      ),
    );
  });
}

/** How a test client connects: TLS credentials, and a bearer token sent on every call. */
export interface ConnectOpts {
  readonly credentials?: ChannelCredentials;
  readonly token?: string;
  /** A raw `authorization` value (for malformed ones). */
  readonly authorization?: string;
}

/** grpc-js client options adding the `authorization` metadata of `opts` to every call. */
export function stubOptions(opts: ConnectOpts): AnyMessage {
  // TLS: name the server `localhost` (in the test certificates) rather than send an IP as SNI.
  const tls = opts.credentials === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' };
  const value = opts.authorization ?? (opts.token === undefined ? undefined : `Bearer ${opts.token}`);
  if (value === undefined) return tls;
  const auth: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
  return { ...tls, interceptors: [auth] };
}

/** A whole Query result. */
export interface QueryResult {
  columns: AnyMessage[];
  rows: Value[][];
  stats: AnyMessage;
  /** Number of `rows` messages received. */
  batches: number;
}

/** Options for a call. */
export interface CallOpts {
  deadlineMs?: number;
}

function callOptions(opts: CallOpts): AnyMessage {
  return opts.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + opts.deadlineMs) };
}

/** Runs a Query and collects every message. */
export function query(client: GatewayStub, req: AnyMessage, opts: CallOpts = {}): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    const result: QueryResult = { columns: [], rows: [], stats: undefined, batches: 0 };
    let sawMetadata = false;
    const call = client.Query(req, callOptions(opts));
    call.on('data', (msg: AnyMessage) => {
      if (msg.metadata) {
        if (sawMetadata) reject(new Error('metadata sent twice'));
        sawMetadata = true;
        result.columns = msg.metadata.columns ?? [];
      } else if (msg.rows) {
        if (!sawMetadata) reject(new Error('rows before metadata'));
        result.batches++;
        for (const r of msg.rows.rows ?? []) result.rows.push(r.values ?? []);
      } else if (msg.stats) {
        result.stats = msg.stats;
      }
    });
    call.on('error', reject);
    call.on('end', () => resolve(result));
  });
}

/** Runs an Execute. */
export function execute(client: GatewayStub, req: AnyMessage, opts: CallOpts = {}): Promise<AnyMessage> {
  return new Promise((resolve, reject) => {
    client.Execute(req, callOptions(opts), (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Runs a Batch through the generated stub (for requests the TS client would refuse to build). */
export function batch(client: GatewayStub, req: AnyMessage, opts: CallOpts = {}): Promise<AnyMessage> {
  return new Promise((resolve, reject) => {
    client.Batch(req, callOptions(opts), (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Structured error details from the trailers. */
export function errorDetails(err: unknown): {
  code: number;
  reason: string;
  errno: string;
  sqlState: string;
  details: string;
} {
  const e = err as ServiceError;
  const md = e.metadata as Metadata | undefined;
  const get = (k: string) => String(md?.get(k)[0] ?? '');
  return {
    code: e.code,
    reason: get('gateway-reason'),
    errno: get('mysql-errno'),
    sqlState: get('mysql-sqlstate'),
    details: e.details,
  };
}

/** A Transaction stream with an inbox: `next()` awaits the next response, `status` the end. */
export class TxStream {
  readonly call: ClientDuplexStream<AnyMessage, AnyMessage>;
  private readonly inbox: AnyMessage[] = [];
  private readonly waiters: { resolve: (m: AnyMessage) => void; reject: (e: Error) => void }[] = [];
  private ended: Error | undefined;
  /** Resolves with null (OK) or the ServiceError the stream ended with. */
  readonly status: Promise<ServiceError | null>;
  private seq = 0;

  constructor(client: GatewayStub, opts: CallOpts = {}) {
    this.call = client.Transaction(callOptions(opts));
    this.call.on('data', (m: AnyMessage) => {
      const w = this.waiters.shift();
      if (w) w.resolve(m);
      else this.inbox.push(m);
    });
    this.status = new Promise((resolve) => {
      this.call.on('error', (e: ServiceError) => {
        this.end(new Error(`stream ended: ${e.code} ${e.details}`));
        resolve(e);
      });
      this.call.on('status', (s: { code: number }) => {
        if (s.code === Code.OK) {
          this.end(new Error('stream ended with OK'));
          resolve(null);
        }
      });
    });
  }

  /** Sends a request; returns its request_id. */
  send(action: AnyMessage, requestId?: string): string {
    const id = requestId ?? `r${++this.seq}`;
    this.call.write({ request_id: id, ...action });
    return id;
  }

  private end(err: Error): void {
    this.ended = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** The next response (rejects when the stream has ended, or after `timeoutMs`). */
  next(timeoutMs = 10_000): Promise<AnyMessage> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response in time')), timeoutMs);
      this.waiters.push({
        resolve: (msg) => {
          clearTimeout(t);
          resolve(msg);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });
  }

  /** Reads responses until one of `kinds` for `requestId` (collecting rows on the way). */
  async until(
    requestId: string,
    kinds: string[],
  ): Promise<{ last: AnyMessage; rows: Value[][]; all: AnyMessage[] }> {
    const rows: Value[][] = [];
    const all: AnyMessage[] = [];
    for (;;) {
      const m = await this.next();
      all.push(m);
      if (m.request_id !== requestId)
        throw new Error(`response for ${m.request_id} while waiting for ${requestId}`);
      if (m.rows) for (const r of m.rows.rows ?? []) rows.push(r.values ?? []);
      if (kinds.includes(m.result) || m.error) return { last: m, rows, all };
    }
  }

  begin(begin: AnyMessage = {}): Promise<AnyMessage> {
    const id = this.send({ begin });
    return this.until(id, ['begun']).then((r) => r.last);
  }

  async query(sql: string, params: Value[] = []): Promise<{ last: AnyMessage; rows: Value[][] }> {
    const id = this.send({ query: { sql, params } });
    return this.until(id, ['done']);
  }

  async execute(sql: string, params: Value[] = []): Promise<AnyMessage> {
    const id = this.send({ execute: { sql, params } });
    return (await this.until(id, ['executed'])).last;
  }

  async commit(): Promise<AnyMessage> {
    const id = this.send({ commit: {} });
    return (await this.until(id, ['committed'])).last;
  }

  async rollback(): Promise<AnyMessage> {
    const id = this.send({ rollback: {} });
    return (await this.until(id, ['rolled_back'])).last;
  }
}

/** Shorthands for Values. */
export const v = {
  null: (): Value => ({ null_value: 'NULL_VALUE' }),
  i64: (x: string | number | bigint): Value => ({ int64_value: String(x) }),
  u64: (x: string | number | bigint): Value => ({ uint64_value: String(x) }),
  f64: (x: number): Value => ({ double_value: x }),
  str: (x: string): Value => ({ string_value: x }),
  bytes: (x: Buffer): Value => ({ bytes_value: x }),
};
