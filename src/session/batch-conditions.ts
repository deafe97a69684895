/**
 * The conditions of a Batch (pure functions, and a small incremental tracker for the runner).
 *
 * A batch is a list of steps run in order on one connection. Before each step the runner asks
 * whether it runs, from the outcomes of the steps before it: `ok` (ran and succeeded), `error`
 * (ran and failed) or `skipped` (did not run).
 *
 * **A step with a condition** runs when the condition holds ({@link evaluate}), as in libSQL's
 * Hrana 3 batches: `ok(N)` is true iff step N ran and succeeded, `error(N)` iff step N ran and
 * failed (a skipped step is neither), `not`, `and` (an empty list is true) and `or` (an empty
 * list is false). Empty lists follow Hrana; they are harmless (a constant) and a generated
 * condition such as `and(...checks)` with no checks then means "always".
 *
 * **A step without a condition** runs iff every earlier failed step is *handled* at that point.
 * A failed step N is handled once a later step whose condition contains an `error(N)` leaf has
 * run (its condition held; the handler's own outcome does not matter, and a handler that fails
 * is itself an unhandled failure until something handles it). This is try/catch: by default a
 * batch stops at its first failure (every later unconditioned step is skipped, as Spanner's
 * ExecuteBatchDml stops at the first failed statement), but a step that names the failure in an
 * `error(N)` leaf and ran is its catch block, after which unconditioned steps carry on. Only
 * `error` leaves handle: `not(ok(N))` also holds after a failure, but it holds after a skip too,
 * so it does not say "I deal with N's failure". A leaf anywhere in the tree counts, also under
 * `not` (`not(error(N))` cannot hold while N failed, so it never handles N in practice).
 *
 * **With a transaction** the batch COMMITs when every failed step is handled at the end
 * ({@link commitDecision}), else it ROLLs BACK. An error after which MySQL rolled the transaction
 * back (a deadlock), or a step that would pass the response's size bound, ends the batch: the
 * runner calls {@link ConditionTracker.endBatch} and every later step is skipped; that failure is
 * never handled, so the decision is ROLLBACK.
 *
 * **Validation** ({@link validateConditions}, before anything runs) refuses with
 * INVALID_ARGUMENT / {@link INVALID_CONDITION_REASON}, naming the step and where in its tree:
 * a reference to the step itself, a later step, or an index that is not a non-negative integer;
 * a node that is not exactly one of the five forms; nesting deeper than `maxDepth` (32); more
 * than `maxNodesPerStep` nodes in one step's tree (64) or `maxNodesPerBatch` in the batch
 * (10,000). The bounds keep the work of validating and evaluating linear in a small number (a
 * 1,000-step batch of 10-node conditions fits); a shared sub-object counts once per visit, so
 * an object graph with cycles or sharing is bounded too.
 *
 * This module holds domain types only (no wire field names); `server/` decodes `BatchCondition`
 * messages into {@link BatchCondition}.
 */
import { errors } from '../errors.js';

/**
 * A condition on the outcomes of earlier steps (0-based step numbers), one of five forms.
 * Tell them apart with `'ok' in c` and so on.
 */
export type BatchCondition =
  | { readonly ok: number }
  | { readonly error: number }
  | { readonly not: BatchCondition }
  | { readonly and: readonly BatchCondition[] }
  | { readonly or: readonly BatchCondition[] };

/** What became of a step: it ran and succeeded, it ran and failed, or it did not run. */
export type StepOutcome = 'ok' | 'error' | 'skipped';

/** What to do with a batch's transaction once its steps are done. */
export type CommitDecision = 'commit' | 'rollback';

/** Bounds on the conditions of one batch (see the module header). */
export interface ConditionLimits {
  /** Deepest nesting of one condition tree; a lone leaf has depth 1. @default 32 */
  readonly maxDepth: number;
  /** Most nodes (leaves and operators) in one step's condition. @default 64 */
  readonly maxNodesPerStep: number;
  /** Most nodes in all the conditions of a batch together. @default 10000 */
  readonly maxNodesPerBatch: number;
}

/** The default {@link ConditionLimits}. */
export const DEFAULT_CONDITION_LIMITS: ConditionLimits = Object.freeze({
  maxDepth: 32,
  maxNodesPerStep: 64,
  maxNodesPerBatch: 10_000,
});

/** The `reason` of every error {@link validateConditions} throws. */
export const INVALID_CONDITION_REASON = 'INVALID_BATCH_CONDITION';

const FORMS = ['ok', 'error', 'not', 'and', 'or'] as const;
type Form = (typeof FORMS)[number];

/**
 * Checks the condition of every step (`conditions[i]` is step i's, `undefined` when it has
 * none) against the rules and `limits`; throws a GatewayError INVALID_ARGUMENT /
 * `INVALID_BATCH_CONDITION` naming the first problem, e.g.
 * `batch step 3: condition and[1].ok names step 3; a condition may only name earlier steps (0..2)`.
 */
export function validateConditions(
  conditions: readonly (BatchCondition | undefined)[],
  limits: ConditionLimits = DEFAULT_CONDITION_LIMITS,
): void {
  let batchNodes = 0;
  for (let step = 0; step < conditions.length; step++) {
    const root = conditions[step];
    if (root === undefined) continue;
    let stepNodes = 0;
    const path: string[] = [];
    const fail = (problem: string): never => {
      const where = path.length === 0 ? 'condition' : `condition ${path.join('')}`;
      throw errors.invalidArgument(INVALID_CONDITION_REASON, `batch step ${step}: ${where} ${problem}`);
    };
    const visit = (node: unknown, depth: number): void => {
      if (depth > limits.maxDepth) fail(`nests deeper than ${limits.maxDepth} levels`);
      if (++stepNodes > limits.maxNodesPerStep) fail(`has more than ${limits.maxNodesPerStep} nodes`);
      if (++batchNodes > limits.maxNodesPerBatch)
        fail(`brings the batch's conditions past ${limits.maxNodesPerBatch} nodes`);
      const form = formOf(node, fail);
      const value = (node as Record<Form, unknown>)[form];
      switch (form) {
        case 'ok':
        case 'error':
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
            fail(`must name a step by a non-negative integer`);
          if ((value as number) >= step)
            fail(
              `names step ${value}; a condition may only name earlier steps` +
                (step === 0 ? ' (step 0 has none)' : ` (0..${step - 1})`),
            );
          return;
        case 'not':
          path.push('.not');
          visit(value, depth + 1);
          path.pop();
          return;
        case 'and':
        case 'or': {
          if (!Array.isArray(value)) fail(`is not a list`);
          const list = value as unknown[];
          for (let i = 0; i < list.length; i++) {
            path.push(`.${form}[${i}]`);
            visit(list[i], depth + 1);
            path.pop();
          }
          return;
        }
      }
    };
    visit(root, 1);
  }
}

/** The one form a node has; `fail`s unless it is an object with exactly one of the five keys. */
function formOf(node: unknown, fail: (problem: string) => never): Form {
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    return fail('is not a condition (one of ok, error, not, and, or)');
  const keys = Object.keys(node);
  const form = FORMS.find((f) => keys.includes(f));
  if (form === undefined || keys.length !== 1)
    return fail(
      keys.length === 0
        ? 'has no kind set (one of ok, error, not, and, or)'
        : `must set exactly one of ok, error, not, and, or (it has ${keys.slice(0, 6).join(', ')})`,
    );
  return form;
}

/**
 * Whether `condition` holds, given the outcomes of the steps before its own (`outcomes[n]` is
 * step n's). Assumes {@link validateConditions} accepted it; a step number without an outcome
 * counts as skipped.
 */
export function evaluate(condition: BatchCondition, outcomes: readonly StepOutcome[]): boolean {
  if ('ok' in condition) return outcomes[condition.ok] === 'ok';
  if ('error' in condition) return outcomes[condition.error] === 'error';
  if ('not' in condition) return !evaluate(condition.not, outcomes);
  if ('and' in condition) return condition.and.every((c) => evaluate(c, outcomes));
  return condition.or.some((c) => evaluate(c, outcomes));
}

/** The step numbers of every `error` leaf in `condition` (in tree order, repeats kept). */
export function errorLeaves(condition: BatchCondition | undefined): number[] {
  const out: number[] = [];
  const walk = (c: BatchCondition): void => {
    if ('error' in c) out.push(c.error);
    else if ('not' in c) walk(c.not);
    else if ('and' in c) c.and.forEach(walk);
    else if ('or' in c) c.or.forEach(walk);
  };
  if (condition !== undefined) walk(condition);
  return out;
}

/**
 * Whether failed step `step` is handled by the outcomes so far: some later step in `outcomes`
 * ran (`ok` or `error`) and its condition has an `error(step)` leaf. False for a step that did
 * not fail.
 */
export function isHandled(
  step: number,
  outcomes: readonly StepOutcome[],
  conditions: readonly (BatchCondition | undefined)[],
): boolean {
  if (outcomes[step] !== 'error') return false;
  for (let later = step + 1; later < outcomes.length; later++) {
    if (outcomes[later] === 'skipped') continue;
    if (errorLeaves(conditions[later]).includes(step)) return true;
  }
  return false;
}

/** The failed steps among `outcomes` that no later step in `outcomes` handled, in order. */
export function unhandledFailures(
  outcomes: readonly StepOutcome[],
  conditions: readonly (BatchCondition | undefined)[],
): number[] {
  const out: number[] = [];
  for (let step = 0; step < outcomes.length; step++) {
    if (outcomes[step] === 'error' && !isHandled(step, outcomes, conditions)) out.push(step);
  }
  return out;
}

/**
 * Whether step `step` runs, given the outcomes of the steps before it (`outcomes` may be
 * longer; only `outcomes[0..step-1]` are read): its condition when it has one, else "every
 * earlier failed step is handled".
 */
export function shouldRun(
  step: number,
  conditions: readonly (BatchCondition | undefined)[],
  outcomes: readonly StepOutcome[],
): boolean {
  const before = outcomes.slice(0, step);
  const condition = conditions[step];
  if (condition !== undefined) return evaluate(condition, before);
  return unhandledFailures(before, conditions).length === 0;
}

/** COMMIT when every failed step of the batch is handled, else ROLLBACK. */
export function commitDecision(
  outcomes: readonly StepOutcome[],
  conditions: readonly (BatchCondition | undefined)[],
): CommitDecision {
  return unhandledFailures(outcomes, conditions).length === 0 ? 'commit' : 'rollback';
}

/**
 * The runner's view of a batch in progress, answering {@link shouldRun} and
 * {@link commitDecision} in time linear in each step's condition (the pure functions rescan
 * earlier steps). Use: for each step, `shouldRun()`, run it or not, `record(outcome)`.
 * Construct it only from conditions {@link validateConditions} accepted.
 */
export class ConditionTracker {
  readonly #conditions: readonly (BatchCondition | undefined)[];
  readonly #outcomes: StepOutcome[] = [];
  /** Failed steps not handled yet. */
  readonly #unhandled = new Set<number>();
  #ended = false;

  constructor(conditions: readonly (BatchCondition | undefined)[]) {
    this.#conditions = conditions;
  }

  /** The number of the step {@link shouldRun} and {@link record} are about. */
  get next(): number {
    return this.#outcomes.length;
  }

  /** Outcomes recorded so far, one per step. */
  get outcomes(): readonly StepOutcome[] {
    return this.#outcomes;
  }

  /** Whether the next step runs (always false once {@link endBatch} was called or past the end). */
  shouldRun(): boolean {
    const step = this.#outcomes.length;
    if (this.#ended || step >= this.#conditions.length) return false;
    const condition = this.#conditions[step];
    if (condition === undefined) return this.#unhandled.size === 0;
    return evaluate(condition, this.#outcomes);
  }

  /** Records the next step's outcome; throws past the last step. */
  record(outcome: StepOutcome): void {
    const step = this.#outcomes.length;
    if (step >= this.#conditions.length) throw new RangeError(`the batch has ${step} steps`);
    this.#outcomes.push(outcome);
    if (outcome === 'skipped') return;
    for (const handled of errorLeaves(this.#conditions[step])) this.#unhandled.delete(handled);
    if (outcome === 'error') this.#unhandled.add(step);
  }

  /**
   * The batch ends here (MySQL rolled the transaction back, or the response is full): every
   * later step is skipped and the decision is ROLLBACK. Call it after recording the step that
   * ended the batch.
   */
  endBatch(): void {
    this.#ended = true;
  }

  /** Whether {@link endBatch} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Failed steps no later step has handled so far, in order. */
  unhandledFailures(): number[] {
    return [...this.#unhandled].sort((a, b) => a - b);
  }

  /** COMMIT when the batch was not ended early and every failed step is handled, else ROLLBACK. */
  commitDecision(): CommitDecision {
    return !this.#ended && this.#unhandled.size === 0 ? 'commit' : 'rollback';
  }
}
