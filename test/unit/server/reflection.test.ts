/**
 * ServerReflection's answers, without a server: list_services, files by name and by symbol (the
 * exact bytes of the build's descriptor set, the file first, then its imports), and NOT_FOUND /
 * INVALID_ARGUMENT as error responses.
 */
import test from 'ava';
import { type ReflectionRequest, ServerReflection } from '../../../src/server/reflection.js';
import { DescriptorSet } from '../../../src/wire/descriptor-set.js';

const set = DescriptorSet.load();
const reflection = new ServerReflection(set, ['mysqlgateway.v1.Gateway', 'mysqlgateway.v1.Admin']);
const ask = (req: ReflectionRequest) => reflection.handleServerReflectionRequest(req);
const bytesOf = (name: string) => set.file(name)?.bytes;

test('list_services: the services given and reflection itself', (t) => {
  const res = ask({ host: 'h', message_request: 'list_services', list_services: '*' });
  t.deepEqual(res.list_services_response?.service, [
    { name: 'mysqlgateway.v1.Gateway' },
    { name: 'mysqlgateway.v1.Admin' },
    { name: 'grpc.reflection.v1.ServerReflection' },
    { name: 'grpc.reflection.v1alpha.ServerReflection' },
  ]);
  t.is(res.valid_host, 'h');
  t.is(res.original_request.list_services, '*');
});

const lookups: [ReflectionRequest, string[]][] = [
  [
    { message_request: 'file_by_filename', file_by_filename: 'mysqlgateway/v1/gateway.proto' },
    ['mysqlgateway/v1/gateway.proto', 'google/protobuf/struct.proto'],
  ],
  [
    { message_request: 'file_by_filename', file_by_filename: 'google/protobuf/struct.proto' },
    ['google/protobuf/struct.proto'],
  ],
  [
    { message_request: 'file_containing_symbol', file_containing_symbol: 'mysqlgateway.v1.Gateway' },
    ['mysqlgateway/v1/gateway.proto', 'google/protobuf/struct.proto'],
  ],
  [
    { message_request: 'file_containing_symbol', file_containing_symbol: '.mysqlgateway.v1.Value' },
    ['mysqlgateway/v1/gateway.proto', 'google/protobuf/struct.proto'],
  ],
  [
    { message_request: 'file_containing_symbol', file_containing_symbol: 'mysqlgateway.v1.Admin.GetStatus' },
    ['mysqlgateway/v1/admin.proto'],
  ],
  [
    { message_request: 'file_containing_symbol', file_containing_symbol: 'grpc.health.v1.Health' },
    ['health/v1/health.proto'],
  ],
];
for (const [req, files] of lookups) {
  test(`${req.message_request} ${req.file_by_filename ?? req.file_containing_symbol}: ${files.join(', ')}`, (t) => {
    const got = ask(req).file_descriptor_response?.file_descriptor_proto;
    t.deepEqual(got, files.map(bytesOf));
  });
}

const failures: [ReflectionRequest, number, RegExp][] = [
  [
    { message_request: 'file_by_filename', file_by_filename: 'mysqlgateway_v1.proto' },
    5,
    /file not found: mysqlgateway_v1\.proto/,
  ],
  [
    { message_request: 'file_containing_symbol', file_containing_symbol: 'mysqlgateway.v1.Nope' },
    5,
    /symbol not found: mysqlgateway\.v1\.Nope/,
  ],
  [
    {
      message_request: 'file_containing_extension',
      file_containing_extension: { containing_type: 'mysqlgateway.v1.Value', extension_number: 9 },
    },
    5,
    /extension not found: 9 of mysqlgateway\.v1\.Value/,
  ],
  [
    {
      message_request: 'all_extension_numbers_of_type',
      all_extension_numbers_of_type: 'mysqlgateway.v1.Gateway',
    },
    5,
    /message type not found/,
  ],
  [{ host: 'x' }, 3, /sets none of/],
];
for (const [req, code, message] of failures) {
  test(`${JSON.stringify(req)} fails with code ${code}`, (t) => {
    const res = ask(req);
    t.is(res.error_response?.error_code, code);
    t.regex(res.error_response?.error_message ?? '', message);
    t.is(res.file_descriptor_response, undefined);
  });
}

test('all_extension_numbers_of_type: none for a message without extensions', (t) => {
  const res = ask({
    message_request: 'all_extension_numbers_of_type',
    all_extension_numbers_of_type: 'mysqlgateway.v1.Value',
  });
  t.deepEqual(res.all_extension_numbers_response, {
    base_type_name: 'mysqlgateway.v1.Value',
    extension_number: [],
  });
});

test('a service missing from the set is refused at construction', (t) => {
  t.throws(() => new ServerReflection(set, ['mysqlgateway.v1.Nope']), {
    message: /mysqlgateway\.v1\.Nope is not in/,
  });
  t.throws(
    () => new ServerReflection(set, ['mysqlgateway.v1.Value']),
    { message: /is not in/ },
    'a message is no service',
  );
});
