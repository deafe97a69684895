import test from 'ava';
import { Code, GatewayError } from '../../../src/errors.js';
import {
  batchCommandOf,
  beginCommandOf,
  executeCommandOf,
  queryCommandOf,
  queryStatsRequestOf,
  requestTagOf,
} from '../../../src/server/request-decode.js';

test('request_tag is decoded into every command that takes one', (t) => {
  t.is(queryCommandOf({ sql: 'SELECT 1', request_tag: 'a' }).requestTag, 'a');
  t.is(executeCommandOf({ sql: 'DO 1', request_tag: 'b' }).requestTag, 'b');
  t.is(beginCommandOf({ request_tag: 'c' }).requestTag, 'c');
  t.is(batchCommandOf({ request_tag: 'd', steps: [] }).requestTag, 'd');
  t.is(queryCommandOf({ sql: 'SELECT 1' }).requestTag, '');
});

for (const bad of ['x'.repeat(65), 'new\nline', 'tab\t', 'naïve', '\u0000']) {
  test(`request_tag ${JSON.stringify(bad).slice(0, 20)} is INVALID_ARGUMENT BAD_REQUEST_TAG`, (t) => {
    const err = t.throws(() => requestTagOf(bad), { instanceOf: GatewayError }) as GatewayError;
    t.is(err.code, Code.INVALID_ARGUMENT);
    t.is(err.reason, 'BAD_REQUEST_TAG');
    t.false(err.message.includes(bad), 'the message does not echo the tag');
  });
}

test('a 64-character printable tag is accepted', (t) => {
  t.is(requestTagOf('~ !'.padEnd(64, 'z')), '~ !'.padEnd(64, 'z'));
});

test('GetQueryStatsRequest: sort names, defaults, unknown sort refused', (t) => {
  t.deepEqual(queryStatsRequestOf({}), { query: { sortBy: 'total', limit: 0, cluster: '' }, reset: false });
  t.deepEqual(queryStatsRequestOf({ sort: 'QUERY_STATS_SORT_P99', limit: 5, cluster: 'c', reset: true }), {
    query: { sortBy: 'p99', limit: 5, cluster: 'c' },
    reset: true,
  });
  const err = t.throws(() => queryStatsRequestOf({ sort: 42 })) as GatewayError;
  t.is(err.reason, 'BAD_SORT');
});
