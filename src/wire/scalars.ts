/**
 * Protobuf scalars as the hand-written encoders write them: varints (below 2^53 as numbers, beyond
 * as bigints), 64-bit integers from the decimal text the row decoder gives, and UTF-8 strings
 * sized before they are written. Shared by the row encoding and the response encoders.
 */
import { bufferLatin1Write, bufferUtf8Write } from '../internals.js';

/**
 * Thrown inside an encoder for input it does not handle: the response encoder then takes its
 * generic fallback; the row batch builder fails INTERNAL.
 */
class Unhandled extends Error {}
export const UNHANDLED = new Unhandled('not handled by the hand-written encoder');

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;

export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  let rest = Math.floor(v / 0x10000000);
  while (rest > 0) {
    n++;
    rest = Math.floor(rest / 0x80);
  }
  return n;
}

/** Writes a non-negative integer below 2^53 as a varint; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80000000) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function bigVarintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    n++;
    v >>= 7n;
  }
  return n;
}

export function writeBigVarint(buf: Buffer, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** UTF-8 length of `s` as Buffer writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Size(s: string): number {
  const n = s.length;
  if (n > 48) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

/** Buffer's per-encoding writers (what `buf.write` calls after normalising its arguments), cached here. */
const latin1Write = bufferLatin1Write;
const utf8Write = bufferUtf8Write;

/** Writes `s`, whose UTF-8 size is `size`; equal to its length means ASCII (one byte per unit). */
export function writeString(buf: Buffer, pos: number, s: string, size: number): number {
  if (size === s.length) {
    if (size <= 48) {
      for (let i = 0; i < size; i++) buf[pos + i] = s.charCodeAt(i);
    } else if (latin1Write) {
      latin1Write.call(buf, s, pos, size);
    } else {
      buf.write(s, pos, size, 'latin1');
    }
  } else if (utf8Write) {
    utf8Write.call(buf, s, pos, size);
  } else {
    buf.write(s, pos, size, 'utf8');
  }
  return pos + size;
}

/**
 * A 64-bit integer as the row decoder gives it (a decimal string; proto-loader's `longs: String`)
 * in its varint form: a number when below 2^53 (zigzag applied for sint64), else a bigint.
 * Anything else is {@link UNHANDLED}.
 */
export function integerVarint(raw: unknown, zigzag: boolean): number | bigint {
  if (typeof raw !== 'string') throw UNHANDLED;
  const len = raw.length;
  const negative = len > 0 && raw.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  if (len === start || (negative && !zigzag)) throw UNHANDLED;
  if (len - start <= 15) {
    let n = 0;
    for (let i = start; i < len; i++) {
      const d = raw.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) throw UNHANDLED;
      n = n * 10 + d;
    }
    if (!zigzag) return n;
    // Below 10^15 < 2^50: 2n + 1 stays exact.
    return negative ? (n === 0 ? 0 : n * 2 - 1) : n * 2;
  }
  for (let i = start; i < len; i++) {
    const d = raw.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw UNHANDLED;
  }
  const big = BigInt(raw);
  if (zigzag) {
    if (big < -TWO_63 || big >= TWO_63) throw UNHANDLED;
    return big >= 0n ? big << 1n : (-big << 1n) - 1n;
  }
  if (big >= TWO_64) throw UNHANDLED;
  return big;
}
