/**
 * JS values ↔ the contract's `Value` message (pure functions).
 *
 * Parameters ({@link encodeParam}):
 *
 * | JS                        | Value                                                         |
 * |---------------------------|---------------------------------------------------------------|
 * | `null`, `undefined`       | `null_value`                                                  |
 * | `boolean`                 | `int64_value` 1 / 0                                           |
 * | `number`, safe integer    | `int64_value` (`-0` stays a double, so its sign survives)     |
 * | `number`, other finite    | `double_value` (NaN and ±Infinity are refused)                |
 * | `bigint`                  | `int64_value`, `uint64_value` above 2^63-1, refused beyond    |
 * | `string`                  | `string_value`                                                |
 * | `Buffer`, `Uint8Array`    | `bytes_value`                                                 |
 * | `Date`                    | `string_value` `'YYYY-MM-DD HH:MM:SS.ffffff'` in UTC          |
 * | `Value.*(...)`            | the type chosen                                               |
 *
 * Results ({@link decodeValue}): int64/uint64 → `number` within ±`Number.MAX_SAFE_INTEGER`,
 * else `bigint`; double → `number`; string (also DECIMAL, dates, JSON) → `string`; bytes →
 * `Buffer`; NULL → `null`.
 */
import type { WireValue } from '../sql/wire.js';
import type { WireValueIn } from '../wire/response-decoder.js';
import { invalidArgument } from './errors.js';

/** A result cell decoded to JS. */
export type SqlValue = null | number | bigint | string | Buffer;

/** A `Value` message as sent: exactly one field set (the gateway's own wire shape). */
export type { WireValue };

/** A `Value` message as received (proto-loader sets the virtual `kind` to the field present). */
export type { WireValueIn } from '../wire/response-decoder.js';

/** A parameter with its wire type chosen explicitly; build one with {@link Value}. */
export class TypedParam {
  /** The `Value` message this parameter is sent as. */
  readonly wire: WireValue;

  /** @internal Use the {@link Value} builders. */
  constructor(wire: WireValue) {
    this.wire = Object.freeze(wire);
    Object.freeze(this);
  }
}

/** Anything accepted as a statement parameter. */
export type SqlParam =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Uint8Array
  | Date
  | TypedParam;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;
const DECIMAL_NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NULL: WireValue = Object.freeze({ null_value: 'NULL_VALUE' });

/** Builders that force a parameter's wire type. */
export const Value = {
  /** SQL NULL. */
  null(): TypedParam {
    return new TypedParam(NULL);
  },
  /** A signed 64-bit integer (`int64_value`): a safe integer, a bigint or a decimal string. */
  int64(x: number | bigint | string): TypedParam {
    return new TypedParam({ int64_value: integerText(x, INT64_MIN, INT64_MAX, 'int64') });
  },
  /** An unsigned 64-bit integer (`uint64_value`), 0 … 18446744073709551615. */
  uint64(x: number | bigint | string): TypedParam {
    return new TypedParam({ uint64_value: integerText(x, 0n, UINT64_MAX, 'uint64') });
  },
  /** An IEEE 754 double (`double_value`), also for integral numbers; finite only. */
  double(x: number): TypedParam {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw invalidArgument('INVALID_PARAM', 'Value.double() needs a finite number');
    return new TypedParam({ double_value: x });
  },
  /**
   * An exact decimal, sent as its text (`string_value`) so MySQL converts it without going
   * through a double: `Value.decimal('0.1')`. A bigint is accepted too.
   */
  decimal(x: string | bigint): TypedParam {
    const text = typeof x === 'bigint' ? x.toString() : x;
    if (typeof text !== 'string' || !DECIMAL_NUMBER.test(text))
      throw invalidArgument('INVALID_PARAM', 'Value.decimal() needs a decimal number as a string');
    return new TypedParam({ string_value: text });
  },
  /** Text (`string_value`). */
  string(x: string): TypedParam {
    if (typeof x !== 'string') throw invalidArgument('INVALID_PARAM', 'Value.string() needs a string');
    return new TypedParam({ string_value: x });
  },
  /** Raw bytes (`bytes_value`). */
  bytes(x: Uint8Array): TypedParam {
    if (!(x instanceof Uint8Array))
      throw invalidArgument('INVALID_PARAM', 'Value.bytes() needs a Uint8Array');
    return new TypedParam({ bytes_value: toBuffer(x) });
  },
  /** A DATETIME literal `'YYYY-MM-DD HH:MM:SS.ffffff'` of the instant, in UTC. */
  datetime(x: Date): TypedParam {
    return new TypedParam({ string_value: formatDateUtc(x) });
  },
} as const;

/**
 * One parameter as a `Value`, by the table in this module's header. `index` (0-based) only
 * numbers the error; the value itself never appears in an error message (it may be secret).
 */
export function encodeParam(x: SqlParam, index: number): WireValue {
  switch (typeof x) {
    case 'undefined':
      return NULL;
    case 'boolean':
      return { int64_value: x ? '1' : '0' };
    case 'number':
      if (Number.isSafeInteger(x) && !Object.is(x, -0)) return { int64_value: String(x) };
      if (Number.isFinite(x)) return { double_value: x };
      throw paramError(index, 'NaN and Infinity cannot be sent (MySQL has no such values)');
    case 'bigint':
      if (x >= INT64_MIN && x <= INT64_MAX) return { int64_value: x.toString() };
      if (x > INT64_MAX && x <= UINT64_MAX) return { uint64_value: x.toString() };
      throw paramError(index, 'bigint outside the int64 and uint64 ranges');
    case 'string':
      return { string_value: x };
    case 'object':
      if (x === null) return NULL;
      if (x instanceof TypedParam) return x.wire;
      if (x instanceof Uint8Array) return { bytes_value: toBuffer(x) };
      if (x instanceof Date) {
        try {
          return { string_value: formatDateUtc(x) };
        } catch {
          throw paramError(index, 'invalid Date or year outside 0000-9999');
        }
      }
      throw paramError(index, 'objects are not SQL values (JSON.stringify them, or use Value.*)');
    default:
      throw paramError(index, `a ${typeof x} is not a SQL value`);
  }
}

/** Every parameter of a statement as `Value`s. */
export function encodeParams(params: readonly SqlParam[] | undefined): WireValue[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) throw invalidArgument('INVALID_PARAM', 'params must be an array');
  const out = new Array<WireValue>(params.length);
  for (let i = 0; i < params.length; i++) out[i] = encodeParam(params[i] as SqlParam, i);
  return out;
}

/** One result cell as JS, by the table in this module's header. */
export function decodeValue(v: WireValueIn | null | undefined): SqlValue {
  if (v === null || v === undefined) return null;
  switch (v.kind ?? kindOf(v)) {
    case 'int64_value':
      return decodeInteger(v.int64_value ?? '0');
    case 'uint64_value':
      return decodeInteger(v.uint64_value ?? '0');
    case 'double_value':
      return v.double_value ?? 0;
    case 'string_value':
      return v.string_value ?? '';
    case 'bytes_value':
      return toBuffer(v.bytes_value ?? Buffer.alloc(0));
    default:
      return null;
  }
}

/**
 * A 64-bit integer from its decimal text: a `number` when it is a safe integer, else a
 * `bigint`. (A string above 2^53-1 parses to a number ≥ 2^53, which is not safe, so the check
 * is exact.)
 */
export function decodeInteger(raw: string | number | bigint): number | bigint {
  if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
  const n = Number(raw);
  if (Number.isSafeInteger(n)) return n;
  return BigInt(raw);
}

/**
 * The instant as MySQL DATETIME text in UTC with microseconds: `'2024-02-29 13:45:01.123000'`.
 * The gateway's sessions run with `time_zone = '+00:00'`, so a TIMESTAMP column stores this
 * instant. Throws for an invalid Date or a year outside 0000–9999.
 */
export function formatDateUtc(d: Date): string {
  const time = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(time)) throw invalidArgument('INVALID_PARAM', 'invalid Date');
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw invalidArgument('INVALID_PARAM', 'Date year outside 0000-9999');
  return (
    `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.` +
    `${pad(d.getUTCMilliseconds(), 3)}000`
  );
}

function integerText(x: number | bigint | string, min: bigint, max: bigint, what: string): string {
  let n: bigint;
  if (typeof x === 'bigint') n = x;
  else if (typeof x === 'number' && Number.isSafeInteger(x)) n = BigInt(x);
  else if (typeof x === 'string' && DECIMAL_INTEGER.test(x)) n = BigInt(x);
  else throw invalidArgument('INVALID_PARAM', `Value.${what}() needs a safe integer, a bigint or digits`);
  if (n < min || n > max) throw invalidArgument('INVALID_PARAM', `Value.${what}() value out of range`);
  return n.toString();
}

function kindOf(v: WireValueIn): string {
  if (v.int64_value !== undefined) return 'int64_value';
  if (v.uint64_value !== undefined) return 'uint64_value';
  if (v.double_value !== undefined) return 'double_value';
  if (v.string_value !== undefined) return 'string_value';
  if (v.bytes_value !== undefined) return 'bytes_value';
  return 'null_value';
}

function toBuffer(x: Uint8Array): Buffer {
  return Buffer.isBuffer(x) ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function paramError(index: number, message: string) {
  return invalidArgument('INVALID_PARAM', `param ${index + 1}: ${message}`);
}
