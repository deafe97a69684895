/**
 * OTLP export over the network: a running gateway configured with `telemetry.otlpEndpoint` sends
 * its spans (and metrics) to a test collector on 127.0.0.1, which decodes what it receives:
 * OTLP/HTTP protobuf (the default protocol) and OTLP/gRPC.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { waitFor } from '../helpers/sandbox.js';
import { execute, query, v } from './helpers/client.js';
import { startGateway } from './helpers/gateway.js';
import {
  OTLP_TRACE_PROTO_FILE,
  OtlpReceiver,
  type ReceivedSpan,
  spansOfRequest,
} from './helpers/telemetry.js';

test.serial('OTLP/HTTP protobuf: spans and metrics reach the collector', async (t) => {
  const receiver = await OtlpReceiver.start();
  t.teardown(() => receiver.close());
  const gw = await startGateway({
    telemetry: {
      enabled: true,
      otlpEndpoint: receiver.endpoint,
      otlpProtocol: 'http/protobuf',
      serviceName: 'gw-otlp-test',
      resourceAttributes: { 'deployment.environment.name': 'test' },
    },
  });
  t.teardown(() => gw.stop());
  const sql = 'SELECT ? AS over_the_network';
  await query(gw.client, { sql, params: [v.i64(1)] });
  await execute(gw.client, { sql: 'DO ?', params: [v.i64(2)] });
  // The batch processor exports every few seconds; flushing sends now.
  await gw.gateway.telemetry.flush();
  let spans: ReceivedSpan[] = [];
  await waitFor(
    () => {
      spans = receiver.spans();
      return spans.some((s) => s.attributes['db.query.text'] === sql);
    },
    { message: 'the statement span at the collector' },
  );
  const traces = receiver.requests.filter((r) => r.path === '/v1/traces');
  t.true(traces.every((r) => r.contentType === 'application/x-protobuf'));
  const stmt = spans.find((s) => s.attributes['db.query.text'] === sql) as ReceivedSpan;
  const server = spans.find((s) => s.spanId === stmt.parentSpanId) as ReceivedSpan;
  t.truthy(server, 'the parent SERVER span came too');
  t.is(server.name, 'mysqlgateway.v1.Gateway/Query');
  t.is(server.kind, 2, 'SPAN_KIND_SERVER');
  t.is(stmt.kind, 3, 'SPAN_KIND_CLIENT');
  t.is(stmt.traceId, server.traceId);
  t.is(stmt.attributes['db.system.name'], 'mariadb');
  t.is(stmt.attributes['db.response.returned_rows'], 1);
  t.is(server.attributes['rpc.status_code'], 'OK');
  t.is(stmt.resource['service.name'], 'gw-otlp-test');
  t.is(stmt.resource['deployment.environment.name'], 'test');
  t.true(spans.some((s) => s.name === 'mysqlgateway.v1.Gateway/Execute'));

  await waitFor(() => receiver.requests.some((r) => r.path === '/v1/metrics'), {
    message: 'a metrics export',
  });
  const metrics = receiver.requests.filter((r) => r.path === '/v1/metrics');
  const body = Buffer.concat(metrics.map((r) => r.body)).toString('latin1');
  t.true(body.includes('db.client.operation.duration'));
  t.true(body.includes('rpc.server.call.duration'));
  await gw.assertNoLeaks();
});

test.serial('OTLP/gRPC: spans reach a gRPC collector', async (t) => {
  const def = loadSync(OTLP_TRACE_PROTO_FILE(), {
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const received: ReceivedSpan[] = [];
  const collector = new Server();
  const service = def['opentelemetry.proto.collector.trace.v1.TraceService'] as never;
  collector.addService(service, {
    Export: (call: { request: unknown }, cb: (err: null, res: object) => void) => {
      received.push(...spansOfRequest(call.request));
      cb(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    collector.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.teardown(() => new Promise<void>((resolve) => collector.tryShutdown(() => resolve())));
  const gw = await startGateway({
    telemetry: {
      enabled: true,
      otlpEndpoint: `http://127.0.0.1:${port}`,
      otlpProtocol: 'grpc',
      metricsEnabled: false,
    },
  });
  t.teardown(() => gw.stop());
  await query(gw.client, { sql: 'SELECT 1 AS over_grpc' });
  await gw.gateway.telemetry.flush();
  await waitFor(() => received.some((s) => s.attributes['db.query.text'] === 'SELECT ? AS over_grpc'), {
    message: 'the statement span at the gRPC collector',
  });
  const stmt = received.find(
    (s) => s.attributes['db.query.text'] === 'SELECT ? AS over_grpc',
  ) as ReceivedSpan;
  t.true(received.some((s) => s.spanId === stmt.parentSpanId && s.name === 'mysqlgateway.v1.Gateway/Query'));
  await gw.assertNoLeaks();
});
