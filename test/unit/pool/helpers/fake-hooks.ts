/** Fake resources and {@link PoolHooks} whose every call can be held, failed or counted. */

import type { PoolHooks } from '../../../../src/pool/pool-hooks.js';

export class FakeResource {
  destroyCount = 0;
  constructor(readonly id: number) {}
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A create call held by the test (when `FakeHooks.holdCreates` is set). */
export interface HeldCreate {
  readonly signal: AbortSignal;
  /** Makes the resource and resolves the create with it. */
  resolve(): FakeResource;
  reject(error: unknown): void;
}

export class FakeHooks implements PoolHooks<FakeResource> {
  /** Every resource made, in order. */
  readonly created: FakeResource[] = [];
  /** Every destroy call, in order. */
  readonly destroyed: FakeResource[] = [];
  /** Errors the next create calls reject with, in order. */
  readonly createFailures: unknown[] = [];
  /** When true, create calls wait in `heldCreates` until the test settles them. */
  holdCreates = false;
  readonly heldCreates: HeldCreate[] = [];
  createCalls = 0;
  validateCalls = 0;
  resetCalls = 0;
  /** What validate does; by default: alive unless listed in `dead`. */
  validateImpl: (resource: FakeResource) => Promise<boolean> = (resource) =>
    Promise.resolve(!this.dead.has(resource));
  /** What reset does; by default resolves, or rejects for resources in `dead`. */
  resetImpl: (resource: FakeResource) => Promise<void> = (resource) =>
    this.dead.has(resource)
      ? Promise.reject(new Error(`reset of #${resource.id} failed`))
      : Promise.resolve();
  /** What destroy returns; by default resolves at once. */
  destroyImpl: (resource: FakeResource) => Promise<void> = () => Promise.resolve();
  /** Resources that fail validation and reset. */
  readonly dead = new Set<FakeResource>();
  #nextId = 1;

  /** Resources made and not yet destroyed. */
  get live(): number {
    return this.created.length - this.destroyed.length;
  }

  create(signal: AbortSignal): Promise<FakeResource> {
    this.createCalls++;
    if (this.createFailures.length > 0) return Promise.reject(this.createFailures.shift());
    if (!this.holdCreates) return Promise.resolve(this.#make());
    return new Promise((resolve, reject) => {
      this.heldCreates.push({
        signal,
        resolve: () => {
          const resource = this.#make();
          resolve(resource);
          return resource;
        },
        reject,
      });
    });
  }

  destroy(resource: FakeResource): Promise<void> {
    resource.destroyCount++;
    this.destroyed.push(resource);
    return this.destroyImpl(resource);
  }

  validate(resource: FakeResource): Promise<boolean> {
    this.validateCalls++;
    return this.validateImpl(resource);
  }

  reset(resource: FakeResource): Promise<void> {
    this.resetCalls++;
    return this.resetImpl(resource);
  }

  #make(): FakeResource {
    const resource = new FakeResource(this.#nextId++);
    this.created.push(resource);
    return resource;
  }
}
