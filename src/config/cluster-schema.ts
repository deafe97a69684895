/**
 * Clusters: their TypeScript shape and the declarations of their keys and their backends' keys
 * (`clusters.<name>.…`, `clusters.<name>.primary.…`, `clusters.<name>.replicas[i].…`), in the one
 * style of `keys.ts`, with profile-dependent defaults where the original design's
 * `getOptimizedConfig` had them.
 */

import { READ_PREFERENCES, type ReadPreference } from '../routing/choose-backend.js';
import {
  anyString,
  boolean,
  decimal,
  type Format,
  integer,
  MAX_TIMER_MS,
  matching,
  nonEmptyString,
  oneOf,
  sqlMode,
  token,
} from './formats.js';
import type { SchemaFor } from './keys.js';
import { profileDefault } from './profile.js';
import type { Secret } from './secret.js';

/** TLS to a backend (mysql2 `ssl` options). */
export interface TlsSettings {
  /** Use TLS. @default false */
  readonly enabled: boolean;
  /** Verify the server certificate and host name (`rejectUnauthorized`). @default true */
  readonly verify: boolean;
  /** CA bundle file, absolute after loading; '' = Node's default CAs. @default '' */
  readonly ca: string;
  /** Client certificate file for X.509 authentication, absolute after loading. @default '' */
  readonly cert: string;
  /** Client private key file, absolute after loading. @default '' */
  readonly key: string;
  /** Name expected in the server certificate (SNI); '' = the backend host. @default '' */
  readonly servername: string;
}

/** A backend as written in the configuration (password still a plain string). */
export interface BackendSettings {
  /** Host name or IP address. Required. */
  readonly host: string;
  /** TCP port. @default 3306 */
  readonly port: number;
  /** MySQL account. Required. */
  readonly user: string;
  /** Inline password. @default '' */
  readonly password: string;
  /** File holding the password (one trailing newline ignored), absolute after loading. @default '' */
  readonly passwordFile: string;
  /** Name of the environment variable holding the password. @default '' */
  readonly passwordEnv: string;
  /** Default schema (`USE`); '' = none. @default '' */
  readonly database: string;
  /** TCP connect and handshake timeout, ms (mysql2 `connectTimeout`). @default 5000 */
  readonly connectTimeoutMs: number;
  /** Longest wait for a server reply, ms; 0 = none. @default 30000 */
  readonly readTimeoutMs: number;
  /** Longest wait for a write to be flushed, ms; 0 = none. @default 30000 */
  readonly writeTimeoutMs: number;
  /** TCP keepalive on connections (mysql2 `enableKeepAlive`). @default true */
  readonly keepAlive: boolean;
  /** TCP keepalive initial delay, ms (mysql2 `keepAliveInitialDelay`). @default 60000 */
  readonly keepAliveIntervalMs: number;
  /** TLS settings. */
  readonly tls: TlsSettings;
  /** Connection character set (`SET NAMES`). @default 'utf8mb4' */
  readonly charset: string;
  /** Connection collation. @default 'utf8mb4_unicode_ci' */
  readonly collation: string;
  /** Session `sql_mode`; never contains NO_BACKSLASH_ESCAPES. @default by profile */
  readonly sqlMode: string;
  /** Share of reads a replica receives relative to the others; 0 = none. @default 1 */
  readonly weight: number;
  /** Display name in logs and metrics; `host:port` after loading when not set. @default '' */
  readonly name: string;
}

/** A loaded backend: its password resolved into a {@link Secret}. */
export interface BackendConfig extends Omit<BackendSettings, 'password'> {
  /** The password, from `password`, `passwordFile` or `passwordEnv` ('' when none is set). */
  readonly password: Secret;
}

/** Connection pool settings, one pool per backend. */
export interface PoolSettings {
  /** Connections kept open. @default production 5, development 1 */
  readonly min: number;
  /** Connections at most. @default production 20, development 5 */
  readonly max: number;
  /** Longest wait for a free connection, ms. @default 5000 */
  readonly acquireTimeoutMs: number;
  /** Most callers waiting for a connection; more fail at once with RESOURCE_EXHAUSTED. @default 1000 */
  readonly maxWaiting: number;
  /** Idle connections above `min` are closed after this long, ms; 0 = never. @default production 300000, development 60000 */
  readonly idleTimeoutMs: number;
  /** A connection idle this long is validated before use, ms; 0 = on every acquire. @default 30000 */
  readonly validationIntervalMs: number;
  /** Query that validates a connection; '' = COM_PING. @default '' */
  readonly validationQuery: string;
  /** Connections are replaced after this long, ms; 0 = never. @default 1800000 */
  readonly maxLifetimeMs: number;
  /** Random extra lifetime so connections do not all expire together, ms. @default 60000 */
  readonly lifetimeJitterMs: number;
  /** Interval of the idle/lifetime sweeper, ms. @default 1000 */
  readonly evictionIntervalMs: number;
}

/** Backend health checks. */
export interface HealthCheckSettings {
  /** Interval between checks, ms. @default 1000 */
  readonly intervalMs: number;
  /** A check slower than this fails, ms. @default 1000 */
  readonly timeoutMs: number;
  /** Consecutive failures that mark a backend down. @default 3 */
  readonly failuresToDown: number;
  /** Consecutive successes that mark a backend up again. @default 2 */
  readonly successesToUp: number;
  /** Extra SQL statements that must succeed, run after the built-in check. @default [] */
  readonly queries: readonly string[];
}

/** Reconnection after a backend connection fails: exponential backoff with full jitter. */
export interface ReconnectSettings {
  /** Attempts before giving up; 0 = no retry. @default 5 */
  readonly attempts: number;
  /** Backoff cap of the first retry, ms. @default 50 */
  readonly initialDelayMs: number;
  /** Largest backoff cap, ms. @default 2000 */
  readonly maxDelayMs: number;
}

/** Idempotency keys of a cluster: where they are recorded and how long they are kept. */
export interface IdempotencySettings {
  /** Schema of the key table; '' = the primary's default database. @default '' */
  readonly schema: string;
  /** Key table name, created at start when missing. @default 'mysqlgateway_idempotency' */
  readonly table: string;
  /** Keys are kept at least this long, ms. @default 86400000 (24 h) */
  readonly ttlMs: number;
  /** Interval of the expiry sweeper, ms. @default 60000 */
  readonly sweepIntervalMs: number;
}

/** Transactions on a cluster. */
export interface ClusterTransactionSettings {
  /** Replay transactions that do not ask (`BeginRequest.replay` false) on a lost connection. @default false */
  readonly replay: boolean;
}

/**
 * Hedged reads of a cluster (src/routing/hedge-policy.ts, src/session/hedge.ts): a read-only
 * Query that has not answered within the hedge delay is also sent to another eligible backend.
 */
export interface HedgingSettings {
  /** Hedge slow reads. @default false */
  readonly enabled: boolean;
  /** Most hedges as a share of reads, percent; 0 = never. @default 5 */
  readonly budgetPercent: number;
  /** Floor of the hedge delay, ms. @default 20 */
  readonly minDelayMs: number;
  /** Cap of the hedge delay, ms. @default 500 */
  readonly maxDelayMs: number;
}

/** A cluster as written in the configuration. */
export interface ClusterSettings {
  /** The read-write backend. Required. */
  readonly primary: BackendSettings;
  /** Read replicas. @default [] */
  readonly replicas: readonly BackendSettings[];
  /** Pool settings of every backend of the cluster. */
  readonly pool: PoolSettings;
  /** Read preference of requests that do not choose. @default 'REPLICA_PREFERRED' */
  readonly defaultReadPreference: ReadPreference;
  /** Replicas lagging more than this are not read from, ms; 0 = lag not checked. @default 5000 */
  readonly maxReplicaLagMs: number;
  /** Health checks. */
  readonly healthCheck: HealthCheckSettings;
  /** Reconnection backoff. */
  readonly reconnect: ReconnectSettings;
  /** Idempotency keys (Execute `idempotency_key`). */
  readonly idempotency: IdempotencySettings;
  /** Transactions' per-cluster defaults. */
  readonly transactions: ClusterTransactionSettings;
  /** Hedged reads. */
  readonly hedging: HedgingSettings;
}

/** A loaded cluster. */
export interface ClusterConfig extends Omit<ClusterSettings, 'primary' | 'replicas'> {
  /** The read-write backend. */
  readonly primary: BackendConfig;
  /** Read replicas. */
  readonly replicas: readonly BackendConfig[];
}

const ms = (min = 0): Format => integer(min, MAX_TIMER_MS);
const count = (min: number, max = 1_000_000): Format => integer(min, max);
const mysqlName = matching(/^[A-Za-z0-9_]+$/, 'a name made of letters, digits and _');
const envName = matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name', true);

/** Keys of every backend: `clusters.<name>.primary` and each `clusters.<name>.replicas[i]`. */
export const backendSchema: SchemaFor<BackendSettings> = {
  host: { doc: 'Host name or IP address of the MySQL/MariaDB server.', required: true, format: token },
  port: { doc: 'TCP port.', default: 3306, format: integer(1, 65535) },
  user: { doc: 'MySQL account the gateway connects as.', required: true, format: token },
  password: {
    doc: 'Password, inline. At most one of password, passwordFile and passwordEnv may be set.',
    default: '',
    format: anyString,
  },
  passwordFile: {
    doc: 'File holding the password (one trailing newline ignored); relative to the config file.',
    default: '',
    format: anyString,
  },
  passwordEnv: {
    doc: 'Name of the environment variable holding the password.',
    default: '',
    format: envName,
  },
  database: { doc: 'Default schema of the connections; empty means none.', default: '', format: anyString },
  connectTimeoutMs: {
    doc: 'TCP connect and handshake timeout, in milliseconds (mysql2 connectTimeout).',
    default: 5000,
    format: ms(1),
  },
  readTimeoutMs: {
    doc: 'Longest wait for a server reply, in milliseconds; 0 means none.',
    default: 30_000,
    format: ms(),
  },
  writeTimeoutMs: {
    doc: 'Longest wait for a request to be written, in milliseconds; 0 means none.',
    default: 30_000,
    format: ms(),
  },
  keepAlive: {
    doc: 'TCP keepalive on connections (mysql2 enableKeepAlive).',
    default: true,
    format: boolean,
  },
  keepAliveIntervalMs: {
    doc: 'TCP keepalive initial delay, in milliseconds (mysql2 keepAliveInitialDelay).',
    default: 60_000,
    format: ms(1),
  },
  tls: {
    enabled: { doc: 'Connects with TLS.', default: false, format: boolean },
    verify: {
      doc: 'Verifies the server certificate and host name (rejectUnauthorized).',
      default: true,
      format: boolean,
    },
    ca: {
      doc: 'CA bundle file (PEM), relative to the config file; empty means Node default CAs.',
      default: '',
      format: anyString,
    },
    cert: {
      doc: 'Client certificate file (PEM) for X.509 authentication; needs tls.key.',
      default: '',
      format: anyString,
    },
    key: { doc: 'Client private key file (PEM); needs tls.cert.', default: '', format: anyString },
    servername: {
      doc: 'Name expected in the server certificate (SNI); empty means the host.',
      default: '',
      format: anyString,
    },
  },
  charset: { doc: 'Connection character set (SET NAMES).', default: 'utf8mb4', format: mysqlName },
  collation: { doc: 'Connection collation.', default: 'utf8mb4_unicode_ci', format: mysqlName },
  sqlMode: {
    doc:
      'Session sql_mode, comma-separated. NO_BACKSLASH_ESCAPES is refused: it breaks the escaping ' +
      'of text-protocol parameters.',
    default: profileDefault('sqlMode'),
    format: sqlMode,
  },
  weight: {
    doc: 'Share of reads a replica receives relative to the other replicas; 0 means none.',
    default: 1,
    format: count(0, 1000),
  },
  name: {
    doc: 'Display name in logs and metrics; empty means host:port. Unique within the cluster.',
    default: '',
    format: anyString,
  },
};

/** Keys of each cluster, `clusters.<name>`. */
export const clusterSchema: SchemaFor<ClusterSettings, 'primary'> = {
  primary: { doc: 'The read-write backend.', required: true, object: backendSchema },
  replicas: { doc: 'Read replicas: a list of backends.', default: [], items: backendSchema },
  pool: {
    min: {
      doc: 'Connections each backend pool keeps open.',
      default: profileDefault('poolMin'),
      format: count(0),
    },
    max: {
      doc: 'Connections each backend pool opens at most.',
      default: profileDefault('poolMax'),
      format: count(1),
    },
    acquireTimeoutMs: {
      doc: 'Longest wait for a free connection, in milliseconds.',
      default: 5000,
      format: ms(1),
    },
    maxWaiting: {
      doc: 'Most callers waiting for a connection; more fail at once.',
      default: 1000,
      format: count(0),
    },
    idleTimeoutMs: {
      doc: 'Idle connections above pool.min are closed after this long, in milliseconds; 0 means never.',
      default: profileDefault('poolIdleTimeoutMs'),
      format: ms(),
    },
    validationIntervalMs: {
      doc: 'A connection idle for this long is validated before use, in milliseconds; 0 means always.',
      default: 30_000,
      format: ms(),
    },
    validationQuery: {
      doc: 'Statement that validates a connection; empty means COM_PING.',
      default: '',
      format: anyString,
    },
    maxLifetimeMs: {
      doc: 'Connections are replaced after this long, in milliseconds; 0 means never.',
      default: 1_800_000,
      format: ms(),
    },
    lifetimeJitterMs: {
      doc: 'Random extra lifetime, so connections do not all expire together, in milliseconds.',
      default: 60_000,
      format: ms(),
    },
    evictionIntervalMs: {
      doc: 'Interval of the idle and lifetime sweeper, in milliseconds.',
      default: 1000,
      format: ms(1),
    },
  },
  defaultReadPreference: {
    doc: 'Where reads go when a request does not say: PRIMARY, PRIMARY_PREFERRED, REPLICA or REPLICA_PREFERRED.',
    default: 'REPLICA_PREFERRED',
    format: oneOf(READ_PREFERENCES),
  },
  maxReplicaLagMs: {
    doc: 'Replicas lagging more than this are not read from, in milliseconds; 0 means lag is not checked.',
    default: 5000,
    format: ms(),
  },
  healthCheck: {
    intervalMs: { doc: 'Interval between health checks, in milliseconds.', default: 1000, format: ms(1) },
    timeoutMs: {
      doc: 'A health check slower than this fails, in milliseconds.',
      default: 1000,
      format: ms(1),
    },
    failuresToDown: {
      doc:
        'Consecutive failed checks that mark a backend down. A hung backend (sockets open, nothing answered) is down ' +
        'at most intervalMs + (failuresToDown - 1) * intervalMs + timeoutMs after it stopped answering (3-4 s with ' +
        'the defaults); calls that need a down primary then fail at once (UNAVAILABLE PRIMARY_UNRESPONSIVE) and ' +
        'statements in flight on a down backend fail at once.',
      default: 3,
      format: count(1),
    },
    successesToUp: {
      doc: 'Consecutive successful checks that mark a backend up again.',
      default: 2,
      format: count(1),
    },
    queries: {
      doc: 'Extra SQL statements a healthy backend must run without error.',
      default: [],
      items: nonEmptyString,
    },
  },
  reconnect: {
    attempts: {
      doc: 'Reconnection attempts before a backend connection is given up; 0 means none.',
      default: 5,
      format: count(0, 1000),
    },
    initialDelayMs: {
      doc: 'Backoff cap of the first attempt, in milliseconds (exponential backoff, full jitter).',
      default: 50,
      format: ms(),
    },
    maxDelayMs: { doc: 'Largest backoff cap, in milliseconds.', default: 2000, format: ms() },
  },
  idempotency: {
    schema: {
      doc:
        "Schema of the idempotency key table; empty means the primary's database. The gateway's " +
        'account needs CREATE (once), SELECT, INSERT, UPDATE and DELETE on it.',
      default: '',
      format: matching(/^[A-Za-z0-9_$]+$/, 'a schema name made of letters, digits, _ and $', true),
    },
    table: {
      doc: 'Name of the idempotency key table, created on the primary at start when missing.',
      default: 'mysqlgateway_idempotency',
      format: matching(/^[A-Za-z0-9_$]+$/, 'a table name made of letters, digits, _ and $'),
    },
    ttlMs: {
      doc: 'Idempotency keys are kept at least this long, in milliseconds (a retry after that runs again).',
      default: 86_400_000,
      format: integer(1, 365 * 86_400_000),
    },
    sweepIntervalMs: {
      doc: 'Interval of the task that deletes expired idempotency keys (500 rows per statement), in milliseconds.',
      default: 60_000,
      format: ms(1),
    },
  },
  transactions: {
    replay: {
      doc:
        'Replays every read-write transaction on this cluster whose connection is lost before COMMIT, ' +
        'as if its begin set replay (docs/transaction-replay.md); a begin with replay set replays whatever this says.',
      default: false,
      format: boolean,
    },
  },
  hedging: {
    enabled: {
      doc:
        'Hedges slow reads: a read-only Query (outside a transaction, nothing sent to the client yet) that has not ' +
        'answered within the hedge delay is also sent to another backend its read preference allows; the first answer ' +
        'wins and the other statement is killed. Off by default: a hedge runs the read twice, possibly on the primary ' +
        '(REPLICA_PREFERRED with one usable replica), and reads that are slow by nature are hedged too.',
      default: false,
      format: boolean,
    },
    budgetPercent: {
      doc:
        'Most hedges, as a percentage of reads (each read earns this share of a hedge, at most 10 saved up); 0 means ' +
        'never hedge.',
      default: 5,
      format: decimal(0, 100),
    },
    minDelayMs: {
      doc:
        "Floor of the hedge delay, in milliseconds. The delay is the backend's recent 95th percentile time to first " +
        'answer, between minDelayMs and maxDelayMs (maxDelayMs until enough reads were seen).',
      default: 20,
      format: ms(1),
    },
    maxDelayMs: {
      doc:
        'Cap of the hedge delay, in milliseconds: the longest a read waits for a backend that does not answer before ' +
        'it is hedged.',
      default: 500,
      format: ms(1),
    },
  },
};
