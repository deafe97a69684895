import test from 'ava';
import { backendSchema, clusterSchema, gatewaySchema } from '../../../src/config/index.js';

interface Node {
  readonly [key: string]: unknown;
}

function* leaves(node: Node, prefix = ''): Generator<[string, Node]> {
  for (const [key, child] of Object.entries(node)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const childNode = child as Node;
    if ('default' in childNode || typeof childNode.doc === 'string') yield [path, childNode];
    else yield* leaves(childNode, path);
  }
}

test('every convict key has doc, format, default and a GATEWAY_* (or NODE_ENV) variable', (t) => {
  const envs: string[] = [];
  for (const [path, entry] of leaves(gatewaySchema as unknown as Node)) {
    t.true(typeof entry.doc === 'string' && entry.doc.length > 10, `${path} doc`);
    t.not(entry.format, undefined, `${path} format`);
    t.true('default' in entry, `${path} default`);
    t.regex(String(entry.env), path === 'profile' ? /^NODE_ENV$/ : /^GATEWAY_[A-Z0-9_]+$/, `${path} env`);
    envs.push(String(entry.env));
  }
  t.is(new Set(envs).size, envs.length, 'environment variable names are unique');
  t.true(envs.length >= 30);
});

test('every cluster and backend key has doc, a check and a default or is required', (t) => {
  for (const [path, entry] of [
    ...leaves(clusterSchema as unknown as Node),
    ...leaves(backendSchema as unknown as Node),
  ]) {
    t.true(typeof entry.doc === 'string' && entry.doc.length > 5, `${path} doc`);
    t.true('format' in entry || 'object' in entry || 'items' in entry, `${path} check`);
    t.true('default' in entry !== (entry.required === true), `${path} default xor required`);
  }
});
