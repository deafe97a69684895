/** One problem found in the configuration. */
export interface ConfigIssue {
  /**
   * Full path of the offending key, e.g. `clusters.default.replicas[1].port`; for problems with
   * the configuration source itself, `--config` or `GATEWAY_CONFIG`.
   */
  readonly key: string;
  /** What is wrong. Never contains a secret or, for that matter, any configured value. */
  readonly message: string;
}

/**
 * The configuration cannot be used: the gateway must not start.
 *
 * A plain `Error` subclass (not a `GatewayError`: no client ever sees it). It lists every problem
 * found, each with its full key path, so one start attempt reports them all. Messages name keys,
 * files and environment variable names, never values read from files or secrets.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Key path of the first problem (see {@link ConfigIssue.key}). */
  readonly key: string;
  /** Every problem found, in the order they were found; never empty. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0] ?? { key: '', message: 'invalid configuration' };
    super(
      issues.length <= 1
        ? `invalid configuration: ${describe(first)}`
        : `invalid configuration (${issues.length} problems):\n${issues.map((i) => `  ${describe(i)}`).join('\n')}`,
    );
    this.key = first.key;
    this.issues = Object.freeze(issues.length === 0 ? [first] : [...issues]);
  }

  /** A `ConfigError` with a single problem. */
  static at(key: string, message: string): ConfigError {
    return new ConfigError([{ key, message }]);
  }
}

function describe(issue: ConfigIssue): string {
  return issue.key === '' ? issue.message : `${issue.key}: ${issue.message}`;
}
