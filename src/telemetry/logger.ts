/**
 * Structured JSON logs (pino). Secrets and parameter values are never logged: the gateway
 * logs error codes, errnos and reasons, not server messages (which can echo values), and
 * the redaction below is a second line of defence.
 */
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

/** Creates the gateway's root logger. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'mysql-grpc-gateway' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}
