import test from 'ava';
import { Code } from '../../../src/errors.js';
import type { Lease } from '../../../src/pool/lease.js';
import type { FakeResource } from './helpers/fake-hooks.js';
import { assertGatewayError, flush, setup } from './helpers/setup.js';

const endings: Record<string, (lease: Lease<FakeResource>) => void> = {
  release: (lease) => lease.release(),
  'release with reset': (lease) => lease.release({ reset: true }),
  destroy: (lease) => lease.destroy(),
};

for (const [firstName, first] of Object.entries(endings)) {
  for (const [secondName, second] of Object.entries(endings)) {
    test(`${firstName} then ${secondName} throws LEASE_ALREADY_RELEASED and changes nothing`, async (t) => {
      const { pool, hooks } = setup(t);
      const lease = await pool.acquire();
      first(lease);
      await flush();
      const before = pool.stats();
      assertGatewayError(
        t,
        t.throws(() => second(lease)),
        Code.FAILED_PRECONDITION,
        'LEASE_ALREADY_RELEASED',
      );
      await flush();
      t.deepEqual(pool.stats(), before);
      t.true(hooks.created.every((resource) => resource.destroyCount <= 1));
    });
  }
}

test('a stale lease cannot release a resource that has since been leased again', async (t) => {
  const { pool } = setup(t, { max: 1 });
  const stale = await pool.acquire();
  stale.release();
  const current = await pool.acquire();
  t.is(current.resource, stale.resource);
  assertGatewayError(
    t,
    t.throws(() => stale.release()),
    Code.FAILED_PRECONDITION,
    'LEASE_ALREADY_RELEASED',
  );
  t.like(pool.stats(), { idle: 0, used: 1 });
  current.release();
});
