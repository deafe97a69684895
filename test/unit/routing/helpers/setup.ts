/** A health monitor over fake probes and a fake clock, and the probe results the tests use. */

import type { ExecutionContext } from 'ava';
import type { HealthCheckSettings } from '../../../../src/config/cluster-schema.js';
import {
  type HealthMonitorOptions,
  type HealthProbe,
  HealthMonitor,
  type HealthState,
  type ProbeCheckOptions,
  type ProbeResult,
} from '../../../../src/routing/health-monitor.js';
import { FakeClock } from '../../pool/helpers/fake-clock.js';
import { deferred, type Deferred } from '../../pool/helpers/fake-hooks.js';

export { FakeClock, flush } from '../../pool/helpers/fake-clock.js';
export { deferred } from '../../pool/helpers/fake-hooks.js';

/** A good check of a primary. */
export const PRIMARY_OK: ProbeResult = Object.freeze({ pingMs: 2, readOnly: false });

/** A good check of a replica with both threads running and `secondsBehind` of lag. */
export function replicaOk(secondsBehind: number | null = 0): ProbeResult {
  return { pingMs: 3, readOnly: true, replication: { ioRunning: true, sqlRunning: true, secondsBehind } };
}

/** A replica that answers but whose replication threads are as given (lag unknown when stopped). */
export function replicaStopped(io: boolean, sql: boolean): ProbeResult {
  return { pingMs: 3, readOnly: true, replication: { ioRunning: io, sqlRunning: sql, secondsBehind: null } };
}

/** What a fake check does: resolve with a result, reject with an error, or wait for the test. */
export type Outcome = ProbeResult | Error | 'hold';

/** A check the probe holds until the test settles it. */
export interface HeldCheck extends Deferred<ProbeResult> {
  readonly options: ProbeCheckOptions | undefined;
}

/** A {@link HealthProbe} that counts calls, checks in flight and closes. */
export class FakeProbe implements HealthProbe {
  /** What the next checks do; `outcomes` first (in order), then `outcome`. */
  outcome: Outcome;
  readonly outcomes: Outcome[] = [];
  readonly calls: { timeoutMs: number; options: ProbeCheckOptions | undefined }[] = [];
  readonly held: HeldCheck[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closeCalls = 0;

  constructor(outcome: Outcome) {
    this.outcome = outcome;
  }

  check(timeoutMs: number, options?: ProbeCheckOptions): Promise<ProbeResult> {
    this.calls.push({ timeoutMs, options });
    const outcome = this.outcomes.length > 0 ? this.outcomes.shift()! : this.outcome;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let p: Promise<ProbeResult>;
    if (outcome === 'hold') {
      const d = deferred<ProbeResult>();
      this.held.push({ ...d, options });
      p = d.promise;
    } else if (outcome instanceof Error) {
      p = Promise.reject(outcome);
    } else {
      p = Promise.resolve(outcome);
    }
    const done = () => {
      this.inFlight--;
    };
    p.then(done, done);
    return p;
  }

  close(): Promise<void> {
    this.closeCalls++;
    return Promise.resolve();
  }
}

/** Test settings: checks every second, 500 ms timeout, down after 3, up after 2. */
export const TEST_SETTINGS: HealthCheckSettings = Object.freeze({
  intervalMs: 1000,
  timeoutMs: 500,
  failuresToDown: 3,
  successesToUp: 2,
  queries: [],
});

export interface StateChange {
  readonly name: string;
  readonly prev: HealthState;
  readonly next: HealthState;
}

export interface Fixture {
  readonly monitor: HealthMonitor;
  readonly clock: FakeClock;
  /** Probes by backend name: `primary`, `replica`. */
  readonly probes: { readonly primary: FakeProbe; readonly replica: FakeProbe };
  readonly changes: StateChange[];
}

/**
 * A monitor over backend `primary` and backend `replica`, both answering well unless told
 * otherwise; closed at teardown.
 */
export function setup(
  t: ExecutionContext,
  options: {
    settings?: Partial<HealthCheckSettings>;
    maxReplicaLagMs?: number;
    primary?: Outcome;
    replica?: Outcome;
    onChange?: HealthMonitorOptions['onChange'];
  } = {},
): Fixture {
  const clock = new FakeClock();
  const probes = {
    primary: new FakeProbe(options.primary ?? PRIMARY_OK),
    replica: new FakeProbe(options.replica ?? replicaOk(0)),
  };
  const changes: StateChange[] = [];
  const monitor = new HealthMonitor({
    backends: [
      { name: 'primary', role: 'primary' },
      { name: 'replica', role: 'replica' },
    ],
    probe: (name) => probes[name as 'primary' | 'replica'],
    settings: { ...TEST_SETTINGS, ...options.settings },
    maxReplicaLagMs: options.maxReplicaLagMs ?? 5000,
    clock,
    onChange: (name, prev, next, health) => {
      changes.push({ name, prev, next });
      options.onChange?.(name, prev, next, health);
    },
  });
  t.teardown(() => monitor.close());
  return { monitor, clock, probes, changes };
}
