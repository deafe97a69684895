/** The open Transaction sessions of a gateway: counted for stats, rolled back at shutdown. */
import type { GatewayError } from '../errors.js';
import type { TransactionInfo, TransactionObserver, TransactionSession } from './transaction-session.js';

/** Transaction outcome counters. */
export interface SessionCounts {
  readonly active: number;
  readonly committed: number;
  readonly rolledBack: number;
  readonly aborted: number;
}

/** Tracks sessions from begin to end. */
export class SessionRegistry implements TransactionObserver {
  private readonly open = new Set<TransactionSession>();
  private committed = 0;
  private rolledBack = 0;
  private aborted = 0;

  /** Starts tracking a session. */
  add(session: TransactionSession): void {
    this.open.add(session);
  }

  ended(session: TransactionSession, outcome: 'committed' | 'rolledBack' | 'aborted'): void {
    this.open.delete(session);
    if (outcome === 'committed') this.committed++;
    else if (outcome === 'rolledBack') this.rolledBack++;
    else this.aborted++;
  }

  /** The open transactions, oldest first. */
  openTransactions(): TransactionInfo[] {
    return [...this.open].map((s) => s.info()).sort((a, b) => a.openedAt - b.openedAt);
  }

  /** Counters for stats and metrics. */
  counts(): SessionCounts {
    return {
      active: this.open.size,
      committed: this.committed,
      rolledBack: this.rolledBack,
      aborted: this.aborted,
    };
  }

  /** Rolls back every open session (gateway shutdown); resolves when all have released their connections. */
  async abortAll(reason: GatewayError): Promise<void> {
    await Promise.all([...this.open].map((s) => s.abort(reason)));
  }
}
