/**
 * Structured JSON logs (pino). Secrets and parameter values are never logged: the gateway
 * logs error codes, errnos and reasons, not server messages (which can echo values), and
 * the redaction below is a second line of defence.
 *
 * Lines written for a traced call carry its `trace_id` and `span_id` (and `trace_flags`), so a
 * log line leads to its trace. The span travels explicitly: put it under {@link LOG_SPAN} in the
 * merge object (`logger.info({ [LOG_SPAN]: span, ... }, 'msg')`, or spread
 * `CallTrace.logFields()`). Without one, the active OpenTelemetry span is used when the host
 * application registered a context manager; the gateway itself registers none.
 */
import { context, isSpanContextValid, type Span, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly level: string;
  /** Where lines go; stdout by default. Tests pass a stream to inspect every line. */
  readonly destination?: DestinationStream;
}

/** Paths removed from every log line, whatever logs them. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'params',
  '*.params',
  'authorization',
];

/**
 * Key of the merge-object entry holding the span a line belongs to. A symbol: pino never
 * serializes it, only the mixin reads it.
 */
export const LOG_SPAN: unique symbol = Symbol.for('mysql-grpc-gateway.log-span');

/** The trace fields of a log line. */
export interface TraceLogFields {
  readonly trace_id: string;
  readonly span_id: string;
  readonly trace_flags: string;
}

const NO_FIELDS = Object.freeze({});

/** `trace_id`, `span_id` and `trace_flags` of `span`; empty when it has no valid context. */
export function traceLogFields(span: Span | undefined): TraceLogFields | Record<string, never> {
  if (span === undefined) return NO_FIELDS;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return NO_FIELDS;
  return {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: (sc.traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}

function traceMixin(mergeObject: object): object {
  const explicit = (mergeObject as { [LOG_SPAN]?: Span })[LOG_SPAN];
  const fields = traceLogFields(explicit ?? trace.getSpan(context.active()));
  // pino merges the line into what the mixin returns: never hand it the shared empty object.
  return fields === NO_FIELDS ? {} : fields;
}

/** Creates the gateway's root logger. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'mysql-grpc-gateway' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceMixin,
    },
    opts.destination,
  );
}
