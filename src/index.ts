/**
 * The package's main entry (`mysql-grpc-gateway`): run a gateway inside a Node process, from a
 * configuration loaded the same way the command loads it. Callers use `mysql-grpc-gateway/client`.
 */
export { hashToken, newToken } from './auth/tokens.js';
export {
  ConfigError,
  type GatewayConfig,
  type LoadConfigOptions,
  loadConfig,
  redactedConfig,
} from './config/index.js';
export { Code, GatewayError } from './errors.js';
export { Gateway, type GatewayOptions } from './gateway.js';
export { createLogger, type Logger } from './telemetry/logger.js';
