/**
 * Telemetry test plumbing: in-memory spans and metrics for a gateway started by `startGateway`,
 * a Prometheus scrape parsed by a real text-format parser, and a real OTLP/HTTP receiver
 * (node:http on 127.0.0.1:0) that decodes what exporters send.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getMetricsFromIterator, type PromHistogramData, type PromMetric } from 'prom2javascript';
import type { GatewayOptions } from '../../../src/gateway.js';
import { CollectingReader } from '../../helpers/collecting-reader.js';
import { waitFor } from '../../helpers/sandbox.js';

export { CollectingReader };

/** In-memory exporters and the gateway options that install them. */
export interface InMemoryTelemetry {
  readonly spans: InMemorySpanExporter;
  readonly metrics: CollectingReader;
  readonly options: GatewayOptions;
}

/** Spans are exported as each ends (SimpleSpanProcessor), metrics on `collect()`. */
export function inMemoryTelemetry(): InMemoryTelemetry {
  const spans = new InMemorySpanExporter();
  let reader: CollectingReader | undefined;
  return {
    spans,
    get metrics(): CollectingReader {
      if (reader === undefined) throw new Error('the gateway has not been started with these options');
      return reader;
    },
    options: {
      telemetry: {
        spanProcessors: [new SimpleSpanProcessor(spans)],
        metricReaders: (producers) => {
          reader = new CollectingReader(producers);
          return [reader];
        },
      },
    },
  };
}

/** Hex span ids of a span and its parent. */
export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Waits until `exporter` holds a span matching `predicate`, and returns it. */
export async function waitForSpan(
  exporter: InMemorySpanExporter,
  predicate: (s: ReadableSpan) => boolean,
  message = 'span',
): Promise<ReadableSpan> {
  let found: ReadableSpan | undefined;
  await waitFor(
    () => {
      found = exporter.getFinishedSpans().find(predicate);
      return found !== undefined;
    },
    { timeoutMs: 10_000, message },
  );
  return found as ReadableSpan;
}

/** The server span of the latest call of `method` and every span of its trace. */
export async function traceOf(
  exporter: InMemorySpanExporter,
  method: 'Query' | 'Execute' | 'Transaction' | 'Batch',
  predicate: (s: ReadableSpan) => boolean = () => true,
): Promise<{ server: ReadableSpan; spans: ReadableSpan[]; children: ReadableSpan[] }> {
  const name = `mysqlgateway.v1.Gateway/${method}`;
  const server = await waitForSpan(exporter, (s) => s.name === name && predicate(s), name);
  const traceId = server.spanContext().traceId;
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const children = spans
    .filter((s) => parentId(s) === server.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  return { server, spans, children };
}

/** A parsed scrape. */
export interface Scrape {
  readonly text: string;
  /** Families by name; types are lower case (`counter`, `gauge`, `histogram`). */
  readonly families: ReadonlyMap<string, PromMetric>;
  /** `# UNIT` lines (OpenMetrics), which the parser skips as comments. */
  readonly units: ReadonlyMap<string, string>;
}

/**
 * GETs `/metrics` from the admin port and parses it (prom2javascript: it groups histogram
 * series by their labels and rejects a histogram whose `+Inf` bucket differs from its count).
 */
export async function scrape(adminPort: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const families = new Map(Object.entries(await getMetricsFromIterator(text.split('\n')[Symbol.iterator]())));
  const units = new Map<string, string>();
  for (const m of text.matchAll(/^# UNIT (\S+) (\S+)$/gm)) units.set(m[1] as string, m[2] as string);
  return { text, families, units };
}

/** Sum of a counter or gauge family's values (or of a histogram's counts) whose labels match. */
export function total(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const f = s.families.get(name);
  if (f === undefined) return 0;
  let sum = 0;
  for (const m of f.data) {
    if (!Object.entries(labels).every(([k, v]) => m.labels[k] === v)) continue;
    sum += f.type === 'histogram' ? (m as PromHistogramData).count : (m as { value: number }).value;
  }
  return sum;
}

/** The OTLP trace service request, enough of it to read spans (unknown fields are skipped). */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;
service TraceService { rpc Export(ExportTraceServiceRequest) returns (ExportTraceServiceResponse) {} }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTraceServiceResponse {}
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9; Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

/** A span as the receiver decoded it. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 2 SERVER, 3 CLIENT. */
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly resource: Record<string, unknown>;
}

/** One POST the receiver got. */
export interface ReceivedRequest {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects
type Decoded = any;

let protoFile: string | undefined;

/** The OTLP trace service definition as a .proto file (written once per process). */
export function OTLP_TRACE_PROTO_FILE(): string {
  if (protoFile === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'otlp-proto-'));
    protoFile = join(dir, 'trace_service.proto');
    writeFileSync(protoFile, OTLP_TRACE_PROTO);
  }
  return protoFile;
}

let decodeTraceRequest: ((body: Buffer) => Decoded) | undefined;

function traceDecoder(): (body: Buffer) => Decoded {
  if (decodeTraceRequest === undefined) {
    const def = loadSync(OTLP_TRACE_PROTO_FILE(), {
      keepCase: true,
      longs: String,
      enums: Number,
      defaults: true,
      oneofs: true,
      bytes: Buffer,
    });
    const service = def['opentelemetry.proto.collector.trace.v1.TraceService'] as Record<
      string,
      { requestDeserialize: (b: Buffer) => Decoded }
    >;
    decodeTraceRequest = (service.Export as { requestDeserialize: (b: Buffer) => Decoded })
      .requestDeserialize;
  }
  return decodeTraceRequest;
}

function anyValue(v: Decoded): unknown {
  if (v === null || v === undefined) return undefined;
  switch (v.value) {
    case 'string_value':
      return v.string_value;
    case 'bool_value':
      return v.bool_value;
    case 'int_value':
      return Number(v.int_value);
    case 'double_value':
      return v.double_value;
    case 'array_value':
      return (v.array_value.values ?? []).map(anyValue);
    default:
      return undefined;
  }
}

function attributesOf(list: Decoded[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function hex(b: Buffer | string | undefined): string {
  if (b === undefined) return '';
  return Buffer.isBuffer(b) ? b.toString('hex') : Buffer.from(b, 'base64').toString('hex');
}

/** Decodes an OTLP trace export (protobuf, or JSON with hex ids as the JSON encoding specifies). */
export function decodeTraces(req: ReceivedRequest): ReceivedSpan[] {
  const json = req.contentType.includes('json');
  return spansOfRequest(json ? JSON.parse(req.body.toString('utf8')) : traceDecoder()(req.body), json);
}

/** The spans of a decoded ExportTraceServiceRequest (proto-loader objects, or OTLP JSON). */
export function spansOfRequest(msg: Decoded, json = false): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resource_spans ?? msg.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scope_spans ?? rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: json ? s.traceId : hex(s.trace_id),
          spanId: json ? s.spanId : hex(s.span_id),
          parentSpanId: json ? (s.parentSpanId ?? '') : hex(s.parent_span_id),
          name: s.name,
          kind: s.kind,
          attributes: attributesOf(s.attributes),
          resource,
        });
      }
    }
  }
  return out;
}

/** A minimal OTLP/HTTP collector: accepts POST /v1/traces and /v1/metrics and keeps each body. */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let self: OtlpReceiver | undefined;
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        if (req.method !== 'POST' || (path !== '/v1/traces' && path !== '/v1/metrics')) {
          res.writeHead(404).end();
          return;
        }
        self?.requests.push({
          path,
          contentType: String(req.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        });
        // An empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON.
        const json = String(req.headers['content-type'] ?? '').includes('json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : Buffer.alloc(0));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new OtlpReceiver(server, (server.address() as AddressInfo).port);
    return self;
  }

  /** The endpoint to configure (`telemetry.otlpEndpoint`). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every span received so far. */
  spans(): ReceivedSpan[] {
    return this.requests.filter((r) => r.path === '/v1/traces').flatMap(decodeTraces);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
