import test from 'ava';
import { compileColumns, type DriverField, ResultShapeCache, resultShape } from '../../../src/sql/values.js';

const LONGLONG = 8;
const VAR_STRING = 253;
const UTF8MB4 = 224;

function def(more: Partial<DriverField> = {}): DriverField {
  return {
    name: 'c',
    orgName: 'c',
    table: 't',
    orgTable: 't',
    schema: 'test',
    columnType: VAR_STRING,
    characterSet: UTF8MB4,
    encoding: 'utf8',
    columnLength: 480,
    flags: 0,
    decimals: 0,
    ...more,
  };
}

test('the same text and column definitions give the same compiled shape', (t) => {
  const cache = new ResultShapeCache();
  const a = cache.shape('SELECT c FROM t', [def()], 'binary');
  const b = cache.shape('SELECT c FROM t', [def()], 'binary');
  t.is(a, b);
  t.is(a.columns, b.columns);
  t.is(a.decode, b.decode);
  t.deepEqual(a.columns, compileColumns([def()]));
  t.deepEqual(a.decode(['x']), [{ string_value: 'x' }]);
});

const CHANGES: [string, Partial<DriverField>][] = [
  ['name', { name: 'd' }],
  ['org_name', { orgName: 'd' }],
  ['table', { table: 'u' }],
  ['org_table', { orgTable: 'u' }],
  ['schema', { schema: 'other' }],
  ['type', { columnType: LONGLONG }],
  ['flags', { flags: 32 }],
  ['decimals', { decimals: 2 }],
  ['charset', { characterSet: 63, encoding: 'binary' }],
  ['length', { columnLength: 4 }],
  ['extended type', { extendedTypeName: 'uuid' }],
  ['extended format', { extendedFormat: 'json' }],
];

for (const [what, change] of CHANGES) {
  test(`a changed ${what} compiles a new shape`, (t) => {
    const cache = new ResultShapeCache();
    const a = cache.shape('SELECT * FROM v', [def()], 'binary');
    const b = cache.shape('SELECT * FROM v', [def(change)], 'binary');
    t.not(a, b);
    t.deepEqual(b.columns, compileColumns([def(change)]));
    t.is(cache.shape('SELECT * FROM v', [def(change)], 'binary'), b);
  });
}

test('another column count or protocol compiles a new shape', (t) => {
  const cache = new ResultShapeCache();
  const a = cache.shape('q', [def()], 'binary');
  t.not(cache.shape('q', [def(), def({ name: 'd' })], 'binary'), a);
  const text = cache.shape('q', [def()], 'text');
  t.deepEqual(text.decode([Buffer.from('é')]), [{ string_value: 'é' }]);
});

test('the cache holds at most maxEntries shapes, dropping the oldest', (t) => {
  const cache = new ResultShapeCache(2);
  const a = cache.shape('a', [def()], 'binary');
  cache.shape('b', [def()], 'binary');
  cache.shape('c', [def()], 'binary');
  t.is(cache.size, 2);
  t.not(cache.shape('a', [def()], 'binary'), a);
});

test('compiling is lazy: an undecodable charset fails only when the decoder is used', (t) => {
  const shape = resultShape([def({ characterSet: 999, encoding: 'no-such-charset' })], 'text');
  t.is(shape.columns.length, 1);
  t.throws(() => shape.decode, { message: /cannot be decoded/ });
});

test('the cache keeps copies, not the driver objects', (t) => {
  const field = { ...def(), _buf: Buffer.alloc(65536) } as DriverField;
  const shape = new ResultShapeCache().shape('q', [field], 'binary') as unknown as {
    fields: readonly object[];
  };
  t.false('_buf' in (shape.fields[0] as object));
});
