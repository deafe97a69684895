/**
 * Configuration: schema, loader, secrets and reference. The only part of the gateway that reads
 * `process.env`.
 */

export type { Check } from './checks.js';
export type {
  BackendConfig,
  BackendSettings,
  ClusterConfig,
  ClusterSettings,
  HealthCheckSettings,
  PoolSettings,
  ReadPreference,
  ReconnectSettings,
  TlsSettings,
} from './cluster-schema.js';
export { backendSchema, clusterSchema, READ_PREFERENCES } from './cluster-schema.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export {
  PRINCIPAL_NAME,
  type PrincipalConfig,
  type PrincipalSettings,
  principalSchema,
} from './principal-schema.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js';
export { PROFILE_DEFAULTS, PROFILES, type Profile, type ProfileDefaults } from './profile.js';
export { type Redacted, redactedConfig } from './redact.js';
export { renderConfigReference } from './reference.js';
export type {
  AdminConfig,
  AuthConfig,
  GatewayConfig,
  LimitsConfig,
  LogConfig,
  LogLevel,
  OtlpProtocol,
  ServerConfig,
  ServerTlsConfig,
  TelemetryConfig,
  TransactionsConfig,
} from './schema.js';
export { gatewaySchema, LOG_LEVELS, OTLP_PROTOCOLS } from './schema.js';
export { REDACTED, Secret } from './secret.js';
export type { Env } from './top-level.js';
