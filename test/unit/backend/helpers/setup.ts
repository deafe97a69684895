/** A {@link Backend} and bare {@link DbConnection}s over the fake driver. */

import type { ExecutionContext } from 'ava';
import { CallAbort } from '../../../../src/abort-signal.js';
import { Backend } from '../../../../src/backend/backend.js';
import { DbConnection } from '../../../../src/backend/connection.js';
import type { ConnectorDeps } from '../../../../src/backend/connector.js';
import type { Clock } from '../../../../src/pool/clock.js';
import { type FakeDriver, FakeDriverConnection, TEST_SETTINGS } from './fake-driver.js';

export * from './fake-driver.js';

/** Pool options of test backends: up to 2 connections, none kept warm, no lifetime. */
const POOL = {
  min: 0,
  max: 2,
  acquireTimeoutMs: 1000,
  maxWaiting: 10,
  idleTimeoutMs: 10_000,
  validationIntervalMs: 5000,
  maxLifetimeMs: 0,
  lifetimeJitterMs: 0,
  evictionIntervalMs: 1000,
};

/** A primary backend over `driver`; closed at teardown. Failed connection attempts are retried without waiting. */
export function backendOver(t: ExecutionContext, driver: FakeDriver, deps: ConnectorDeps = {}): Backend {
  const backend = new Backend({
    settings: TEST_SETTINGS,
    role: 'primary',
    cluster: 'main',
    pool: POOL,
    validationQuery: '',
    connectorDeps: { createConnection: driver.create, sleep: async () => {}, ...deps },
  });
  t.teardown(() => backend.close());
  return backend;
}

/** A statement context with its abort controller. */
export function callContext(): { ctx: { signal: CallAbort }; abort: CallAbort } {
  const abort = new CallAbort();
  return { ctx: { signal: abort }, abort };
}

/** A {@link DbConnection} over a fresh fake driver connection (thread id 7, MariaDB). */
export function connectionOver(clock?: Clock): { db: DbConnection; driver: FakeDriverConnection } {
  const driver = new FakeDriverConnection(7, {}, true);
  const db = new DbConnection(driver, 'SET time_zone = "+00:00"', 0, clock);
  return { db, driver };
}
