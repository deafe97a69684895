/**
 * A fake {@link DbConnection}: the parts the session layer touches (threadId, broken, poison,
 * abort, pause/resume), with every call counted. `lose()` plays a socket dropping mid-statement.
 */
import type { DbConnection } from '../../../../src/backend/connection.js';

/** A driver error for a lost socket, as mysql2 reports one (fatal, network code). */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`read ${code}`), { code, fatal: true });
}

/** A MySQL server error as mysql2 reports one (errno + SQLSTATE). */
export function serverError(errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { errno, sqlState });
}

export class FakeConnection {
  readonly isMariaDb = true;
  pauses = 0;
  resumes = 0;
  paused = false;
  /** Reasons passed to poison()/abort(), in order. */
  readonly poisoned: unknown[] = [];
  /** Set by FakeBackend.run while a statement is in flight: fails it at once. */
  failInflight: ((err: unknown) => void) | undefined;
  #brokenReason: unknown;

  constructor(readonly threadId: number) {}

  get broken(): boolean {
    return this.#brokenReason !== undefined;
  }

  get brokenCause(): unknown {
    return this.#brokenReason;
  }

  poison(reason: unknown): void {
    this.poisoned.push(reason);
    this.#brokenReason ??= reason ?? new Error('connection poisoned');
  }

  abort(reason: unknown): void {
    this.poison(reason);
    this.failInflight?.(reason);
  }

  pause(): void {
    this.pauses++;
    this.paused = true;
  }

  resume(): void {
    this.resumes++;
    this.paused = false;
  }

  /** The socket dropped: the connection is broken and the statement in flight fails with `err`. */
  lose(err: Error = networkError()): void {
    this.#brokenReason ??= err;
    this.failInflight?.(err);
  }

  /** This fake where the session expects a real connection. */
  get db(): DbConnection {
    return this as unknown as DbConnection;
  }
}
