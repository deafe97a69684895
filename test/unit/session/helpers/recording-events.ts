/**
 * A {@link TransactionEvents} that records every event in order, with the session's state at the
 * moment it was reported, and lets a test await an event instead of sleeping.
 */
import type { GatewayError } from '../../../../src/errors.js';
import type {
  ExecuteTotals,
  QueryTotals,
  ReplayInfo,
  ResultColumn,
  TransactionEvents,
} from '../../../../src/session/commands.js';
import type { TransactionState } from '../../../../src/session/transaction-session.js';

export type EventType =
  | 'begun'
  | 'columns'
  | 'rows'
  | 'done'
  | 'executed'
  | 'committed'
  | 'rolledBack'
  | 'failed'
  | 'replayed'
  | 'end'
  | 'pauseInput'
  | 'resumeInput';

export interface RecordedEvent {
  readonly type: EventType;
  /** Request id ('' for end and input flow control). */
  readonly id: string;
  /** The session's state when the event was reported. */
  readonly state: TransactionState | undefined;
  readonly err?: GatewayError | undefined;
  readonly data?: unknown;
}

/** How long awaiting an event may take before the test fails (real time: only a safety net). */
const WAIT_LIMIT_MS = 2000;

export class RecordingEvents implements TransactionEvents {
  readonly events: RecordedEvent[] = [];
  readonly drainWaiters: (() => void)[] = [];
  /** Read when recording, so that each event carries the session's state. */
  stateOf: () => TransactionState | undefined = () => undefined;
  /** What rows() returns. */
  acceptRows = true;
  /** Throws from begun() (a bug in the events' consumer). */
  failBegun: Error | undefined;
  readonly #waiters: { pred: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }[] = [];

  begun(id: string, backend: string, connectionId: number): void {
    this.record({ type: 'begun', id, data: { backend, connectionId } });
    if (this.failBegun) throw this.failBegun;
  }
  replayed(info: ReplayInfo): void {
    this.record({ type: 'replayed', id: '', data: info });
  }
  columns(id: string, columns: readonly ResultColumn[]): void {
    this.record({ type: 'columns', id, data: columns });
  }
  rows(id: string, rows: unknown): boolean {
    this.record({ type: 'rows', id, data: rows });
    return this.acceptRows;
  }
  onceDrain(cb: () => void): void {
    this.drainWaiters.push(cb);
  }
  done(id: string, totals: QueryTotals): void {
    this.record({ type: 'done', id, data: totals });
  }
  executed(id: string, totals: ExecuteTotals): void {
    this.record({ type: 'executed', id, data: totals });
  }
  committed(id: string, consistencyToken: string): void {
    this.record({ type: 'committed', id, data: consistencyToken });
  }
  rolledBack(id: string): void {
    this.record({ type: 'rolledBack', id });
  }
  failed(id: string, err: GatewayError): void {
    this.record({ type: 'failed', id, err });
  }
  end(err?: GatewayError): void {
    this.record({ type: 'end', id: '', err });
  }
  pauseInput(): void {
    this.record({ type: 'pauseInput', id: '' });
  }
  resumeInput(): void {
    this.record({ type: 'resumeInput', id: '' });
  }

  /** Events as `type` or `type:id`, for compact deep-equal assertions. */
  get trail(): string[] {
    return this.events.map((e) => (e.id ? `${e.type}:${e.id}` : e.type));
  }

  /** The end events (the stream must end exactly once). */
  get ends(): RecordedEvent[] {
    return this.events.filter((e) => e.type === 'end');
  }

  /** The failed event answering `id`. */
  failure(id: string): GatewayError | undefined {
    return this.events.find((e) => e.type === 'failed' && e.id === id)?.err;
  }

  /** Resolves with the first event (past or future) matching `type` (and `id` when given). */
  waitFor(type: EventType, id?: string): Promise<RecordedEvent> {
    const pred = (e: RecordedEvent) => e.type === type && (id === undefined || e.id === id);
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${type}${id ? ` for ${id}` : ''} event; saw ${this.trail.join(', ')}`)),
        WAIT_LIMIT_MS,
      );
      this.#waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Resolves with the stream's end event. */
  ended(): Promise<RecordedEvent> {
    return this.waitFor('end');
  }

  private record(e: Omit<RecordedEvent, 'state'>): void {
    const event = { ...e, state: this.stateOf() };
    this.events.push(event);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i];
      if (w?.pred(event)) {
        this.#waiters.splice(i, 1);
        w.resolve(event);
      }
    }
  }
}
