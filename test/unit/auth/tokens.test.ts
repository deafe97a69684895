import test from 'ava';
import { bearerOf, hashToken, newToken, TOKEN_PREFIX } from '../../../src/auth/tokens.js';

test('hashToken is SHA-256 in lowercase hex (FIPS 180-2 test vector)', (t) => {
  t.is(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('newToken makes distinct, prefixed, header-safe tokens of 256 bits', (t) => {
  const a = newToken();
  const b = newToken();
  t.not(a, b);
  t.true(a.startsWith(TOKEN_PREFIX));
  t.regex(a, /^[\x21-\x7e]+$/);
  t.is(Buffer.from(a.slice(TOKEN_PREFIX.length), 'base64url').length, 32);
});

const CASES: [unknown[], string][] = [
  [[], 'none'],
  [['Bearer abc'], 'token:abc'],
  [['bearer abc'], 'token:abc'],
  [['BEARER   abc  '], 'token:abc'],
  [['Bearer'], 'malformed'],
  [['Bearer '], 'malformed'],
  [['Basic abc'], 'malformed'],
  [['abc'], 'malformed'],
  [['Bearer a b'], 'malformed'],
  [['Bearer a', 'Bearer b'], 'malformed'],
  [[Buffer.from('Bearer abc')], 'malformed'],
];

for (const [values, expected] of CASES) {
  test(`bearerOf(${JSON.stringify(values)}) is ${expected}`, (t) => {
    const b = bearerOf(values);
    t.is(b.kind === 'token' ? `token:${b.token}` : b.kind, expected);
  });
}
