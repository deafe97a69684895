/** Connection errors reported by real traffic take a backend down before the next check. */
import test from 'ava';
import { GatewayError } from '../../../src/errors.js';
import { flush, PRIMARY_OK, setup } from './helpers/setup.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
const lost = () =>
  Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });

test('failuresToDown connection errors within one interval take the backend down at once', async (t) => {
  const { monitor, clock, probes, changes } = setup(t);
  monitor.start();
  await flush();
  const checks = probes.primary.calls.length;
  monitor.reportConnectionError('primary', refused());
  await clock.advance(300);
  monitor.reportConnectionError('primary', lost());
  t.is(monitor.health('primary').state, 'healthy');
  await clock.advance(300);
  monitor.reportConnectionError('primary', refused());
  t.like(monitor.health('primary'), {
    state: 'down',
    lastError: '3 connection errors within 1000 ms: backend unavailable: ECONNREFUSED',
    consecutiveSuccesses: 0,
  });
  t.is(probes.primary.calls.length, checks, 'no check was needed');
  t.deepEqual(changes.at(-1), { name: 'primary', prev: 'healthy', next: 'down' });
});

test('errors spread over more than one interval do not', async (t) => {
  const { monitor, clock } = setup(t);
  monitor.start();
  await flush();
  for (let i = 0; i < 6; i++) {
    monitor.reportConnectionError('primary', refused());
    await clock.advance(500);
  }
  t.is(monitor.health('primary').state, 'healthy');
});

test('errors that are not connection-level are ignored', async (t) => {
  const { monitor } = setup(t);
  monitor.start();
  await flush();
  const duplicate = Object.assign(new Error('Duplicate entry'), { errno: 1062, sqlState: '23000' });
  for (let i = 0; i < 5; i++) {
    monitor.reportConnectionError('primary', duplicate);
    monitor.reportConnectionError('primary', new Error('a bug'));
  }
  t.is(monitor.health('primary').state, 'healthy');
  t.is(monitor.health('primary').lastError, undefined);
});

test('after a traffic-triggered down, successesToUp good checks bring it back', async (t) => {
  const { monitor, clock } = setup(t);
  monitor.start();
  await flush();
  for (let i = 0; i < 3; i++) monitor.reportConnectionError('primary', refused());
  t.is(monitor.health('primary').state, 'down');
  await clock.advance(1000);
  t.like(monitor.health('primary'), { state: 'down', consecutiveSuccesses: 1 });
  await clock.advance(1000);
  t.is(monitor.health('primary').state, 'healthy');
});

test('a check that started before the errors does not count as good', async (t) => {
  const { monitor, clock, probes } = setup(t, { settings: { successesToUp: 1 } });
  monitor.start();
  await flush();
  probes.primary.outcome = 'hold';
  await clock.advance(1000);
  const held = probes.primary.held[0]!;
  for (let i = 0; i < 3; i++) monitor.reportConnectionError('primary', lost());
  held.resolve(PRIMARY_OK);
  await flush();
  t.is(monitor.health('primary').state, 'down');
  probes.primary.outcome = PRIMARY_OK;
  await clock.advance(1000);
  t.is(monitor.health('primary').state, 'healthy');
});

test('reports on a backend already down change nothing', async (t) => {
  const { monitor, changes } = setup(t);
  for (let i = 0; i < 3; i++) monitor.reportConnectionError('replica', refused());
  t.is(monitor.health('replica').lastError, 'not checked yet');
  t.deepEqual(changes, []);
});

test('reports after close are ignored', async (t) => {
  const { monitor } = setup(t);
  await monitor.close();
  for (let i = 0; i < 3; i++) monitor.reportConnectionError('primary', refused());
  t.is(monitor.health('primary').state, 'healthy');
});

test('a GatewayError UNAVAILABLE counts as a connection error', (t) => {
  const { monitor } = setup(t, { settings: { failuresToDown: 1 } });
  monitor.reportConnectionError('primary', GatewayError.from(refused()));
  t.is(monitor.health('primary').state, 'down');
});
