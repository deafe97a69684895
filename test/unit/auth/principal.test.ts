import test from 'ava';
import { Code } from '../../../src/errors.js';
import { Principal } from '../../../src/auth/principal.js';
import { TokenBucket } from '../../../src/auth/rate-limiter.js';
import { GatewayError } from '../../../src/errors.js';
import { principalSettings } from './helpers.js';

const BASE = principalSettings();

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).reason;
  }
  return 'OK';
}

test('a token bucket grants its burst, then one request per 1/rate seconds', (t) => {
  let now = 0;
  const bucket = new TokenBucket(2, 3, () => now);
  t.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
  t.is(bucket.take(), 500, 'empty: the next token comes in 500 ms at 2/s');
  now += 499;
  t.true(bucket.take() > 0);
  now += 2;
  t.is(bucket.take(), 0);
  now += 60_000;
  t.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0], 'refill stops at the burst');
  t.true(bucket.take() > 0);
});

test('clusters: * allows all, a list allows only its names', (t) => {
  t.is(
    reason(() => new Principal('p', BASE).useCluster('x')),
    'OK',
  );
  const only = new Principal('p', { ...BASE, clusters: ['a'] });
  t.is(
    reason(() => only.useCluster('a')),
    'OK',
  );
  t.is(
    reason(() => only.useCluster('b')),
    'CLUSTER_NOT_ALLOWED',
  );
});

test('a read-only principal refuses writes, naming what was refused', (t) => {
  const p = new Principal('reporting', { ...BASE, readOnly: true });
  try {
    p.write('Execute');
    t.fail();
  } catch (err) {
    t.true(err instanceof GatewayError);
    t.is((err as GatewayError).code, Code.PERMISSION_DENIED);
    t.regex((err as GatewayError).message, /reporting is read-only: Execute refused/);
  }
  t.is(
    reason(() => new Principal('rw', BASE).write('Execute')),
    'OK',
  );
});

test('call and transaction slots are counted, refused over the limit, and released once', (t) => {
  const p = new Principal('p', { ...BASE, maxConcurrentCalls: 2, maxConcurrentTransactions: 1 });
  const tx = p.enter(true);
  t.is(
    reason(() => p.enter(true)),
    'TOO_MANY_TRANSACTIONS',
  );
  const call = p.enter(false);
  t.is(
    reason(() => p.enter(false)),
    'TOO_MANY_CALLS',
  );
  call.release();
  call.release();
  t.deepEqual(p.inFlight, { calls: 1, transactions: 1 }, 'a second release gives nothing back twice');
  tx.release();
  t.deepEqual(p.inFlight, { calls: 0, transactions: 0 });
  t.is(
    reason(() => p.enter(true).release()),
    'OK',
  );
});

test('the request rate refuses with a retry hint; burst 0 means one second of requests', (t) => {
  let now = 0;
  const p = new Principal('p', { ...BASE, requestsPerSecond: 4 }, () => now);
  for (let i = 0; i < 4; i++)
    t.is(
      reason(() => p.request()),
      'OK',
    );
  try {
    p.request();
    t.fail();
  } catch (err) {
    t.is((err as GatewayError).reason, 'RATE_LIMITED');
    t.regex((err as GatewayError).message, /retry in 250 ms/);
  }
  now += 250;
  t.is(
    reason(() => p.request()),
    'OK',
  );
});
