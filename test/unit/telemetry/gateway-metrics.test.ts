/** The metric instruments over fake pools, health and sessions: names, units, values, labels. */
import test from 'ava';
import { fakeBackend, testTelemetry } from './helpers.js';

function source(
  backends = [fakeBackend(), fakeBackend({ name: 'r1:3306', role: 'replica' }, { idle: 1, used: 0 })],
) {
  const health: Record<string, { state: string; lagMs: number | undefined }> = {
    'db1:3306': { state: 'healthy', lagMs: undefined },
    'r1:3306': { state: 'lagging', lagMs: 7000 },
  };
  return {
    clusters: () => [
      {
        name: 'main',
        serving: true,
        backends,
        health: { health: (n: string) => health[n] ?? { state: 'down', lagMs: undefined } },
      },
    ],
    sessionCounts: () => ({ active: 2, committed: 5, rolledBack: 1, aborted: 3 }),
  };
}

test('pool gauges per pool, with the OpenTelemetry names and units', async (t) => {
  const { telemetry, reader } = testTelemetry();
  telemetry.observe(source());
  const count = await reader.points('db.client.connection.count');
  t.deepEqual(
    count.map((p) => [
      p.attributes['db.client.connection.pool.name'],
      p.attributes['db.client.connection.state'],
      p.value,
    ]),
    [
      ['main/primary db1:3306', 'idle', 2],
      ['main/primary db1:3306', 'used', 1],
      ['main/replica r1:3306', 'idle', 1],
      ['main/replica r1:3306', 'used', 0],
    ],
  );
  t.like(await reader.descriptor('db.client.connection.count'), { unit: '{connection}' });
  for (const [name, value] of [
    ['db.client.connection.max', 5],
    ['db.client.connection.limit', 5],
    ['db.client.connection.idle.max', 5],
    ['db.client.connection.idle.min', 1],
    ['db.client.connection.pending_requests', 0],
    ['db.client.connection.timeouts', 0],
    ['mysqlgateway.pool.connections.created', 3],
  ] as const) {
    const points = await reader.points(name);
    t.is(points[0]?.value, value, name);
    t.deepEqual(points[0]?.attributes, { 'db.client.connection.pool.name': 'main/primary db1:3306' }, name);
  }
  await telemetry.close();
});

test('pool events become wait, use and create time histograms in seconds', async (t) => {
  const { telemetry, reader } = testTelemetry();
  const b = fakeBackend();
  telemetry.onPoolEvent(b, { type: 'acquired', waitMs: 250 });
  telemetry.onPoolEvent(b, { type: 'released', useMs: 1500 });
  telemetry.onPoolEvent(b, { type: 'created', createMs: 20 });
  telemetry.onPoolEvent(b, { type: 'rejected', reason: 'queueFull' });
  for (const [name, sum] of [
    ['db.client.connection.wait_time', 0.25],
    ['db.client.connection.use_time', 1.5],
    ['db.client.connection.create_time', 0.02],
  ] as const) {
    const [p] = await reader.points(name);
    t.like(p?.value, { count: 1, sum }, name);
    t.deepEqual(p?.attributes, { 'db.client.connection.pool.name': 'main/primary db1:3306' });
    t.like(await reader.descriptor(name), { unit: 's' });
  }
  await telemetry.close();
});

test('health, lag, serving, transactions and uptime gauges', async (t) => {
  const { telemetry, reader } = testTelemetry();
  telemetry.observe(source());
  const health = await reader.points('mysqlgateway.backend.health.state');
  const on = health.filter((p) => p.value === 1).map((p) => [p.attributes.backend, p.attributes.state]);
  t.deepEqual(on, [
    ['db1:3306', 'healthy'],
    ['r1:3306', 'lagging'],
  ]);
  t.is(health.length, 6, 'one series per backend and state');
  const lag = await reader.points('mysqlgateway.backend.replication.lag');
  t.deepEqual(
    lag.map((p) => [p.attributes, p.value]),
    [[{ cluster: 'main', backend: 'r1:3306', role: 'replica' }, 7]],
  );
  t.like(await reader.descriptor('mysqlgateway.backend.replication.lag'), { unit: 's' });
  t.is((await reader.points('mysqlgateway.cluster.serving'))[0]?.value, 1);
  t.is((await reader.points('mysqlgateway.transactions.active'))[0]?.value, 2);
  const ended = await reader.points('mysqlgateway.transactions.ended');
  t.deepEqual(Object.fromEntries(ended.map((p) => [p.attributes.outcome, p.value])), {
    committed: 5,
    rolled_back: 1,
    aborted: 3,
  });
  t.true(((await reader.points('mysqlgateway.uptime'))[0]?.value as number) >= 0);
  await telemetry.close();
});

test('rare-event counters start at zero for every cluster and backend', async (t) => {
  const { telemetry, reader } = testTelemetry();
  telemetry.observe(source());
  t.deepEqual(
    (await reader.points('mysqlgateway.query.retries')).map((p) => [p.attributes, p.value]),
    [[{ cluster: 'main' }, 0]],
  );
  t.is((await reader.points('mysqlgateway.rows.streamed')).length, 2);
  t.is((await reader.points('mysqlgateway.bytes.streamed')).length, 2);
  t.throws(() => telemetry.observe(source()), { message: /twice/ });
  await telemetry.close();
});

test('metrics off: instruments are no-ops and nothing is collected', async (t) => {
  const { telemetry, reader } = testTelemetry({ metricsEnabled: false });
  telemetry.observe(source());
  telemetry.onPoolEvent(fakeBackend(), { type: 'acquired', waitMs: 1 });
  const call = telemetry.startCall('Query');
  call.end();
  // The reader was never attached to a meter provider.
  await t.throwsAsync(reader.points('db.client.connection.count'), {
    message: /not bound to a MetricProducer/,
  });
  await telemetry.close();
});
