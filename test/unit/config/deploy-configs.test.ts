/** The configs shipped for Docker Compose and Kubernetes load with the real loader. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse, parseAllDocuments } from 'yaml';
import { load, tempDir, writeFiles } from './helpers.js';

const deployDir = fileURLToPath(new URL('../../../../deploy/', import.meta.url));

test('the Kubernetes ConfigMap holds a valid production config', async (t) => {
  const docs = parseAllDocuments(await readFile(join(deployDir, 'k8s/gateway.yaml'), 'utf8')).map((d) =>
    d.toJS(),
  );
  const configMap = docs.find((d) => d.kind === 'ConfigMap');
  const root = await tempDir(t);
  const text = String(configMap.data['gateway.yaml']).replaceAll('/run/secrets/mysql/', `${root}/secrets/`);
  await writeFiles(root, { 'gateway.yaml': text, 'secrets/password': 'pw\n' });
  const config = await load({ argv: ['--config', join(root, 'gateway.yaml')] });
  t.is(config.profile, 'production');
  t.is(config.clusters.default?.replicas.length, 2);
  // The probes name services the gateway really serves.
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  t.is(container.readinessProbe.grpc.service, 'mysqlgateway.v1.Gateway/default');
  t.is(container.readinessProbe.grpc.port, config.server.port);
  // Authentication on, its principals from a Secret.
  t.true(config.auth.enabled);
  const principals = container.env.find((e: { name: string }) => e.name === 'GATEWAY_AUTH_PRINCIPALS');
  t.truthy(principals?.valueFrom?.secretKeyRef?.name);
});

test('the Docker Compose gateway config is valid', async (t) => {
  const root = await tempDir(t);
  const text = (await readFile(join(deployDir, 'compose/gateway.yaml'), 'utf8')).replaceAll(
    '/run/secrets/',
    `${root}/secrets/`,
  );
  await writeFiles(root, { 'gateway.yaml': text, 'secrets/mysql_gateway_password': 'pw\n' });
  const config = await load({ argv: ['--config', join(root, 'gateway.yaml')] });
  t.truthy(config.clusters.default?.primary.host);
  t.truthy(parse(text));
});
