/**
 * A stream's requests in arrival order, handled one at a time by a single pump, with flow control
 * back to the client: past `maxQueued` waiting requests the input is paused, and resumed once
 * fewer than half that many wait. The Transaction session owns one; what a request does, when the
 * session stops accepting, and how it ends are its handlers'.
 */

/** What the inbox asks of its owner. */
export interface InboxHandlers<T> {
  /** Handles one request; a throw is a bug, passed to {@link failed}. */
  handle(req: T): Promise<void>;
  /** False once no request may be handled any more (the session ended or was aborted). */
  accepting(): boolean;
  /** `handle` threw: end the session (the stream must not wedge on a bug). */
  failed(err: unknown): Promise<void>;
  /** The client half-closed and every request it sent was handled, the session still accepting. */
  drained(): Promise<void>;
  /** The pump stopped: nothing is being handled now. */
  idle(): void;
  /** Stop reading requests from the client / start again. */
  pauseInput(): void;
  resumeInput(): void;
}

/** Waiting requests past which the client's input is paused. */
export const MAX_QUEUED = 256;

export class CommandInbox<T> {
  readonly #queue: T[] = [];
  #pumping = false;
  #inputPaused = false;
  #halfClosed = false;
  /** The pump's promise: settled once it stops. */
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly handlers: InboxHandlers<T>,
    private readonly maxQueued = MAX_QUEUED,
  ) {}

  /** A request is being handled. */
  get busy(): boolean {
    return this.#pumping;
  }

  /** Settles once the pump running now (if any) has stopped. */
  settled(): Promise<void> {
    return this.#current;
  }

  /** A request arrived: queued, and handled after the ones before it. */
  push(req: T): void {
    this.#queue.push(req);
    if (this.#queue.length > this.maxQueued && !this.#inputPaused) {
      this.#inputPaused = true;
      this.handlers.pauseInput();
    }
    this.#start();
  }

  /** The client half-closed its side: once the queue is handled, {@link InboxHandlers.drained}. */
  halfClose(): void {
    this.#halfClosed = true;
    this.#start();
  }

  /** Takes every request still waiting (the session ended: they are answered, not handled). */
  takeAll(): T[] {
    return this.#queue.splice(0);
  }

  #start(): void {
    if (!this.#pumping) this.#current = this.#pump();
  }

  async #pump(): Promise<void> {
    const h = this.handlers;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && h.accepting()) {
        const req = this.#queue.shift() as T;
        if (this.#inputPaused && this.#queue.length < this.maxQueued / 2) {
          this.#inputPaused = false;
          h.resumeInput();
        }
        try {
          await h.handle(req);
        } catch (err) {
          await h.failed(err);
        }
      }
      if (this.#halfClosed && this.#queue.length === 0 && h.accepting()) await h.drained();
    } finally {
      this.#pumping = false;
      h.idle();
    }
  }
}
