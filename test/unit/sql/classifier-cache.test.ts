import test from 'ava';
import { StatementClassifier } from '../../../src/sql/classify.js';

test('a cached classification is the same frozen object', (t) => {
  const classifier = new StatementClassifier({ cacheSize: 10 });
  const first = classifier.classify('SELECT 1');
  t.is(classifier.classify(`SELECT ${1}`), first);
  t.true(Object.isFrozen(first));
  t.true(first.readOnly);
});

test('the least recently used entry is evicted first', (t) => {
  const classifier = new StatementClassifier({ cacheSize: 2 });
  const a = classifier.classify('SELECT 1');
  const b = classifier.classify('SELECT 2');
  t.is(classifier.classify('SELECT 1'), a); // refreshes 'SELECT 1'
  classifier.classify('SELECT 3'); // evicts 'SELECT 2'
  t.is(classifier.size, 2);
  t.is(classifier.classify('SELECT 1'), a);
  const b2 = classifier.classify('SELECT 2');
  t.not(b2, b);
  t.deepEqual(b2, b);
});

test('cacheSize 0 disables the cache', (t) => {
  const classifier = new StatementClassifier({ cacheSize: 0 });
  const first = classifier.classify('SELECT 1');
  t.not(classifier.classify('SELECT 1'), first);
  t.is(classifier.size, 0);
});

test('long SQL is classified but not cached', (t) => {
  const classifier = new StatementClassifier({ maxCachedSqlLength: 20 });
  const long = `SELECT ${'1 + '.repeat(20)}1`;
  t.true(classifier.classify(long).readOnly);
  t.is(classifier.size, 0);
  classifier.classify('SELECT 1');
  t.is(classifier.size, 1);
});

test('the classifier applies the sql_mode options', (t) => {
  const sql = "SELECT 'a\\' FOR UPDATE -- '";
  t.true(new StatementClassifier().classify(sql).readOnly);
  t.false(new StatementClassifier({ noBackslashEscapes: true }).classify(sql).readOnly);
});

test('unknown and invalid options are rejected', (t) => {
  t.throws(() => new StatementClassifier({ cachesize: 1 } as never), { message: /cachesize/ });
  t.throws(() => new StatementClassifier({ cacheSize: -1 }), { instanceOf: TypeError });
  t.throws(() => new StatementClassifier({ cacheSize: 1.5 }), { instanceOf: TypeError });
});
