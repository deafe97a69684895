/**
 * Generic gRPC tooling works without the .proto file: the standard health service (overall and
 * per cluster, following the primary's health) and server reflection.
 */
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { protoPath as healthProto } from 'grpc-health-check';
import { stopNode, startNode, waitFor } from '../helpers/sandbox.js';
import type { AnyMessage } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway({
    clusters: {
      other: { primary: { host: '127.0.0.1', port: 1, user: 'x', password: 'y' }, pool: { min: 0 } },
    },
  });
});

test.after.always(async () => {
  await startNode(0).catch(() => {});
  await gw?.stop();
});

function healthClient(port: number): AnyMessage {
  const pkg = loadPackageDefinition(loadSync(healthProto, { keepCase: true, enums: String })) as AnyMessage;
  return new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
}

function check(client: AnyMessage, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.Check({ service }, (err: Error | null, res: AnyMessage) =>
      err ? reject(err) : resolve(String(res.status)),
    ),
  );
}

test.serial('grpc.health.v1: overall, per service and per cluster', async (t) => {
  const health = healthClient(gw.port);
  t.teardown(() => health.close());
  t.is(await check(health, ''), 'SERVING');
  t.is(await check(health, 'mysqlgateway.v1.Gateway'), 'SERVING');
  t.is(await check(health, 'mysqlgateway.v1.Gateway/default'), 'SERVING');
  // Cluster "other" points at a closed port: its primary goes down, the cluster NOT_SERVING.
  await waitFor(async () => (await check(health, 'mysqlgateway.v1.Gateway/other')) === 'NOT_SERVING', {
    timeoutMs: 15_000,
    message: 'cluster other NOT_SERVING',
  });
  t.is(await check(health, 'mysqlgateway.v1.Gateway/other'), 'NOT_SERVING');
  t.is(await check(health, ''), 'SERVING', 'one bad cluster does not take the gateway out');
});

test.serial(
  'a cluster turns NOT_SERVING while its primary is stopped, SERVING when it is back',
  async (t) => {
    const health = healthClient(gw.port);
    t.teardown(() => health.close());
    await stopNode(0);
    await waitFor(async () => (await check(health, 'mysqlgateway.v1.Gateway/default')) === 'NOT_SERVING', {
      timeoutMs: 15_000,
      message: 'default NOT_SERVING',
    });
    await startNode(0);
    await waitFor(async () => (await check(health, 'mysqlgateway.v1.Gateway/default')) === 'SERVING', {
      timeoutMs: 20_000,
      message: 'default SERVING again',
    });
    t.is(await check(health, 'mysqlgateway.v1.Gateway'), 'SERVING', 'the service as a whole serves too');
  },
);

test.serial('server reflection lists the services and returns the contract', async (t) => {
  const require = createRequire(import.meta.url);
  const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as AnyMessage;
  const client = new pkg.grpc.reflection.v1.ServerReflection(
    `127.0.0.1:${gw.port}`,
    credentials.createInsecure(),
  );
  t.teardown(() => client.close());
  const ask = (req: AnyMessage) =>
    new Promise<AnyMessage>((resolve, reject) => {
      const call = client.ServerReflectionInfo();
      call.on('data', (m: AnyMessage) => {
        resolve(m);
        call.end();
      });
      call.on('error', reject);
      call.write(req);
    });
  const list = await ask({ list_services: '' });
  const names = list.list_services_response.service.map((s: AnyMessage) => s.name);
  t.true(names.includes('mysqlgateway.v1.Gateway'), names.join(','));
  t.true(names.includes('mysqlgateway.v1.Admin'));
  const file = await ask({ file_containing_symbol: 'mysqlgateway.v1.Gateway' });
  const descriptors: Buffer[] = file.file_descriptor_response.file_descriptor_proto;
  t.true(descriptors.some((d) => d.toString('latin1').includes('QueryRequest')));
});
