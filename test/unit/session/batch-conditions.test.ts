/**
 * Batch conditions: each form, validation (references, shape, bounds), the handled rule for
 * unconditioned steps, the commit rule, and a seeded randomized comparison with a reference
 * written here from the rules in the module's header.
 */
import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import {
  type BatchCondition,
  ConditionTracker,
  commitDecision,
  DEFAULT_CONDITION_LIMITS,
  errorLeaves,
  evaluate,
  INVALID_CONDITION_REASON,
  isHandled,
  type StepOutcome,
  shouldRun,
  unhandledFailures,
  validateConditions,
} from '../../../src/session/batch-conditions.js';
import { prng } from '../../helpers/prng.js';

type Cond = BatchCondition;
const ok = (n: number): Cond => ({ ok: n });
const err = (n: number): Cond => ({ error: n });
const not = (c: Cond): Cond => ({ not: c });
const and = (...c: Cond[]): Cond => ({ and: c });
const or = (...c: Cond[]): Cond => ({ or: c });

// --- evaluate: each form --------------------------------------------------------------------

const outcomes: StepOutcome[] = ['ok', 'error', 'skipped'];
const evaluateTable: [string, Cond, boolean][] = [
  ['ok of a step that succeeded', ok(0), true],
  ['ok of a step that failed', ok(1), false],
  ['ok of a skipped step', ok(2), false],
  ['error of a step that succeeded', err(0), false],
  ['error of a step that failed', err(1), true],
  ['error of a skipped step', err(2), false],
  ['not of true', not(ok(0)), false],
  ['not of false', not(ok(2)), true],
  ['not not', not(not(err(1))), true],
  ['empty and is true (Hrana)', and(), true],
  ['empty or is false (Hrana)', or(), false],
  ['and all true', and(ok(0), err(1)), true],
  ['and one false', and(ok(0), err(0)), false],
  ['or all false', or(ok(1), err(2), ok(2)), false],
  ['or one true', or(ok(1), err(1)), true],
  ['skipped is neither ok nor error', or(ok(2), err(2)), false],
  ['nested', and(or(ok(1), not(err(2))), not(and(ok(0), ok(1)))), true],
];
for (const [name, cond, expected] of evaluateTable) {
  test(`evaluate: ${name}`, (t) => {
    t.is(evaluate(cond, outcomes), expected);
  });
}

// --- validateConditions ---------------------------------------------------------------------

function invalid(
  t: import('ava').ExecutionContext,
  conditions: readonly (Cond | undefined)[],
  message: RegExp,
  limits = DEFAULT_CONDITION_LIMITS,
): void {
  const e = t.throws(() => validateConditions(conditions, limits), { instanceOf: GatewayError });
  t.is(e?.code, Code.INVALID_ARGUMENT);
  t.is(e?.reason, INVALID_CONDITION_REASON);
  t.regex(e?.message ?? '', message);
}

test('validate: conditions on earlier steps, and no condition, are accepted', (t) => {
  t.notThrows(() =>
    validateConditions([undefined, ok(0), or(err(0), err(1)), not(and()), and(ok(0), not(err(3)))]),
  );
  t.notThrows(() => validateConditions([]));
});

const badReferences: [string, (Cond | undefined)[], RegExp][] = [
  ['step 0 names itself', [ok(0)], /^batch step 0: condition names step 0; .*\(step 0 has none\)/],
  [
    'a step names itself',
    [undefined, undefined, err(2)],
    /^batch step 2: condition names step 2; .*\(0\.\.1\)/,
  ],
  ['a step names a later one', [undefined, ok(5)], /^batch step 1: condition names step 5/],
  [
    'deep inside the tree',
    [undefined, and(ok(0), or(not(err(1))))],
    /batch step 1: condition \.and\[1\]\.or\[0\]\.not names step 1/,
  ],
  [
    'a negative index',
    [undefined, ok(-1)],
    /batch step 1: condition must name a step by a non-negative integer/,
  ],
  ['a fractional index', [undefined, err(0.5)], /non-negative integer/],
  ['NaN', [undefined, ok(Number.NaN)], /non-negative integer/],
];
for (const [name, conditions, message] of badReferences) {
  test(`validate refuses: ${name}`, (t) => invalid(t, conditions, message));
}

const malformed: [string, unknown, RegExp][] = [
  ['an empty object (no kind set)', {}, /has no kind set/],
  ['two kinds', { ok: 0, error: 0 }, /exactly one of .* \(it has ok, error\)/],
  ['an unknown key', { maybe: 0 }, /exactly one of/],
  ['null', null, /is not a condition/],
  ['an array', [ok(0)], /is not a condition/],
  ['a number', 3, /is not a condition/],
  ['a string index', { ok: '0' }, /non-negative integer/],
  ['and of a non-list', { and: ok(0) }, /condition is not a list/],
  ['a malformed operand', { or: [ok(0), { not: {} }] }, /condition \.or\[1\]\.not has no kind set/],
];
for (const [name, cond, message] of malformed) {
  test(`validate refuses a malformed node: ${name}`, (t) =>
    invalid(t, [undefined, cond as Cond], new RegExp(`^batch step 1: .*${message.source}`)));
}

function chain(depth: number): Cond {
  let c: Cond = ok(0);
  for (let i = 1; i < depth; i++) c = not(c);
  return c;
}

test('validate: nesting up to maxDepth is accepted, one more level is refused', (t) => {
  t.notThrows(() => validateConditions([undefined, chain(32)]));
  invalid(t, [undefined, chain(33)], /^batch step 1: condition (\.not)+ nests deeper than 32 levels$/);
});

test('validate: a cyclic object graph is refused by the depth bound', (t) => {
  const cyclic: { not: unknown } = { not: undefined };
  cyclic.not = cyclic;
  invalid(t, [undefined, cyclic as Cond], /nests deeper than 32 levels/);
});

test('validate: nodes per step are bounded (a shared operand counts per visit)', (t) => {
  const leaves = (n: number) => Array.from({ length: n }, () => ok(0));
  t.notThrows(() => validateConditions([undefined, { and: leaves(63) }])); // 63 leaves + the and
  invalid(
    t,
    [undefined, { and: leaves(64) }],
    /^batch step 1: condition \.and\[63\] has more than 64 nodes$/,
  );
  const shared = and(ok(0), ok(0), ok(0), ok(0), ok(0), ok(0), ok(0)); // 8 nodes
  invalid(
    t,
    [undefined, and(shared, shared, shared, shared, shared, shared, shared, shared)],
    /more than 64 nodes/,
  );
});

test('validate: nodes per batch are bounded', (t) => {
  const c = { and: Array.from({ length: 9 }, () => ok(0)) }; // 10 nodes
  const steps = (n: number) => [undefined, ...Array.from({ length: n }, () => c)];
  t.notThrows(() => validateConditions(steps(1000)));
  invalid(t, steps(1001), /^batch step 1001: condition brings the batch's conditions past 10000 nodes$/);
});

test('validate: custom limits apply', (t) => {
  const limits = { maxDepth: 2, maxNodesPerStep: 3, maxNodesPerBatch: 5 };
  t.notThrows(() => validateConditions([undefined, not(ok(0)), and(ok(0))], limits));
  invalid(t, [undefined, not(not(ok(0)))], /deeper than 2 levels/, limits);
  invalid(t, [undefined, and(ok(0), ok(0), ok(0))], /more than 3 nodes/, limits);
  invalid(t, [undefined, and(ok(0), ok(0)), and(ok(0), ok(0))], /past 5 nodes/, limits);
});

// --- the handled rule -----------------------------------------------------------------------

/** Runs a batch through the tracker: `fails[i]` says whether step i would fail if it ran. */
function run(conditions: readonly (Cond | undefined)[], fails: readonly boolean[]): ConditionTracker {
  validateConditions(conditions);
  const tracker = new ConditionTracker(conditions);
  for (let i = 0; i < conditions.length; i++) {
    tracker.record(tracker.shouldRun() ? (fails[i] ? 'error' : 'ok') : 'skipped');
  }
  return tracker;
}

const F = true;
const _ = false;
const handledTable: {
  name: string;
  conditions: (Cond | undefined)[];
  fails: boolean[];
  outcomes: StepOutcome[];
  unhandled: number[];
  decision: 'commit' | 'rollback';
}[] = [
  {
    name: 'no failure: everything runs, commit',
    conditions: [undefined, undefined, undefined],
    fails: [_, _, _],
    outcomes: ['ok', 'ok', 'ok'],
    unhandled: [],
    decision: 'commit',
  },
  {
    name: 'the first failure stops the unconditioned steps, rollback',
    conditions: [undefined, undefined, undefined],
    fails: [_, F, _],
    outcomes: ['ok', 'error', 'skipped'],
    unhandled: [1],
    decision: 'rollback',
  },
  {
    name: 'a catch step handles the failure; later steps carry on, commit',
    conditions: [undefined, err(0), undefined],
    fails: [F, _, _],
    outcomes: ['error', 'ok', 'ok'],
    unhandled: [],
    decision: 'commit',
  },
  {
    name: 'a catch step that fails is itself unhandled',
    conditions: [undefined, err(0), undefined],
    fails: [F, F, _],
    outcomes: ['error', 'error', 'skipped'],
    unhandled: [1],
    decision: 'rollback',
  },
  {
    name: 'a catch step that did not run handles nothing',
    conditions: [undefined, and(err(0), ok(0)), undefined],
    fails: [F, _, _],
    outcomes: ['error', 'skipped', 'skipped'],
    unhandled: [0],
    decision: 'rollback',
  },
  {
    name: 'a handler that ran through another branch of an or still handles',
    conditions: [undefined, undefined, or(err(1), ok(0)), undefined],
    fails: [_, F, _, _],
    outcomes: ['ok', 'error', 'ok', 'ok'],
    unhandled: [],
    decision: 'commit',
  },
  {
    name: 'ok leaves do not handle: not(ok(N)) runs but the failure stays unhandled',
    conditions: [undefined, not(ok(0)), undefined],
    fails: [F, _, _],
    outcomes: ['error', 'ok', 'skipped'],
    unhandled: [0],
    decision: 'rollback',
  },
  {
    name: 'a late catch: skipped steps before it, unconditioned steps after it run',
    conditions: [undefined, undefined, err(0), undefined],
    fails: [F, _, _, _],
    outcomes: ['error', 'skipped', 'ok', 'ok'],
    unhandled: [],
    decision: 'commit',
  },
  {
    name: 'a handler of one failure does not handle another',
    conditions: [undefined, ok(0), err(1), undefined],
    fails: [_, F, _, _],
    outcomes: ['ok', 'error', 'ok', 'ok'],
    unhandled: [],
    decision: 'commit',
  },
  {
    name: 'two failures, only one handled',
    conditions: [undefined, ok(0), ok(0), err(1), undefined],
    fails: [_, F, F, _, _],
    outcomes: ['ok', 'error', 'error', 'ok', 'skipped'],
    unhandled: [2],
    decision: 'rollback',
  },
  {
    name: 'conditioned steps run by their condition even after an unhandled failure',
    conditions: [undefined, undefined, ok(0), not(ok(1))],
    fails: [_, F, _, _],
    outcomes: ['ok', 'error', 'ok', 'ok'],
    unhandled: [1],
    decision: 'rollback',
  },
];
for (const row of handledTable) {
  test(`handled rule: ${row.name}`, (t) => {
    const tracker = run(row.conditions, row.fails);
    t.deepEqual(tracker.outcomes, row.outcomes);
    t.deepEqual(tracker.unhandledFailures(), row.unhandled);
    t.is(tracker.commitDecision(), row.decision);
    // The pure functions agree with the tracker.
    t.deepEqual(unhandledFailures(row.outcomes, row.conditions), row.unhandled);
    t.is(commitDecision(row.outcomes, row.conditions), row.decision);
    for (let i = 0; i < row.conditions.length; i++) {
      t.is(shouldRun(i, row.conditions, row.outcomes), row.outcomes[i] !== 'skipped', `step ${i}`);
    }
  });
}

test('isHandled looks only at later steps that ran, and only for failed steps', (t) => {
  const conditions = [undefined, err(0), err(0), ok(0)];
  t.false(isHandled(0, ['error', 'skipped'], conditions));
  t.true(isHandled(0, ['error', 'skipped', 'error'], conditions));
  t.false(isHandled(0, ['ok', 'skipped', 'skipped'], [undefined, not(err(0)), undefined]));
  t.false(isHandled(3, ['error', 'ok', 'ok', 'error'], conditions));
});

test('errorLeaves finds error leaves anywhere in the tree, with repeats', (t) => {
  t.deepEqual(errorLeaves(undefined), []);
  t.deepEqual(errorLeaves(and(ok(1), or(err(0), not(err(2))), err(0))), [0, 2, 0]);
});

test('endBatch: later steps are skipped and the decision is rollback, even with no failure', (t) => {
  const tracker = new ConditionTracker([undefined, undefined, or()]);
  t.true(tracker.shouldRun());
  tracker.record('ok');
  tracker.endBatch();
  t.true(tracker.ended);
  t.false(tracker.shouldRun());
  tracker.record('skipped');
  t.is(tracker.next, 2);
  t.is(tracker.commitDecision(), 'rollback');
});

test('the tracker refuses an outcome past the last step and runs nothing there', (t) => {
  const tracker = new ConditionTracker([undefined]);
  tracker.record('ok');
  t.false(tracker.shouldRun());
  t.throws(() => tracker.record('ok'), { instanceOf: RangeError });
});

// --- randomized: valid and invalid trees against a reference --------------------------------

const FORMS = ['ok', 'error', 'not', 'and', 'or'] as const;

/** A random node for step `step`; with `bad` > 0, some nodes are malformed in one of many ways. */
function randomNode(rand: () => number, step: number, depth: number, bad: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  if (rand() < bad) {
    return pick<() => unknown>([
      () => ({ ok: step + Math.floor(rand() * 3) }), // itself or later
      () => ({ error: -1 - Math.floor(rand() * 3) }),
      () => ({ ok: 0.5 }),
      () => ({ error: String(Math.max(0, step - 1)) }),
      () => ({}),
      () => ({ ok: 0, not: { ok: 0 } }),
      () => ({ xor: [] }),
      () => null,
      () => [],
      () => 7,
      () => ({ and: { ok: 0 } }),
      () => ({ or: 'x' }),
      () => ({ ok: Number.NaN }),
    ])();
  }
  const leafOnly = step === 0 ? false : depth >= 6 || rand() < 0.35;
  if (leafOnly) {
    const n = Math.floor(rand() * step);
    return rand() < 0.5 ? { ok: n } : { error: n };
  }
  const form = pick(step === 0 ? (['and', 'or'] as const) : FORMS);
  switch (form) {
    case 'ok':
      return { ok: Math.floor(rand() * step) };
    case 'error':
      return { error: Math.floor(rand() * step) };
    case 'not':
      return step === 0 ? { and: [] } : { not: randomNode(rand, step, depth + 1, bad) };
    default: {
      const n = step === 0 ? 0 : Math.floor(rand() * 4);
      return { [form]: Array.from({ length: n }, () => randomNode(rand, step, depth + 1, bad)) };
    }
  }
}

/** Reference validity: shape and references of every node, then the three bounds. */
function referenceValid(conditions: readonly unknown[], limits: typeof DEFAULT_CONDITION_LIMITS): boolean {
  let total = 0;
  for (let step = 0; step < conditions.length; step++) {
    const root = conditions[step];
    if (root === undefined) continue;
    let nodes = 0;
    let deepest = 0;
    let wellFormed = true;
    const walk = (node: unknown, depth: number): void => {
      nodes++;
      deepest = Math.max(deepest, depth);
      if (depth > limits.maxDepth + 1) return; // deep enough to know it is too deep
      if (typeof node !== 'object' || node === null || Array.isArray(node)) {
        wellFormed = false;
        return;
      }
      const keys = Object.keys(node);
      if (keys.length !== 1) {
        wellFormed = false;
        return;
      }
      const key = keys[0] as string;
      const value = (node as Record<string, unknown>)[key];
      if (key === 'ok' || key === 'error') {
        if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < step))
          wellFormed = false;
      } else if (key === 'not') walk(value, depth + 1);
      else if (key === 'and' || key === 'or') {
        if (Array.isArray(value)) for (const v of value) walk(v, depth + 1);
        else wellFormed = false;
      } else wellFormed = false;
    };
    walk(root, 1);
    total += nodes;
    if (!wellFormed || deepest > limits.maxDepth || nodes > limits.maxNodesPerStep) return false;
  }
  return total <= limits.maxNodesPerBatch;
}

/** Reference evaluation, written from the rules: a step's value by its form. */
function referenceHolds(c: unknown, outcomes: readonly StepOutcome[]): boolean {
  const node = c as Record<string, unknown>;
  if ('ok' in node) return outcomes[node.ok as number] === 'ok';
  if ('error' in node) return outcomes[node.error as number] === 'error';
  if ('not' in node) return !referenceHolds(node.not, outcomes);
  if ('and' in node) return (node.and as unknown[]).every((x) => referenceHolds(x, outcomes));
  return (node.or as unknown[]).some((x) => referenceHolds(x, outcomes));
}

function referenceMentionsError(c: unknown, n: number): boolean {
  return JSON.stringify(c).includes(`{"error":${n}}`);
}

/** Reference batch: which steps run and the commit decision, from the rules alone. */
function referenceRun(
  conditions: readonly unknown[],
  fails: readonly boolean[],
): { outcomes: StepOutcome[]; commit: boolean } {
  const outcomes: StepOutcome[] = [];
  const unhandledBefore = (i: number) =>
    outcomes
      .slice(0, i)
      .some(
        (o, j) =>
          o === 'error' &&
          !outcomes
            .slice(j + 1, i)
            .some((p, k) => p !== 'skipped' && referenceMentionsError(conditions[j + 1 + k], j)),
      );
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i];
    const runs = c === undefined ? !unhandledBefore(i) : referenceHolds(c, outcomes);
    outcomes.push(runs ? (fails[i] ? 'error' : 'ok') : 'skipped');
  }
  return { outcomes, commit: !unhandledBefore(conditions.length) };
}

test('randomized: validation agrees with the reference and throws only INVALID_ARGUMENT; runs agree', (t) => {
  const seed = Number(process.env.BATCH_SEED ?? 20_251_206);
  const rand = prng(seed);
  const limits = { maxDepth: 5, maxNodesPerStep: 16, maxNodesPerBatch: 60 };
  let valid = 0;
  let rejected = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const steps = 1 + Math.floor(rand() * 10);
    const bad = rand() < 0.5 ? 0 : 0.05;
    const conditions = Array.from({ length: steps }, (_x, i) =>
      rand() < 0.3 ? undefined : randomNode(rand, i, 1, bad),
    );
    const context = `seed ${seed} iteration ${iter}: ${JSON.stringify(conditions)}`;
    const expectValid = referenceValid(conditions, limits);
    let thrown: unknown;
    try {
      validateConditions(conditions as Cond[], limits);
    } catch (e) {
      thrown = e;
    }
    if (thrown !== undefined) {
      if (!(thrown instanceof GatewayError) || thrown.code !== Code.INVALID_ARGUMENT)
        return t.fail(`not an INVALID_ARGUMENT GatewayError (${String(thrown)}) at ${context}`);
      if (!/^batch step \d+: condition/.test(thrown.message)) return t.fail(`unclear message at ${context}`);
    }
    if ((thrown === undefined) !== expectValid)
      return t.fail(`validation says ${thrown === undefined ? 'valid' : 'invalid'} at ${context}`);
    if (!expectValid) {
      rejected++;
      continue;
    }
    valid++;
    const fails = Array.from({ length: steps }, () => rand() < 0.4);
    const expected = referenceRun(conditions, fails);
    const tracker = run(conditions as Cond[], fails);
    if (JSON.stringify(tracker.outcomes) !== JSON.stringify(expected.outcomes))
      return t.fail(`outcomes ${tracker.outcomes} != ${expected.outcomes} at ${context} fails ${fails}`);
    if ((tracker.commitDecision() === 'commit') !== expected.commit)
      return t.fail(`tracker commit at ${context}`);
    if ((commitDecision(expected.outcomes, conditions as Cond[]) === 'commit') !== expected.commit)
      return t.fail(`commitDecision at ${context}`);
    for (let i = 0; i < steps; i++) {
      if (shouldRun(i, conditions as Cond[], expected.outcomes) !== (expected.outcomes[i] !== 'skipped'))
        return t.fail(`shouldRun(${i}) at ${context}`);
    }
  }
  // Both sides of the generator were exercised.
  t.true(valid > 300, `valid ${valid}`);
  t.true(rejected > 300, `rejected ${rejected}`);
});
