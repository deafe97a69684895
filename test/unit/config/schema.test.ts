import test from 'ava';
import { backendSchema, clusterSchema, gatewaySchema, principalSchema } from '../../../src/config/index.js';
import { declaredKeys } from './helpers.js';

const SCHEMAS = [
  ['top level', gatewaySchema],
  ['cluster', clusterSchema],
  ['backend', backendSchema],
  ['principal', principalSchema],
] as const;

for (const [what, schema] of SCHEMAS) {
  test(`every ${what} key has doc, what it accepts, and a default or is required`, (t) => {
    const keys = [...declaredKeys(schema)];
    t.true(keys.length >= 5);
    for (const [path, key] of keys) {
      t.true(typeof key.doc === 'string' && key.doc.length > 5, `${path} doc`);
      const accepts = [key.format, key.object, key.items, key.entries].filter((x) => x !== undefined);
      t.is(accepts.length, 1, `${path}: exactly one of format, object, items, entries`);
      if (key.format !== undefined) t.is(typeof key.format.check, 'function', `${path} format`);
      t.true('default' in key !== (key.required === true), `${path} default xor required`);
    }
  });
}

test('every top-level key but the sections has a GATEWAY_* (or NODE_ENV) variable, each its own', (t) => {
  const envs: string[] = [];
  for (const [path, key] of declaredKeys(gatewaySchema)) {
    t.regex(String(key.env), path === 'profile' ? /^NODE_ENV$/ : /^GATEWAY_[A-Z0-9_]+$/, `${path} env`);
    envs.push(String(key.env));
  }
  t.is(new Set(envs).size, envs.length, 'environment variable names are unique');
  t.true(envs.length >= 30);
});

test('the keys below the top level are set in the file or in their mapping, not by variables of their own', (t) => {
  for (const [, schema] of SCHEMAS.slice(1)) {
    for (const [path, key] of declaredKeys(schema)) t.is(key.env, undefined, path);
  }
});

test('clusters and principals are mappings whose entries follow the cluster and principal schemas', (t) => {
  t.is(gatewaySchema.clusters.entries, clusterSchema);
  t.is(gatewaySchema.auth.principals.entries, principalSchema);
  t.is(clusterSchema.primary.object, backendSchema);
  t.is(clusterSchema.replicas.items, backendSchema);
});
