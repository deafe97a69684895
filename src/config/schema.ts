/**
 * The gateway's configuration: its TypeScript shape and the one convict schema describing every
 * top-level key (doc, format, default, env). Clusters are a map of objects, which convict cannot
 * describe; `clusters` is one `Object` key here, validated strictly by `cluster-schema.ts`.
 *
 * Environment names: `server.*` keys are `GATEWAY_<KEY>`, every other key `GATEWAY_<SECTION>_<KEY>`,
 * except `profile`, which follows `NODE_ENV`.
 */

import type convict from 'convict';
import { MAX_INT32, MAX_TIMER_MS } from './checks.js';
import type { ClusterConfig } from './cluster-schema.js';
import type { PrincipalConfig } from './principal-schema.js';
import { FORMAT } from './convict-formats.js';
import { PROFILES, type Profile } from './profile.js';

/** pino log levels, most to least severe, then `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** OTLP exporter transports. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'grpc'] as const;
/** An OTLP exporter transport. */
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The gRPC listener (grpc-js `Server` options). */
export interface ServerConfig {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host: string;
  /** Port to listen on; 0 picks any free port. @default 50051 */
  readonly port: number;
  /** Largest request accepted, bytes (`grpc.max_receive_message_length`). @default 4 MiB */
  readonly maxReceiveMessageBytes: number;
  /** Largest response sent, bytes (`grpc.max_send_message_length`). @default 16 MiB */
  readonly maxSendMessageBytes: number;
  /** On shutdown, time given to running calls before they are cancelled, ms. @default 10000 */
  readonly shutdownGraceMs: number;
  /** HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` (`grpc.max_concurrent_streams`). @default 1000 */
  readonly maxConcurrentStreamsPerConnection: number;
  /** TLS of the gRPC listener; plaintext when `cert` is empty. */
  readonly tls: ServerTlsConfig;
  /** Interval of server keepalive pings, ms (`grpc.keepalive_time_ms`). @default 60000 */
  readonly keepaliveTimeMs: number;
  /** Time to wait for a ping ack before closing, ms (`grpc.keepalive_timeout_ms`). @default 20000 */
  readonly keepaliveTimeoutMs: number;
}

/** TLS of the gRPC listener; mutual TLS when `clientCa` is set. */
export interface ServerTlsConfig {
  /** Server certificate chain file (PEM), absolute after loading; '' = plaintext. @default '' */
  readonly cert: string;
  /** Server private key file (PEM), absolute after loading. @default '' */
  readonly key: string;
  /** CA file (PEM) that client certificates must chain to; set = client certificates required. @default '' */
  readonly clientCa: string;
}

/** Who may call: bearer tokens and client certificates mapped to principals. */
export interface AuthConfig {
  /** Authentication on. Off only by explicit config, with a loud warning at start. @default true */
  readonly enabled: boolean;
  /** Principals by name. @default {} */
  readonly principals: Readonly<Record<string, PrincipalConfig>>;
}

/** The admin HTTP listener (health, metrics, status page). */
export interface AdminConfig {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host: string;
  /** Port; 0 picks any free port, -1 disables the admin listener. @default 9464 */
  readonly port: number;
}

/** Logging. */
export interface LogConfig {
  /** Minimum level logged. @default 'info' */
  readonly level: LogLevel;
}

/** Request and result limits. */
export interface LimitsConfig {
  /** Largest SQL text accepted, bytes. @default 1 MiB */
  readonly maxSqlBytes: number;
  /** Most parameters per statement (MySQL's own limit is 65535). @default 65535 */
  readonly maxParams: number;
  /** Rows per result message when the client does not ask. @default 500 */
  readonly defaultRowsPerBatch: number;
  /** Most rows per result message a client may ask for. @default 10000 */
  readonly maxRowsPerBatch: number;
  /** A rows message is cut when it reaches this size, bytes. @default 1 MiB */
  readonly maxBatchBytes: number;
  /** Most rows one query may return; 0 = unlimited. @default 0 */
  readonly maxRowsPerQuery: number;
  /** Most result bytes one query may return; 0 = unlimited. @default 0 */
  readonly maxBytesPerQuery: number;
}

/** Interactive transactions. */
export interface TransactionsConfig {
  /** An open transaction idle this long is rolled back, ms (clients may ask for another). @default 30000 */
  readonly idleTimeoutMs: number;
  /** Largest idle timeout a client may ask for, ms. @default 300000 */
  readonly maxIdleTimeoutMs: number;
  /** A transaction open this long is rolled back whatever it does, ms. @default 600000 */
  readonly maxLifetimeMs: number;
}

/** OpenTelemetry tracing and metrics. */
export interface TelemetryConfig {
  /** Telemetry on at all. @default true */
  readonly enabled: boolean;
  /** OpenTelemetry `service.name`. @default 'mysql-grpc-gateway' */
  readonly serviceName: string;
  /** Share of traces sampled, 0 to 1 (parent-based ratio sampler). @default 1 */
  readonly samplingRatio: number;
  /** OTLP collector URL; '' = no OTLP export. @default '' */
  readonly otlpEndpoint: string;
  /** OTLP transport. @default 'http/protobuf' */
  readonly otlpProtocol: OtlpProtocol;
  /** Extra OpenTelemetry resource attributes. @default {} */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Append sqlcommenter comments (trace context) to statements. @default false */
  readonly sqlCommenter: boolean;
  /** Export metrics. @default true */
  readonly metricsEnabled: boolean;
}

/** The whole gateway configuration, as validated by `loadConfig`. */
export interface GatewayConfig {
  /** Profile that picked the defaults. @default 'development' ('production' when NODE_ENV=production) */
  readonly profile: Profile;
  readonly server: ServerConfig;
  readonly admin: AdminConfig;
  readonly log: LogConfig;
  readonly limits: LimitsConfig;
  readonly transactions: TransactionsConfig;
  readonly telemetry: TelemetryConfig;
  readonly auth: AuthConfig;
  /** Clusters by name. @default {} */
  readonly clusters: Readonly<Record<string, ClusterConfig>>;
}

/** What convict holds: everything but `clusters` and `auth.principals` fully typed. */
export type TopLevelSettings = Omit<GatewayConfig, 'clusters' | 'auth'> & {
  readonly clusters: Record<string, unknown>;
  readonly auth: Omit<AuthConfig, 'principals'> & { readonly principals: Record<string, unknown> };
};

const MIB = 1024 * 1024;

type Entry<T> = convict.SchemaObj<T> & { readonly doc: string; readonly env: string; readonly default: T };

function int(doc: string, env: string, def: number, min: number, max: number): Entry<number> {
  return { doc, env, default: def, format: FORMAT.int, min, max };
}
function ms(doc: string, env: string, def: number, min = 1): Entry<number> {
  return int(doc, env, def, min, MAX_TIMER_MS);
}
function bool(doc: string, env: string, def: boolean): Entry<boolean> {
  return { doc, env, default: def, format: FORMAT.boolean };
}
function str(doc: string, env: string, def: string, format: string = FORMAT.nonEmptyString): Entry<string> {
  return { doc, env, default: def, format };
}
function choice<T extends string>(doc: string, env: string, def: T, values: readonly T[]): Entry<T> {
  return { doc, env, default: def, format: [...values] };
}

/**
 * The convict schema. Every entry has `doc`, `format`, `default` and `env`; `renderConfigReference`
 * turns it into the README's reference table.
 */
export const gatewaySchema: convict.Schema<TopLevelSettings> = {
  profile: choice(
    'Deployment profile; picks pool sizes and SQL mode defaults for every cluster (production or ' +
      'development). NODE_ENV values other than production and development are ignored.',
    'NODE_ENV',
    'development',
    PROFILES,
  ),
  server: {
    host: str('Address the gRPC server listens on.', 'GATEWAY_HOST', '127.0.0.1'),
    port: int('Port the gRPC server listens on; 0 picks any free port.', 'GATEWAY_PORT', 50051, 0, 65535),
    maxReceiveMessageBytes: int(
      'Largest request message accepted, in bytes (grpc.max_receive_message_length).',
      'GATEWAY_MAX_RECEIVE_MESSAGE_BYTES',
      4 * MIB,
      1,
      MAX_INT32,
    ),
    maxSendMessageBytes: int(
      'Largest response message sent, in bytes (grpc.max_send_message_length).',
      'GATEWAY_MAX_SEND_MESSAGE_BYTES',
      16 * MIB,
      1,
      MAX_INT32,
    ),
    shutdownGraceMs: ms(
      'On shutdown, time running calls get to finish before they are cancelled, in milliseconds.',
      'GATEWAY_SHUTDOWN_GRACE_MS',
      10_000,
      0,
    ),
    maxConcurrentStreamsPerConnection: int(
      'Most concurrent calls per client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).',
      'GATEWAY_MAX_CONCURRENT_STREAMS_PER_CONNECTION',
      1000,
      1,
      MAX_INT32,
    ),
    tls: {
      cert: str(
        'Server certificate chain file (PEM), relative to the config file; empty means plaintext ' +
          '(only for loopback or a trusted network).',
        'GATEWAY_TLS_CERT',
        '',
        FORMAT.string,
      ),
      key: str('Server private key file (PEM); needs server.tls.cert.', 'GATEWAY_TLS_KEY', '', FORMAT.string),
      clientCa: str(
        'CA file (PEM) client certificates must chain to; when set, every client must present a ' +
          'certificate (mutual TLS), and its identity can name a principal (auth.principals.<name>.certIdentities).',
        'GATEWAY_TLS_CLIENT_CA',
        '',
        FORMAT.string,
      ),
    },
    keepaliveTimeMs: ms(
      'Interval between keepalive pings the server sends, in milliseconds (grpc.keepalive_time_ms).',
      'GATEWAY_KEEPALIVE_TIME_MS',
      60_000,
    ),
    keepaliveTimeoutMs: ms(
      'Time to wait for a keepalive ping ack before closing the connection, in milliseconds ' +
        '(grpc.keepalive_timeout_ms).',
      'GATEWAY_KEEPALIVE_TIMEOUT_MS',
      20_000,
    ),
  },
  admin: {
    host: str(
      'Address the admin HTTP server (health, metrics, status page) listens on. Its pages show ' +
        'internals (backend addresses, errors): on loopback they are open to local processes; on any ' +
        'other address, with auth on, every page but /healthz and /readyz needs an admin token.',
      'GATEWAY_ADMIN_HOST',
      '127.0.0.1',
    ),
    port: int(
      'Port of the admin HTTP server; 0 picks any free port, -1 disables it.',
      'GATEWAY_ADMIN_PORT',
      9464,
      -1,
      65535,
    ),
  },
  log: {
    level: choice(
      'Minimum log level: fatal, error, warn, info, debug, trace or silent.',
      'GATEWAY_LOG_LEVEL',
      'info',
      LOG_LEVELS,
    ),
  },
  limits: {
    maxSqlBytes: int(
      'Largest SQL text accepted, in bytes.',
      'GATEWAY_LIMITS_MAX_SQL_BYTES',
      MIB,
      1,
      MAX_INT32,
    ),
    maxParams: int(
      'Most parameters in one statement (MySQL allows at most 65535 placeholders).',
      'GATEWAY_LIMITS_MAX_PARAMS',
      65535,
      0,
      65535,
    ),
    defaultRowsPerBatch: int(
      'Rows per result message when the client does not choose; at most limits.maxRowsPerBatch.',
      'GATEWAY_LIMITS_DEFAULT_ROWS_PER_BATCH',
      500,
      1,
      MAX_INT32,
    ),
    maxRowsPerBatch: int(
      'Most rows per result message a client may ask for.',
      'GATEWAY_LIMITS_MAX_ROWS_PER_BATCH',
      10_000,
      1,
      MAX_INT32,
    ),
    maxBatchBytes: int(
      'A rows message is cut when it reaches this size, in bytes; at most server.maxSendMessageBytes.',
      'GATEWAY_LIMITS_MAX_BATCH_BYTES',
      MIB,
      1,
      MAX_INT32,
    ),
    maxRowsPerQuery: int(
      'Most rows one query may return before it fails; 0 means unlimited.',
      'GATEWAY_LIMITS_MAX_ROWS_PER_QUERY',
      0,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    maxBytesPerQuery: int(
      'Most result bytes one query may return before it fails RESOURCE_EXHAUSTED (values as sent, ' +
        'plus a few bytes of framing per value); 0 means unlimited.',
      'GATEWAY_LIMITS_MAX_BYTES_PER_QUERY',
      0,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  },
  transactions: {
    idleTimeoutMs: ms(
      'An open transaction idle for this long is rolled back, in milliseconds; clients may ask for ' +
        'another value up to transactions.maxIdleTimeoutMs.',
      'GATEWAY_TRANSACTIONS_IDLE_TIMEOUT_MS',
      30_000,
    ),
    maxIdleTimeoutMs: ms(
      'Largest idle timeout a client may ask for, in milliseconds.',
      'GATEWAY_TRANSACTIONS_MAX_IDLE_TIMEOUT_MS',
      300_000,
    ),
    maxLifetimeMs: ms(
      'A transaction open for this long is rolled back whatever it is doing, in milliseconds.',
      'GATEWAY_TRANSACTIONS_MAX_LIFETIME_MS',
      600_000,
    ),
  },
  telemetry: {
    enabled: bool('Turns tracing, metrics and log correlation on.', 'GATEWAY_TELEMETRY_ENABLED', true),
    serviceName: str(
      'OpenTelemetry service.name resource attribute.',
      'GATEWAY_TELEMETRY_SERVICE_NAME',
      'mysql-grpc-gateway',
    ),
    samplingRatio: {
      doc: 'Share of traces sampled, from 0 to 1 (parent-based trace-ID ratio sampler).',
      env: 'GATEWAY_TELEMETRY_SAMPLING_RATIO',
      default: 1,
      format: FORMAT.number,
      min: 0,
      max: 1,
    },
    otlpEndpoint: str(
      'OTLP collector URL (http:// or https://, no credentials); empty means no OTLP export.',
      'GATEWAY_TELEMETRY_OTLP_ENDPOINT',
      '',
      FORMAT.url,
    ),
    otlpProtocol: choice(
      'OTLP transport: http/protobuf or grpc.',
      'GATEWAY_TELEMETRY_OTLP_PROTOCOL',
      'http/protobuf',
      OTLP_PROTOCOLS,
    ),
    resourceAttributes: {
      doc: 'Extra OpenTelemetry resource attributes, a mapping of names to strings (JSON in the environment).',
      env: 'GATEWAY_TELEMETRY_RESOURCE_ATTRIBUTES',
      default: {},
      // A mapping: the loader reads and checks it itself (see top-level.ts).
      format: Object,
    },
    sqlCommenter: bool(
      'Appends sqlcommenter comments carrying the trace context to every statement.',
      'GATEWAY_TELEMETRY_SQL_COMMENTER',
      false,
    ),
    metricsEnabled: bool(
      'Exports metrics (needs telemetry.enabled).',
      'GATEWAY_TELEMETRY_METRICS_ENABLED',
      true,
    ),
  },
  auth: {
    enabled: bool(
      'Requires every Gateway and Admin call to carry credentials (a bearer token or a client ' +
        'certificate) that map to a principal. Turning it off lets anyone who reaches the port do ' +
        'anything, and is logged as a warning at start.',
      'GATEWAY_AUTH_ENABLED',
      true,
    ),
    principals: {
      doc:
        'Callers by name (letters, digits, _ and -): their credentials and what they may do. In the ' +
        'environment, the whole map as JSON. Keys of each principal are listed below.',
      env: 'GATEWAY_AUTH_PRINCIPALS',
      default: {},
      // A mapping: the loader reads it itself and validate-principals.ts checks it (see top-level.ts).
      format: Object,
    },
  },
  clusters: {
    doc:
      'MySQL/MariaDB clusters by name (letters, digits, _ and -). In the environment, the whole map ' +
      'as JSON; it then replaces the file clusters, and relative paths in it resolve against the ' +
      'working directory. Keys of each cluster are listed below.',
    env: 'GATEWAY_CLUSTERS',
    default: {},
    // A mapping: the loader reads it itself and validate-clusters.ts checks it (see top-level.ts).
    format: Object,
    // Holds passwords.
    sensitive: true,
  },
};
