/**
 * The gateway's configuration: its TypeScript shape and the declaration of every top-level key
 * (doc, format, default, env), in the one style of `keys.ts`. `clusters` and `auth.principals`
 * are mappings whose entries follow `clusterSchema` and `principalSchema`.
 *
 * Environment names: `server.*` keys are `GATEWAY_<KEY>`, every other key `GATEWAY_<SECTION>_<KEY>`,
 * except `profile`, which follows `NODE_ENV`. The two mappings are read from JSON.
 */

import { finishCluster } from './cluster-rules.js';
import { type ClusterConfig, type ClusterSettings, clusterSchema } from './cluster-schema.js';
import {
  boolean,
  decimal,
  endpointUrl,
  type Format,
  integer,
  MAX_INT32,
  MAX_TIMER_MS,
  nonEmptyString,
  oneOf,
  anyString,
  stringMap,
} from './formats.js';
import type { SchemaFor } from './keys.js';
import { finishPrincipal } from './principal-rules.js';
import { type PrincipalConfig, type PrincipalSettings, principalSchema } from './principal-schema.js';
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
  /** Most steps in one Batch call. @default 1000 */
  readonly maxBatchSteps: number;
  /** Most rows all the steps of one Batch may return together. @default 10000 */
  readonly maxBatchResponseRows: number;
  /** Most encoded row bytes all the steps of one Batch may return together. @default 3145728 */
  readonly maxBatchResponseBytes: number;
}

/** Interactive transactions. */
export interface TransactionsConfig {
  /** An open transaction idle this long is rolled back, ms (clients may ask for another). @default 30000 */
  readonly idleTimeoutMs: number;
  /** Largest idle timeout a client may ask for, ms. @default 300000 */
  readonly maxIdleTimeoutMs: number;
  /** A transaction open this long is rolled back whatever it does, ms. @default 600000 */
  readonly maxLifetimeMs: number;
  /** Longest a transaction replay may take (reconnect, BEGIN, re-run), ms. @default 10000 */
  readonly replayTimeoutMs: number;
  /** Past this many recorded statements a transaction is no longer replayable. @default 1000 */
  readonly replayMaxStatements: number;
  /** Past this many recorded bytes (SQL + parameters) a transaction is no longer replayable. @default 4194304 */
  readonly replayMaxBytes: number;
  /** Replay a transaction that MySQL rolled back on a deadlock (1213) too. @default false */
  readonly replayOnDeadlock: boolean;
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
  /** Statements at least this long are logged once (digest, never values), ms; 0 = off. @default 1000 */
  readonly slowStatementMs: number;
  /** Query digest statistics (Admin.GetQueryStats, `/status.json`, the top-digest metrics). */
  readonly queryDigests: QueryDigestsConfig;
}

/** Query digest statistics: statements counted by digest text, cluster, role, principal and tag. */
export interface QueryDigestsConfig {
  /** Count statements by digest (works with telemetry.enabled false too). @default true */
  readonly enabled: boolean;
  /** Most digest entries kept; the least used fold into one `other` entry. @default 1000 */
  readonly maxEntries: number;
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

/** The configuration as written: clusters and principals before their secrets are loaded. */
export type GatewaySettings = Omit<GatewayConfig, 'clusters' | 'auth'> & {
  readonly clusters: Readonly<Record<string, ClusterSettings>>;
  readonly auth: Omit<AuthConfig, 'principals'> & {
    readonly principals: Readonly<Record<string, PrincipalSettings>>;
  };
};

const MIB = 1024 * 1024;
const ms = (min = 1): Format => integer(min, MAX_TIMER_MS);
const size = (min = 1): Format => integer(min, MAX_INT32);

/** `NODE_ENV` selects a profile only when it names one (`test`, `staging`... are ignored). */
const profileFormat: Format = {
  ...oneOf(PROFILES),
  coerce: (text) => PROFILES.find((p) => p === text),
};

/**
 * Every top-level key. `renderConfigReference` turns this, with the cluster, backend and principal
 * schemas, into the configuration reference.
 */
export const gatewaySchema: SchemaFor<GatewaySettings> = {
  profile: {
    doc:
      'Deployment profile; picks pool sizes and SQL mode defaults for every cluster (production or ' +
      'development). NODE_ENV values other than production and development are ignored.',
    env: 'NODE_ENV',
    default: 'development',
    format: profileFormat,
  },
  server: {
    host: {
      doc: 'Address the gRPC server listens on.',
      env: 'GATEWAY_HOST',
      default: '127.0.0.1',
      format: nonEmptyString,
    },
    port: {
      doc: 'Port the gRPC server listens on; 0 picks any free port.',
      env: 'GATEWAY_PORT',
      default: 50051,
      format: integer(0, 65535),
    },
    maxReceiveMessageBytes: {
      doc: 'Largest request message accepted, in bytes (grpc.max_receive_message_length).',
      env: 'GATEWAY_MAX_RECEIVE_MESSAGE_BYTES',
      default: 4 * MIB,
      format: size(),
    },
    maxSendMessageBytes: {
      doc: 'Largest response message sent, in bytes (grpc.max_send_message_length).',
      env: 'GATEWAY_MAX_SEND_MESSAGE_BYTES',
      default: 16 * MIB,
      format: size(),
    },
    shutdownGraceMs: {
      doc: 'On shutdown, time running calls get to finish before they are cancelled, in milliseconds.',
      env: 'GATEWAY_SHUTDOWN_GRACE_MS',
      default: 10_000,
      format: ms(0),
    },
    maxConcurrentStreamsPerConnection: {
      doc: 'Most concurrent calls per client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).',
      env: 'GATEWAY_MAX_CONCURRENT_STREAMS_PER_CONNECTION',
      default: 1000,
      format: size(),
    },
    tls: {
      cert: {
        doc:
          'Server certificate chain file (PEM), relative to the config file; empty means plaintext ' +
          '(only for loopback or a trusted network).',
        env: 'GATEWAY_TLS_CERT',
        default: '',
        format: anyString,
      },
      key: {
        doc: 'Server private key file (PEM); needs server.tls.cert.',
        env: 'GATEWAY_TLS_KEY',
        default: '',
        format: anyString,
      },
      clientCa: {
        doc:
          'CA file (PEM) client certificates must chain to; when set, every client must present a ' +
          'certificate (mutual TLS), and its identity can name a principal (auth.principals.<name>.certIdentities).',
        env: 'GATEWAY_TLS_CLIENT_CA',
        default: '',
        format: anyString,
      },
    },
    keepaliveTimeMs: {
      doc: 'Interval between keepalive pings the server sends, in milliseconds (grpc.keepalive_time_ms).',
      env: 'GATEWAY_KEEPALIVE_TIME_MS',
      default: 60_000,
      format: ms(),
    },
    keepaliveTimeoutMs: {
      doc:
        'Time to wait for a keepalive ping ack before closing the connection, in milliseconds ' +
        '(grpc.keepalive_timeout_ms).',
      env: 'GATEWAY_KEEPALIVE_TIMEOUT_MS',
      default: 20_000,
      format: ms(),
    },
  },
  admin: {
    host: {
      doc:
        'Address the admin HTTP server (health, metrics, status page) listens on. Its pages show ' +
        'internals (backend addresses, errors): on loopback they are open to local processes; on any ' +
        'other address, with auth on, every page but /healthz and /readyz needs an admin token.',
      env: 'GATEWAY_ADMIN_HOST',
      default: '127.0.0.1',
      format: nonEmptyString,
    },
    port: {
      doc: 'Port of the admin HTTP server; 0 picks any free port, -1 disables it.',
      env: 'GATEWAY_ADMIN_PORT',
      default: 9464,
      format: integer(-1, 65535),
    },
  },
  log: {
    level: {
      doc: 'Minimum log level: fatal, error, warn, info, debug, trace or silent.',
      env: 'GATEWAY_LOG_LEVEL',
      default: 'info',
      format: oneOf(LOG_LEVELS),
    },
  },
  limits: {
    maxSqlBytes: {
      doc: 'Largest SQL text accepted, in bytes.',
      env: 'GATEWAY_LIMITS_MAX_SQL_BYTES',
      default: MIB,
      format: size(),
    },
    maxParams: {
      doc: 'Most parameters in one statement (MySQL allows at most 65535 placeholders).',
      env: 'GATEWAY_LIMITS_MAX_PARAMS',
      default: 65535,
      format: integer(0, 65535),
    },
    defaultRowsPerBatch: {
      doc: 'Rows per result message when the client does not choose; at most limits.maxRowsPerBatch.',
      env: 'GATEWAY_LIMITS_DEFAULT_ROWS_PER_BATCH',
      default: 500,
      format: size(),
    },
    maxRowsPerBatch: {
      doc: 'Most rows per result message a client may ask for.',
      env: 'GATEWAY_LIMITS_MAX_ROWS_PER_BATCH',
      default: 10_000,
      format: size(),
    },
    maxBatchBytes: {
      doc: 'A rows message is cut when it reaches this size, in bytes; at most server.maxSendMessageBytes.',
      env: 'GATEWAY_LIMITS_MAX_BATCH_BYTES',
      default: MIB,
      format: size(),
    },
    maxRowsPerQuery: {
      doc: 'Most rows one query may return before it fails; 0 means unlimited.',
      env: 'GATEWAY_LIMITS_MAX_ROWS_PER_QUERY',
      default: 0,
      format: integer(0, Number.MAX_SAFE_INTEGER),
    },
    maxBytesPerQuery: {
      doc:
        'Most result bytes one query may return before it fails RESOURCE_EXHAUSTED (values as sent, ' +
        'plus a few bytes of framing per value); 0 means unlimited.',
      env: 'GATEWAY_LIMITS_MAX_BYTES_PER_QUERY',
      default: 0,
      format: integer(0, Number.MAX_SAFE_INTEGER),
    },
    maxBatchSteps: {
      doc: 'Most steps (statements) in one Batch call; a larger batch fails INVALID_ARGUMENT before anything runs.',
      env: 'GATEWAY_LIMITS_MAX_BATCH_STEPS',
      default: 1000,
      format: integer(1, 1_000_000),
    },
    maxBatchResponseRows: {
      doc:
        'Most rows all the steps of one Batch may return together; the step that would pass it fails ' +
        'RESOURCE_EXHAUSTED (BATCH_RESPONSE_LIMIT) and later steps are skipped.',
      env: 'GATEWAY_LIMITS_MAX_BATCH_RESPONSE_ROWS',
      default: 10_000,
      format: integer(1, Number.MAX_SAFE_INTEGER),
    },
    maxBatchResponseBytes: {
      doc:
        'Most encoded row bytes all the steps of one Batch may return together, as limits.maxBatchResponseRows ' +
        "(the default keeps a response under gRPC clients' usual 4 MiB receive limit); at most " +
        'server.maxSendMessageBytes.',
      env: 'GATEWAY_LIMITS_MAX_BATCH_RESPONSE_BYTES',
      default: 3 * MIB,
      format: size(),
    },
  },
  transactions: {
    idleTimeoutMs: {
      doc:
        'An open transaction idle for this long is rolled back, in milliseconds; clients may ask for ' +
        'another value up to transactions.maxIdleTimeoutMs.',
      env: 'GATEWAY_TRANSACTIONS_IDLE_TIMEOUT_MS',
      default: 30_000,
      format: ms(),
    },
    maxIdleTimeoutMs: {
      doc: 'Largest idle timeout a client may ask for, in milliseconds.',
      env: 'GATEWAY_TRANSACTIONS_MAX_IDLE_TIMEOUT_MS',
      default: 300_000,
      format: ms(),
    },
    maxLifetimeMs: {
      doc: 'A transaction open for this long is rolled back whatever it is doing, in milliseconds.',
      env: 'GATEWAY_TRANSACTIONS_MAX_LIFETIME_MS',
      default: 600_000,
      format: ms(),
    },
    replayTimeoutMs: {
      doc:
        'Longest a transaction replay may take, in milliseconds: waiting for the primary, BEGIN and ' +
        're-running the recorded statements (also bounded by the call deadline). See docs/transaction-replay.md.',
      env: 'GATEWAY_TRANSACTIONS_REPLAY_TIMEOUT_MS',
      default: 10_000,
      format: ms(),
    },
    replayMaxStatements: {
      doc:
        'A replayable transaction records at most this many statements; past it, replay is off for ' +
        'the rest of that transaction and a lost connection ends it as without replay.',
      env: 'GATEWAY_TRANSACTIONS_REPLAY_MAX_STATEMENTS',
      default: 1000,
      format: integer(1, 1_000_000),
    },
    replayMaxBytes: {
      doc:
        'A replayable transaction records at most this many bytes of SQL text and parameters; past ' +
        'it, replay is off for the rest of that transaction (results are never kept, only checksums).',
      env: 'GATEWAY_TRANSACTIONS_REPLAY_MAX_BYTES',
      default: 4 * MIB,
      format: size(),
    },
    replayOnDeadlock: {
      doc:
        'Replays a replayable transaction that MySQL rolled back on a deadlock (errno 1213) instead of ' +
        'ending it ABORTED DEADLOCK.',
      env: 'GATEWAY_TRANSACTIONS_REPLAY_ON_DEADLOCK',
      default: false,
      format: boolean,
    },
  },
  telemetry: {
    enabled: {
      doc: 'Turns tracing, metrics and log correlation on.',
      env: 'GATEWAY_TELEMETRY_ENABLED',
      default: true,
      format: boolean,
    },
    serviceName: {
      doc: 'OpenTelemetry service.name resource attribute.',
      env: 'GATEWAY_TELEMETRY_SERVICE_NAME',
      default: 'mysql-grpc-gateway',
      format: nonEmptyString,
    },
    samplingRatio: {
      doc: 'Share of traces sampled, from 0 to 1 (parent-based trace-ID ratio sampler).',
      env: 'GATEWAY_TELEMETRY_SAMPLING_RATIO',
      default: 1,
      format: decimal(0, 1),
    },
    otlpEndpoint: {
      doc: 'OTLP collector URL (http:// or https://, no credentials); empty means no OTLP export.',
      env: 'GATEWAY_TELEMETRY_OTLP_ENDPOINT',
      default: '',
      format: endpointUrl,
    },
    otlpProtocol: {
      doc: 'OTLP transport: http/protobuf or grpc.',
      env: 'GATEWAY_TELEMETRY_OTLP_PROTOCOL',
      default: 'http/protobuf',
      format: oneOf(OTLP_PROTOCOLS),
    },
    resourceAttributes: {
      doc: 'Extra OpenTelemetry resource attributes, a mapping of names to strings (JSON in the environment).',
      env: 'GATEWAY_TELEMETRY_RESOURCE_ATTRIBUTES',
      default: {},
      format: stringMap,
    },
    sqlCommenter: {
      doc: 'Appends sqlcommenter comments carrying the trace context to every statement.',
      env: 'GATEWAY_TELEMETRY_SQL_COMMENTER',
      default: false,
      format: boolean,
    },
    metricsEnabled: {
      doc: 'Exports metrics (needs telemetry.enabled).',
      env: 'GATEWAY_TELEMETRY_METRICS_ENABLED',
      default: true,
      format: boolean,
    },
    slowStatementMs: {
      doc:
        'Statements running at least this long are logged once ("slow statement": digest text, ' +
        'duration, rows, backend, principal, request tag; never values), in milliseconds; 0 turns the log off.',
      env: 'GATEWAY_TELEMETRY_SLOW_STATEMENT_MS',
      default: 1000,
      format: integer(0, MAX_TIMER_MS),
    },
    queryDigests: {
      enabled: {
        doc:
          'Counts every statement under its digest (literals and value lists folded) per cluster, backend ' +
          'role, principal and request tag: Admin.GetQueryStats, /status.json and the top-digest metrics. ' +
          'Independent of telemetry.enabled.',
        env: 'GATEWAY_TELEMETRY_QUERY_DIGESTS_ENABLED',
        default: true,
        format: boolean,
      },
      maxEntries: {
        doc: 'Most digest entries kept; when full, the least used are folded into one "other" entry.',
        env: 'GATEWAY_TELEMETRY_QUERY_DIGESTS_MAX_ENTRIES',
        default: 1000,
        format: integer(1, 1_000_000),
      },
    },
  },
  auth: {
    enabled: {
      doc:
        'Requires every Gateway and Admin call to carry credentials (a bearer token or a client ' +
        'certificate) that map to a principal. Turning it off lets anyone who reaches the port do ' +
        'anything, and is logged as a warning at start.',
      env: 'GATEWAY_AUTH_ENABLED',
      default: true,
      format: boolean,
    },
    principals: {
      doc:
        'Callers by name (letters, digits, _ and -): their credentials and what they may do. In the ' +
        'environment, the whole map as JSON. Keys of each principal are listed below.',
      env: 'GATEWAY_AUTH_PRINCIPALS',
      default: {},
      noun: 'principal',
      entries: principalSchema,
      finish: finishPrincipal,
    },
  },
  clusters: {
    doc:
      'MySQL/MariaDB clusters by name (letters, digits, _ and -). In the environment, the whole map ' +
      'as JSON; it then replaces the file clusters, and relative paths in it resolve against the ' +
      'working directory. Keys of each cluster are listed below.',
    env: 'GATEWAY_CLUSTERS',
    default: {},
    noun: 'cluster',
    entries: clusterSchema,
    finish: finishCluster,
  },
};
