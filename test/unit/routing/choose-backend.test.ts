/** The routing rules, table-driven. */
import test from 'ava';
import { type Candidate, chooseForRead, pickReplica } from '../../../src/routing/choose-backend.js';

const primary = (state = 'healthy'): Candidate => ({
  name: 'p',
  state,
  lagMs: undefined,
  inFlight: 0,
  weight: 1,
});
const replica = (name: string, over: Partial<Candidate> = {}): Candidate => ({
  name,
  state: 'healthy',
  lagMs: 0,
  inFlight: 0,
  weight: 1,
  ...over,
});

test('REPLICA_PREFERRED reads a healthy replica within the lag bound', (t) => {
  const c = chooseForRead(
    'REPLICA_PREFERRED',
    primary(),
    [replica('r1', { lagMs: 9000 }), replica('r2', { lagMs: 100 })],
    5000,
    0,
  );
  t.deepEqual(typeof c === 'string' ? c : c.replica, 1);
});

test('REPLICA_PREFERRED falls back to the primary and says why', (t) => {
  const c = chooseForRead(
    'REPLICA_PREFERRED',
    primary(),
    [replica('r1', { state: 'down' }), replica('r2', { state: 'lagging', lagMs: undefined })],
    5000,
    0,
  );
  if (typeof c === 'string') return t.fail(c);
  t.is(c.replica, -1);
  t.regex(c.reason, /r1 is down/);
  t.regex(c.reason, /r2 is not replicating/);
});

test('REPLICA with no usable replica is an explanation, not a choice', (t) => {
  const c = chooseForRead('REPLICA', primary(), [replica('r1', { lagMs: 7000 })], 5000, 0);
  t.is(typeof c, 'string');
  t.regex(c as string, /r1 lags 7000 ms > 5000 ms/);
  t.regex(chooseForRead('REPLICA', primary(), [], 5000, 0) as string, /no replicas/);
});

test('PRIMARY always reads the primary; PRIMARY_PREFERRED only leaves a down primary', (t) => {
  const replicas = [replica('r1')];
  t.is((chooseForRead('PRIMARY', primary('down'), replicas, 0, 0) as { replica: number }).replica, -1);
  t.is((chooseForRead('PRIMARY_PREFERRED', primary(), replicas, 0, 0) as { replica: number }).replica, -1);
  t.is(
    (chooseForRead('PRIMARY_PREFERRED', primary('down'), replicas, 0, 0) as { replica: number }).replica,
    0,
  );
});

test('a tighter staleness bound excludes a replica that the cluster bound admits', (t) => {
  const replicas = [replica('r1', { lagMs: 2000 })];
  t.is(pickReplica(replicas, 5000, 0), 0);
  t.is(pickReplica(replicas, 1000, 0), -1);
});

test('least outstanding requests per weight wins; ties rotate', (t) => {
  t.is(pickReplica([replica('a', { inFlight: 3 }), replica('b', { inFlight: 1 })], 0, 0), 1);
  // b has twice the weight: 3 in flight on b (score 2) beats 1 on a (score 2)? equal -> rotation decides.
  t.is(pickReplica([replica('a', { inFlight: 1 }), replica('b', { inFlight: 3, weight: 2 })], 0, 0), 0);
  t.is(pickReplica([replica('a', { inFlight: 1 }), replica('b', { inFlight: 3, weight: 2 })], 0, 1), 1);
  const seen = new Set<number>();
  for (let rot = 0; rot < 4; rot++) seen.add(pickReplica([replica('a'), replica('b'), replica('c')], 0, rot));
  t.is(seen.size, 3, 'idle equal replicas are all used');
});

test('weight 0 never receives reads; unknown lag is unusable when lag is bounded', (t) => {
  t.is(pickReplica([replica('a', { weight: 0 })], 0, 0), -1);
  t.is(pickReplica([replica('a', { lagMs: undefined })], 5000, 0), -1);
  t.is(pickReplica([replica('a', { lagMs: undefined })], 0, 0), 0);
});
