/**
 * The abort signal of a call: what the request path (pool waits, running statements, sessions)
 * reads from it, and {@link CallAbort}, a cheap implementation made once per RPC.
 *
 * Why not Node's AbortController: creating its AbortSignal (an EventTarget whose prototype is
 * swapped after construction) cost several microseconds per call in CPU profiles of point
 * selects, and each listener added or removed goes through EventTarget's bookkeeping. The
 * request path needs only the subset below; a real AbortSignal fits it too, so code that owns
 * one (the pool's create signal, tests) passes it unchanged.
 */

/** The part of `AbortSignal` the request path uses. A real `AbortSignal` is one. */
export interface AbortSignalLike {
  /** True once aborted. */
  readonly aborted: boolean;
  /** Why it was aborted (a `GatewayError` on the request path); undefined before. */
  readonly reason: unknown;
  /** Calls `listener` once when aborted; never when already aborted. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Forgets `listener`. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An abort signal and its controller in one object. Listeners are called once, in the order they
 * were added; unlike EventTarget, adding the same function twice calls it twice. A listener that
 * throws does not stop the others: its error is rethrown on the next tick, as EventTarget does.
 */
export class CallAbort implements AbortSignalLike {
  #aborted = false;
  #reason: unknown;
  #listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.#aborted) return;
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    const i = listeners.lastIndexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  /** Aborts with `reason` and calls the listeners; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}
