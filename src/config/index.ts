/**
 * Configuration: key declarations, loader, secrets and reference. The only part of the gateway
 * that reads `process.env`.
 */

export type {
  BackendConfig,
  BackendSettings,
  ClusterConfig,
  ClusterSettings,
  HealthCheckSettings,
  PoolSettings,
  ReconnectSettings,
  TlsSettings,
} from './cluster-schema.js';
export { backendSchema, clusterSchema } from './cluster-schema.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export type { Check, Format } from './formats.js';
export type { Key, ListKey, MapKey, ObjectKey, Schema, SchemaFor, ValueKey } from './keys.js';
export { type PrincipalConfig, type PrincipalSettings, principalSchema } from './principal-schema.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js';
export { PROFILE_DEFAULTS, PROFILES, type Profile, type ProfileDefaults } from './profile.js';
export { type Redacted, redactedConfig } from './redact.js';
export { renderConfigReference } from './reference.js';
export type {
  AdminConfig,
  AuthConfig,
  GatewayConfig,
  GatewaySettings,
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
export type { Env } from './validate.js';
