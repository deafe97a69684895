/**
 * The descriptor set `make build` writes, as indexed by DescriptorSet: every file under its real
 * name with its real imports, every kind of symbol found in its file, malformed sets refused.
 * Expected names come from the .proto files (proto/, grpc-health-check's, @grpc/reflection's).
 */
import test from 'ava';
import { DescriptorSet, type SymbolKind } from '../../../src/wire/descriptor-set.js';

const set = DescriptorSet.load();

/** A FileDescriptorSet holding `files` (field 1, length-delimited, each). */
function encodeSet(files: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const len: number[] = [];
    for (let n = f.length; ; n = Math.floor(n / 128)) {
      len.push(n >= 128 ? (n % 128) | 128 : n);
      if (n < 128) break;
    }
    parts.push(Buffer.from([0x0a, ...len]), Buffer.from(f));
  }
  return Buffer.concat(parts);
}

test('files keep their real names and imports', (t) => {
  t.deepEqual(set.file('mysqlgateway/v1/gateway.proto')?.dependencies, ['google/protobuf/struct.proto']);
  t.deepEqual(set.file('mysqlgateway/v1/admin.proto')?.dependencies, []);
  t.deepEqual(set.file('google/protobuf/struct.proto')?.dependencies, []);
  t.truthy(set.file('health/v1/health.proto'));
  t.truthy(set.file('grpc/reflection/v1/reflection.proto'));
  t.truthy(set.file('grpc/reflection/v1alpha/reflection.proto'));
  t.is(set.file('mysqlgateway_v1.proto'), undefined, 'no file merged per package');
});

test('a file comes first, then its imports', (t) => {
  const gateway = set.file('mysqlgateway/v1/gateway.proto');
  if (!gateway) return t.fail('gateway.proto missing');
  t.deepEqual(
    set.withDependencies(gateway).map((f) => f.name),
    ['mysqlgateway/v1/gateway.proto', 'google/protobuf/struct.proto'],
  );
  t.true(Buffer.from(gateway.bytes).includes('mysqlgateway/v1/gateway.proto'));
});

test('services: every one in the set', (t) => {
  t.deepEqual([...set.services].sort(), [
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
    'mysqlgateway.v1.Admin',
    'mysqlgateway.v1.Gateway',
  ]);
});

const symbols: [string, SymbolKind, string][] = [
  ['mysqlgateway.v1.Gateway', 'service', 'mysqlgateway/v1/gateway.proto'],
  ['mysqlgateway.v1.Gateway.Transaction', 'method', 'mysqlgateway/v1/gateway.proto'],
  ['mysqlgateway.v1.QueryRequest', 'message', 'mysqlgateway/v1/gateway.proto'],
  ['mysqlgateway.v1.Value.kind', 'oneof', 'mysqlgateway/v1/gateway.proto'],
  ['mysqlgateway.v1.ColumnType', 'enum', 'mysqlgateway/v1/gateway.proto'],
  ['mysqlgateway.v1.Admin.GetStatus', 'method', 'mysqlgateway/v1/admin.proto'],
  ['mysqlgateway.v1.BackendStatus.lag_ms', 'field', 'mysqlgateway/v1/admin.proto'],
  ['mysqlgateway.v1.BACKEND_HEALTH_STATE_LAGGING', 'enum value', 'mysqlgateway/v1/admin.proto'],
  ['google.protobuf.NullValue', 'enum', 'google/protobuf/struct.proto'],
  ['google.protobuf.Struct.FieldsEntry', 'message', 'google/protobuf/struct.proto'],
  ['grpc.health.v1.HealthCheckResponse.ServingStatus', 'enum', 'health/v1/health.proto'],
  ['grpc.health.v1.HealthCheckResponse.SERVING', 'enum value', 'health/v1/health.proto'],
  [
    'grpc.reflection.v1.ServerReflection.ServerReflectionInfo',
    'method',
    'grpc/reflection/v1/reflection.proto',
  ],
  ['grpc.reflection.v1alpha.ErrorResponse', 'message', 'grpc/reflection/v1alpha/reflection.proto'],
];
for (const [symbol, kind, file] of symbols) {
  test(`symbol ${symbol} is a ${kind} of ${file}`, (t) => {
    const found = set.symbol(symbol);
    t.is(found?.kind, kind);
    t.is(found?.file.name, file);
  });
}

test('unknown names and extensions are not found', (t) => {
  t.is(set.symbol('mysqlgateway.v1.NoSuch'), undefined);
  t.is(set.symbol('mysqlgateway.v1'), undefined, 'a package is not a symbol');
  t.is(set.file('no/such.proto'), undefined);
  t.is(set.extension('mysqlgateway.v1.QueryRequest', 100), undefined);
  t.deepEqual(set.extensionNumbers('mysqlgateway.v1.QueryRequest'), []);
});

test('a set missing an import, holding a file twice, or cut short is refused', (t) => {
  const gateway = set.file('mysqlgateway/v1/gateway.proto')?.bytes as Uint8Array;
  const admin = set.file('mysqlgateway/v1/admin.proto')?.bytes as Uint8Array;
  t.throws(() => new DescriptorSet(encodeSet([gateway])), {
    message: /gateway\.proto imports google\/protobuf\/struct\.proto, which is missing/,
  });
  t.throws(() => new DescriptorSet(encodeSet([admin, admin])), { message: /admin\.proto appears twice/ });
  t.throws(() => new DescriptorSet(encodeSet([admin]).subarray(0, 100)), { message: /truncated/ });
  t.is(new DescriptorSet(encodeSet([admin])).symbol('mysqlgateway.v1.Admin')?.kind, 'service');
});

test('a missing set file names the build step', (t) => {
  t.throws(() => DescriptorSet.load('/nonexistent/descriptor-set.binpb'), { message: /make build/ });
});

test('a subset re-encodes the files asked for and their imports, each once', (t) => {
  const gateway = set.file('mysqlgateway/v1/gateway.proto');
  const struct = set.file('google/protobuf/struct.proto');
  if (!gateway || !struct) return t.fail('files missing');
  const subset = new DescriptorSet(set.encodeSubset([gateway, struct]));
  t.deepEqual(
    ['mysqlgateway/v1/gateway.proto', 'google/protobuf/struct.proto'].map((n) => subset.file(n)?.bytes),
    [gateway.bytes, struct.bytes],
  );
  t.deepEqual(subset.services, ['mysqlgateway.v1.Gateway']);
});
