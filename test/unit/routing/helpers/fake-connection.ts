/** A fake {@link ProbeConnection} answering statements from a table, and a connector opening them. */

import type { FieldPacket } from 'mysql2';
import type { RowSink, StatementOutcome } from '../../../../src/backend/connection.js';
import { resultShape } from '../../../../src/sql/values.js';
import type { ProbeConnection, ProbeConnector } from '../../../../src/routing/mysql-probe.js';
import { deferred, type Deferred } from '../../pool/helpers/fake-hooks.js';

/** A result: column names and rows. */
export interface FakeResult {
  readonly names: readonly string[];
  readonly rows: readonly unknown[][];
}

/** What a statement does: return a result, fail, or never answer. */
export type FakeAnswer = FakeResult | Error | 'hang';

/** A MySQL server error as the gateway sees it (errno + SQLSTATE). */
export function serverError(errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { errno, sqlState });
}

export class FakeConnection implements ProbeConnection {
  readonly statements: string[] = [];
  brokenFlag = false;
  closeCalls = 0;
  destroyCalls = 0;

  constructor(
    readonly id: number,
    readonly answers: Map<string, FakeAnswer>,
    readonly isMariaDb: boolean,
  ) {}

  get broken(): boolean {
    return this.brokenFlag || this.closeCalls > 0 || this.destroyCalls > 0;
  }

  run(sql: string, _params: readonly unknown[], sink: RowSink | undefined): Promise<StatementOutcome> {
    return this.answer(sql).then((result) => {
      const fields = result.names.map((name) => ({ name }) as FieldPacket);
      sink?.fields(fields, 'binary', resultShape(fields, 'binary'));
      for (const row of result.rows) sink?.row([...row]);
      return { rowCount: result.rows.length, header: undefined, protocol: 'binary' };
    });
  }

  exec(sql: string): Promise<void> {
    return this.answer(sql).then(() => undefined);
  }

  close(): Promise<void> {
    this.closeCalls++;
    return Promise.resolve();
  }

  destroy(): void {
    this.destroyCalls++;
  }

  private answer(sql: string): Promise<FakeResult> {
    this.statements.push(sql);
    if (this.broken) return Promise.reject(Object.assign(new Error('connection closed'), { fatal: true }));
    const answer = this.answers.get(sql);
    if (answer === undefined) return Promise.reject(new Error(`fake connection: no answer for ${sql}`));
    if (answer === 'hang') return new Promise(() => {});
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer);
  }
}

/** Opens {@link FakeConnection}s sharing one answer table; opens can be failed or held. */
export class FakeConnector implements ProbeConnector {
  readonly answers = new Map<string, FakeAnswer>();
  readonly opened: FakeConnection[] = [];
  readonly openFailures: Error[] = [];
  readonly heldOpens: Deferred<FakeConnection>[] = [];
  holdOpens = false;
  isMariaDb = true;

  openOnce(): Promise<FakeConnection> {
    const failure = this.openFailures.shift();
    if (failure) return Promise.reject(failure);
    const conn = new FakeConnection(this.opened.length + 1, this.answers, this.isMariaDb);
    this.opened.push(conn);
    if (!this.holdOpens) return Promise.resolve(conn);
    const held = deferred<FakeConnection>();
    this.heldOpens.push(held);
    return held.promise.then(() => conn);
  }
}
