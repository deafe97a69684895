import { inspect } from 'node:util';

/** What a {@link Secret} prints as, everywhere. */
export const REDACTED = '[REDACTED]';

/**
 * A secret string (a database password) that cannot be printed by accident.
 *
 * The value lives in a private field: `JSON.stringify`, `util.inspect`, `String()`, template
 * literals and loggers all see `[REDACTED]`. Only {@link Secret.reveal} returns it, and should be
 * called at the one place that hands it to the driver.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret value. Call only where it is handed to the MySQL driver. */
  reveal(): string {
    return this.#value;
  }

  /** `true` when the secret is the empty string (e.g. a passwordless account). */
  get isEmpty(): boolean {
    return this.#value === '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
