/** Builds a TransactionSession (or a StatementRunner) over fakes, and the commands tests send. */
import { CallAbort } from '../../../../src/abort-signal.js';
import type { GatewayError } from '../../../../src/errors.js';
import { type Access, FULL_ACCESS } from '../../../../src/session/access.js';
import type { BeginCommand, TransactionCommand } from '../../../../src/session/commands.js';
import { type SessionLimits, StatementRunner } from '../../../../src/session/statement-runner.js';
import {
  type TransactionObserver,
  TransactionSession,
  type TransactionSettings,
} from '../../../../src/session/transaction-session.js';
import { classifyStatement } from '../../../../src/sql/classify.js';
import type { SqlParam } from '../../../../src/session/commands.js';
import { FakeClock, flush } from '../../pool/helpers/fake-clock.js';
import { type FakeClusterOptions, type FakeClusterSetup, fakeCluster } from './fake-cluster.js';
import { FakeRowBatch } from './fake-row-batch.js';
import { RecordingEvents } from './recording-events.js';

export const LIMITS: SessionLimits = {
  maxSqlBytes: 10_000,
  maxParams: 100,
  maxRowsPerBatch: 100,
  maxBatchBytes: 1_000_000,
  maxRowsPerQuery: 0,
  maxBytesPerQuery: 0,
  defaultRowsPerBatch: 50,
};

export const SETTINGS: TransactionSettings = {
  idleTimeoutMs: 1_000,
  maxIdleTimeoutMs: 5_000,
  maxLifetimeMs: 60_000,
};

/** A runner with the real classifier and {@link FakeRowBatch} encoders. */
export function newRunner(limits: Partial<SessionLimits> = {}, bytesPerRow = 10): StatementRunner {
  return new StatementRunner(
    { ...LIMITS, ...limits },
    classifyStatement,
    () => new FakeRowBatch(bytesPerRow),
    () => new FakeRowBatch(bytesPerRow),
  );
}

export interface Harness extends FakeClusterSetup {
  readonly session: TransactionSession;
  readonly events: RecordingEvents;
  readonly clock: FakeClock;
  /** The call's signal (cancel, deadline). */
  readonly callSignal: CallAbort;
  /** Outcomes the observer heard. */
  readonly outcomes: string[];
}

export interface HarnessOptions extends FakeClusterOptions {
  readonly settings?: Partial<TransactionSettings>;
  readonly access?: Access;
  readonly callSignal?: CallAbort;
  readonly replayByDefault?: (cluster: string) => boolean;
}

/** A session over a fake cluster, reporting into {@link RecordingEvents}, timed by a FakeClock. */
export function harness(opts: HarnessOptions = {}): Harness {
  const setup = fakeCluster(opts);
  const events = new RecordingEvents();
  const clock = new FakeClock();
  const callSignal = opts.callSignal ?? new CallAbort();
  const outcomes: string[] = [];
  const observer: TransactionObserver = { ended: (_s, outcome) => outcomes.push(outcome) };
  const session = new TransactionSession({
    clusters: setup.registry,
    runner: newRunner(),
    settings: { ...SETTINGS, ...opts.settings },
    caller: { ctx: { signal: callSignal }, access: opts.access ?? FULL_ACCESS },
    events,
    observer,
    clock,
    ...(opts.replayByDefault ? { replayByDefault: opts.replayByDefault } : {}),
  });
  events.stateOf = () => session.state;
  return { ...setup, session, events, clock, callSignal, outcomes };
}

export function begin(id = 'b', over: Partial<BeginCommand> = {}): TransactionCommand {
  return {
    id,
    kind: 'begin',
    begin: { cluster: '', isolationLevel: undefined, readOnly: false, idleTimeoutMs: 0, ...over },
  };
}

export function query(id: string, sql: string, params: SqlParam[] = []): TransactionCommand {
  return { id, kind: 'query', statement: { sql, params, maxRowsPerBatch: 0 } };
}

export function execute(id: string, sql: string, params: SqlParam[] = []): TransactionCommand {
  return { id, kind: 'execute', statement: { sql, params, maxRowsPerBatch: 0 } };
}

export function commit(id = 'c'): TransactionCommand {
  return { id, kind: 'commit' };
}

export function rollback(id = 'r'): TransactionCommand {
  return { id, kind: 'rollback' };
}

export function invalid(id: string, error: GatewayError, wasBegin: boolean): TransactionCommand {
  return { id, kind: 'invalid', error, wasBegin };
}

/**
 * Begins and waits until the transaction is open and its request pump has settled (so the idle
 * timer has been re-armed on the fake clock).
 */
export async function opened(h: Harness, cmd: TransactionCommand = begin()): Promise<void> {
  h.session.push(cmd);
  await h.events.waitFor('begun', cmd.id);
  await flush();
}

export { flush };
