/**
 * Server reflection that strict tools can use (grpcurl, Python's descriptor pool): every service
 * the server registers comes with its real file and the files it imports, by their real names,
 * and every type reachable from every method resolves. The client is
 * `helpers/strict_reflection_client.py`, run with Debian's python3-grpcio (`make python-deps`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(
  new URL('../../../test/integration/helpers/strict_reflection_client.py', import.meta.url),
);

/** One reflection version as the strict client saw it. */
interface Seen {
  readonly version: string;
  readonly services: string[];
  readonly files: string[];
  readonly types: string[];
}

let gw: TestGateway;

test.before(async () => {
  gw = await startGateway();
});

test.after.always(async () => {
  await gw?.stop();
});

function runClient(port: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const py = spawn(PYTHON, [CLIENT, `127.0.0.1:${port}`], { env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    let err = '';
    py.stdout.on('data', (d) => (out += String(d)));
    py.stderr.on('data', (d) => (err += String(d)));
    py.on('error', reject);
    py.on('close', (code) => resolve({ code, out, err }));
  });
}

test.serial('a strict client builds every registered service from reflection alone', async (t) => {
  const { code, out, err } = await runClient(gw.port);
  t.is(code, 0, `${err}\n${out}`);
  const seen = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Seen);
  t.deepEqual(
    seen.map((s) => s.version),
    ['v1', 'v1alpha'],
  );
  for (const s of seen) {
    t.deepEqual(
      s.services,
      [
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
        'mysqlgateway.v1.Admin',
        'mysqlgateway.v1.Gateway',
      ],
      s.version,
    );
    for (const file of [
      'mysqlgateway/v1/gateway.proto',
      'mysqlgateway/v1/admin.proto',
      'google/protobuf/struct.proto',
      'grpc/reflection/v1/reflection.proto',
      'grpc/reflection/v1alpha/reflection.proto',
    ])
      t.true(s.files.includes(file), `${s.version}: ${file} in ${s.files.join(', ')}`);
    t.true(
      s.files.some((f) => f.endsWith('health/v1/health.proto')),
      `${s.version}: the health file in ${s.files.join(', ')}`,
    );
    for (const type of [
      'mysqlgateway.v1.QueryRequest',
      'mysqlgateway.v1.TransactionResponse',
      'google.protobuf.NullValue',
      'mysqlgateway.v1.GetStatusResponse',
      'mysqlgateway.v1.BackendHealthState',
      'grpc.health.v1.HealthCheckResponse.ServingStatus',
      'grpc.reflection.v1.FileDescriptorResponse',
      'grpc.reflection.v1alpha.ListServiceResponse',
    ])
      t.true(s.types.includes(type), `${s.version}: ${type} resolved`);
  }
});
