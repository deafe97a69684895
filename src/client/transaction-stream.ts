/**
 * One Transaction call: requests are written as soon as they are made (so statements
 * pipeline), responses are routed to their request by `request_id`, and the end of the stream
 * settles whatever is still waiting.
 *
 * Flow control: a query being read may pause the stream only while it is the last request
 * written (nothing behind it waits for its turn). Once another request is written, or the
 * transaction is finishing, the stream flows and unread rows are buffered.
 */
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { abortedBySignal, GatewayClientError, StatusCode } from './errors.js';
import {
  decodeReplayed,
  type TransactionReplay,
  type TransactionRequestOut,
  type TransactionResponseIn,
} from './messages.js';

/** Receives the responses to one request. */
export interface ResponseHandler {
  /** One response for this request; returns true when it was the last one. */
  onMessage(msg: TransactionResponseIn): boolean;
  /** The stream ended before the request was answered. */
  onEnd(err: GatewayClientError): void;
}

/** A request action: the `TransactionRequest` without its id. */
export type RequestAction = Omit<TransactionRequestOut, 'request_id'>;

/** A failed request and whether the caller ever looked at its outcome. */
interface Failure {
  readonly error: GatewayClientError;
  readonly observed: () => boolean;
}

/** A Transaction call with request/response matching. */
export class TransactionStream {
  private readonly call: ClientDuplexStream<TransactionRequestOut, TransactionResponseIn>;
  private readonly pending = new Map<string, ResponseHandler>();
  private readonly failures: Failure[] = [];
  private seq = 0;
  private lastId = '';
  private pausedFor: string | undefined;
  /** No more pausing: the transaction is finishing or the stream has ended. */
  private draining = false;
  private statusReceived = false;
  private endError: GatewayClientError | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.abort();
  /** Resolves once every message has been delivered and the stream is over. */
  readonly closed: Promise<void>;
  /** Every replay the gateway reported on this stream, in order. */
  readonly replays: TransactionReplay[] = [];

  constructor(call: ClientDuplexStream<TransactionRequestOut, TransactionResponseIn>, signal?: AbortSignal) {
    this.call = call;
    this.signal = signal;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    call.on('data', (msg: TransactionResponseIn) => {
      if (msg.replayed) this.replays.push(decodeReplayed(msg.replayed));
      this.route(msg);
    });
    call.on('error', (err: ServiceError) => {
      this.endError ??= GatewayClientError.from(err);
    });
    call.on('status', () => {
      // Messages still buffered in the stream come before its end: let them flow.
      this.statusReceived = true;
      this.drain();
    });
    this.closed = new Promise((resolve) => {
      call.on('end', () => {
        this.signal?.removeEventListener('abort', this.onAbort);
        this.statusReceived = true;
        const err = this.endError ?? endedError();
        for (const handler of this.pending.values()) handler.onEnd(err);
        this.pending.clear();
        this.notifyIdle();
        resolve();
      });
    });
  }

  /** True once the server has ended the stream (later requests fail at once). */
  get ended(): boolean {
    return this.statusReceived;
  }

  /** The status the stream ended with, when it ended with an error. */
  get error(): GatewayClientError | undefined {
    return this.endError;
  }

  /** Writes a request now; `handler` receives its responses. */
  send(action: RequestAction, handler: ResponseHandler): string {
    const id = String(++this.seq);
    if (this.statusReceived) {
      handler.onEnd(this.endError ?? endedError());
      return id;
    }
    this.pending.set(id, handler);
    this.lastId = id;
    // Whatever was paused waits behind this request now: keep reading.
    if (this.pausedFor !== undefined) {
      this.pausedFor = undefined;
      this.call.resume();
    }
    this.call.write({ request_id: id, ...action });
    return id;
  }

  /** Pauses the stream for the query `id` if nothing was requested after it. */
  pauseFor(id: string): void {
    if (this.draining || this.lastId !== id || !this.pending.has(id)) return;
    this.pausedFor = id;
    this.call.pause();
  }

  /** Undoes {@link pauseFor}. */
  resumeFor(id: string): void {
    if (this.pausedFor !== id) return;
    this.pausedFor = undefined;
    this.call.resume();
  }

  /** Remembers a failed request; {@link settle} fails the transaction if nobody looked at it. */
  recordFailure(error: GatewayClientError, observed: () => boolean): void {
    this.failures.push({ error, observed });
  }

  /**
   * Waits until every request written so far is answered (rows not yet read are buffered),
   * then throws the first failure the caller never looked at: committing after a statement
   * failed unnoticed would commit half of the work.
   */
  async settle(): Promise<void> {
    this.drain();
    while (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const unseen = this.failures.find((f) => !f.observed());
    if (unseen) throw unseen.error;
  }

  /** Ends the call: cancels it unless the server already ended it. */
  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.drain();
    if (!this.statusReceived) this.call.cancel();
  }

  /** Number of requests still waiting for their answer. */
  get outstanding(): number {
    return this.pending.size;
  }

  private route(msg: TransactionResponseIn): void {
    const id = msg.request_id ?? '';
    const handler = this.pending.get(id);
    if (!handler) return; // a late response for a request already settled by a protocol error
    let last: boolean;
    try {
      last = handler.onMessage(msg);
    } catch (err) {
      handler.onEnd(GatewayClientError.from(err));
      last = true;
    }
    if (last) {
      this.pending.delete(id);
      if (this.pausedFor === id) this.resumeFor(id);
      if (this.pending.size === 0) this.notifyIdle();
    }
  }

  private drain(): void {
    this.draining = true;
    if (this.pausedFor !== undefined) {
      this.pausedFor = undefined;
      this.call.resume();
    }
  }

  private abort(): void {
    if (this.statusReceived || !this.signal) return;
    this.endError = abortedBySignal(this.signal);
    this.drain();
    this.call.cancel();
  }

  private notifyIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** The error for requests made after the stream ended normally. */
function endedError(): GatewayClientError {
  return new GatewayClientError(StatusCode.FAILED_PRECONDITION, 'the transaction has already ended', {
    reason: 'TRANSACTION_ENDED',
  });
}
