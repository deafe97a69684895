/**
 * Random `Value` wire objects over every kind and its edge values (64-bit extremes, -0, NaN,
 * empty, non-ASCII and huge strings and bytes), for the hand-written codec tests.
 */
import { NULL_VALUE, type WireValue } from '../../src/sql/values.js';

const INT64_EDGES = [
  '0',
  '1',
  '-1',
  '127',
  '128',
  '-64',
  '-65',
  '999999999999999',
  '-999999999999999',
  '1000000000000000',
  '-1000000000000000',
  '4503599627370495',
  '4503599627370496',
  '9007199254740991',
  '9007199254740992',
  '-9007199254740993',
  '2147483647',
  '-2147483648',
  '4294967296',
  '9223372036854775807',
  '-9223372036854775808',
  '-0',
];
const UINT64_EDGES = [
  '0',
  '1',
  '127',
  '128',
  '16383',
  '16384',
  '999999999999999',
  '1000000000000000',
  '9007199254740993',
  '9223372036854775808',
  '18446744073709551615',
  '4294967295',
];
const DOUBLE_EDGES = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  Number.EPSILON,
  1.5,
  -3.4028234663852886e38,
];
const STRING_EDGES = [
  '',
  'a',
  'x'.repeat(48),
  'x'.repeat(49),
  'x'.repeat(127),
  'x'.repeat(128),
  'é',
  'ü'.repeat(30),
  '日本語のテキスト',
  '😀 emoji 🏳️‍🌈',
  '\u0000nul\u0000',
  '-0.000000000000000000000000000001',
  '0000-00-00 00:00:00',
  '-838:59:59.000000',
];
const HUGE_STRINGS = ['z'.repeat(300_000), 'é'.repeat(70_000)];

function randomInt64(rnd: () => number): string {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  const shift = BigInt(Math.floor(rnd() * 64));
  return BigInt.asIntN(64, ((hi << 32n) | lo) >> shift).toString();
}

export function randomUint64(rnd: () => number): string {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  return (((hi << 32n) | lo) >> BigInt(Math.floor(rnd() * 64))).toString();
}

function randomDouble(rnd: () => number): number {
  const b = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) b[i] = Math.floor(rnd() * 256);
  return b.readDoubleLE(0);
}

export function randomString(rnd: () => number): string {
  const n = Math.floor(rnd() ** 3 * 200);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.7) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
    else if (r < 0.85) s += String.fromCharCode(0x80 + Math.floor(rnd() * 0x700));
    else if (r < 0.95) s += String.fromCharCode(0x800 + Math.floor(rnd() * 0xd000));
    else s += String.fromCodePoint(0x10000 + Math.floor(rnd() * 0xfffff));
  }
  return s;
}

function randomBytes(rnd: () => number): Buffer {
  const n = rnd() < 0.002 ? 200_000 : Math.floor(rnd() ** 3 * 300);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

function randomValue(rnd: () => number): WireValue {
  const edge = rnd() < 0.3;
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return NULL_VALUE;
    case 1:
      return { int64_value: edge ? pick(rnd, INT64_EDGES) : randomInt64(rnd) };
    case 2:
      return { uint64_value: edge ? pick(rnd, UINT64_EDGES) : randomUint64(rnd) };
    case 3:
      return { double_value: edge ? pick(rnd, DOUBLE_EDGES) : randomDouble(rnd) };
    case 4:
      return { string_value: edge ? pick(rnd, STRING_EDGES) : randomString(rnd) };
    default:
      return { bytes_value: edge ? Buffer.alloc(rnd() < 0.5 ? 0 : 1) : randomBytes(rnd) };
  }
}

export function randomRows(rnd: () => number): { values: WireValue[] }[] {
  const columns = Math.floor(rnd() * 8);
  const n = Math.floor(rnd() * 40);
  return Array.from({ length: n }, () => ({
    values: Array.from({ length: columns }, () => randomValue(rnd)),
  }));
}

/** Every edge value, one `Value` each: NULL, the 64-bit, double and string edges, huge strings, bytes. */
export function edgeValues(): WireValue[] {
  return [
    NULL_VALUE,
    ...INT64_EDGES.map((v) => ({ int64_value: v })),
    ...UINT64_EDGES.map((v) => ({ uint64_value: v })),
    ...DOUBLE_EDGES.map((v) => ({ double_value: v })),
    ...STRING_EDGES.map((v) => ({ string_value: v })),
    ...HUGE_STRINGS.map((v) => ({ string_value: v })),
    { bytes_value: Buffer.alloc(0) },
    { bytes_value: Buffer.from([0, 255, 128, 10]) },
    { bytes_value: Buffer.alloc(1 << 20, 0xab) },
  ];
}
