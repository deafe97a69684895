import test from 'ava';
import { QueryTextCache } from '../../../src/telemetry/query-text.js';

test('db.query.text keeps placeholders and replaces every literal', (t) => {
  const texts = new QueryTextCache();
  t.is(
    texts.text("SELECT * FROM t WHERE a = 'secret' AND b = ? AND c > 42"),
    'SELECT * FROM t WHERE a = ? AND b = ? AND c > ?',
  );
  t.is(texts.text('SELECT 1 /* user=bob */'), 'SELECT ?  ');
});

test('the gateway’s own statements are described by the classifier', (t) => {
  const texts = new QueryTextCache();
  t.deepEqual(texts.describe('START TRANSACTION READ ONLY'), { operation: 'START', summary: 'START' });
  t.deepEqual(texts.describe('COMMIT'), { operation: 'COMMIT', summary: 'COMMIT' });
  t.is(texts.describe('SELECT MASTER_GTID_WAIT(?, ?)').operation, 'SELECT');
});

test('the cache returns what it computed, and stays bounded', (t) => {
  const texts = new QueryTextCache({ size: 2, maxCachedLength: 20 });
  const a = texts.text("SELECT 'a'");
  t.is(texts.text("SELECT 'a'"), a);
  for (let i = 0; i < 100; i++) t.is(texts.text(`SELECT ${i}`), 'SELECT ?');
  t.is(texts.text(`SELECT '${'x'.repeat(100)}'`), 'SELECT ?', 'long texts are computed, not cached');
  t.is((texts as unknown as { texts: { map: Map<string, string> } }).texts.map.size, 2);
});
