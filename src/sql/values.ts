/**
 * The value codec between the contract's `Value` and mysql2.
 *
 * Parameters ({@link toDriverParams}) are bound with explicit MySQL types through mysql2's
 * `TypedParameter`, so what reaches COM_STMT_EXECUTE is exactly:
 *
 * | Value          | bound as                        |
 * |----------------|---------------------------------|
 * | int64_value    | MYSQL_TYPE_LONGLONG, signed     |
 * | uint64_value   | MYSQL_TYPE_LONGLONG, unsigned   |
 * | double_value   | MYSQL_TYPE_DOUBLE (finite only) |
 * | string_value   | MYSQL_TYPE_VAR_STRING, utf8mb4  |
 * | bytes_value    | MYSQL_TYPE_BLOB (binary)        |
 * | null_value/{}  | MYSQL_TYPE_NULL                 |
 *
 * (A plain JS number would go out as DOUBLE, or be re-typed by mysql2's server hints; a BigInt
 * would go out as a string.) Result rows and columns live in `row-decoder.ts` and `columns.ts`
 * and are re-exported here.
 */
import mysql, { type TypedParameterValue } from 'mysql2';
import { errors, type GatewayError } from '../errors.js';
import type { WireValueInput } from './wire.js';

export { columnTypeEnumName, columnTypeName, compileColumns } from './columns.js';
export type { DriverField } from './mysql-types.js';
export {
  binaryTypeCast,
  compileRowDecoder,
  DRIVER_CONNECTION_OPTIONS,
  NULL_VALUE,
  needsBinaryTypeCast,
  readTextAsBytes,
  type RowDecoder,
  TEXT_RESULT_OPTIONS,
} from './row-decoder.js';
export { type ResultShape, ResultShapeCache, resultShape } from './result-shape.js';
export type { ColumnTypeName, WireColumn, WireValue, WireValueInput } from './wire.js';

/** A bind parameter for mysql2's `execute`. */
export type DriverParam = TypedParameterValue | string | Buffer | null;

/** The kinds of a `Value`, as its oneof field names. */
export type ValueKind =
  | 'null_value'
  | 'int64_value'
  | 'uint64_value'
  | 'double_value'
  | 'string_value'
  | 'bytes_value';

const TypedParameter = mysql.TypedParameter;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL_INTEGER = /^-?[0-9]{1,20}$/;

function invalid(index: number, message: string): GatewayError {
  // Never echo the value: it may be secret.
  return errors.invalidArgument('INVALID_PARAM', `param ${index + 1}: ${message}`);
}

/**
 * Which field of a `Value` is set: `kind` when proto-loader provided it, else the one field
 * present; none means NULL. Throws INVALID_ARGUMENT for a non-object, an unknown kind or several
 * fields without a kind.
 */
export function valueKind(value: WireValueInput | null | undefined, index: number): ValueKind {
  if (value === null || typeof value !== 'object') throw invalid(index, 'not a Value message');
  const kind = value.kind;
  if (kind !== undefined && kind !== null) {
    switch (kind) {
      case 'null_value':
      case 'int64_value':
      case 'uint64_value':
      case 'double_value':
      case 'string_value':
      case 'bytes_value':
        if (kind !== 'null_value' && value[kind] === undefined) throw invalid(index, `${kind} is missing`);
        return kind;
      default:
        throw invalid(index, 'unknown Value kind');
    }
  }
  let found: ValueKind = 'null_value';
  let count = 0;
  if (value.null_value !== undefined) count++;
  if (value.int64_value !== undefined) {
    found = 'int64_value';
    count++;
  }
  if (value.uint64_value !== undefined) {
    found = 'uint64_value';
    count++;
  }
  if (value.double_value !== undefined) {
    found = 'double_value';
    count++;
  }
  if (value.string_value !== undefined) {
    found = 'string_value';
    count++;
  }
  if (value.bytes_value !== undefined) {
    found = 'bytes_value';
    count++;
  }
  if (count > 1) throw invalid(index, 'more than one Value field is set');
  return found;
}

/**
 * A 64-bit integer parameter as a BigInt: a decimal string (proto-loader's `longs: String`),
 * a BigInt, or a safe-integer number, within the int64 or uint64 range.
 */
export function integerParam(raw: unknown, unsigned: boolean, index: number): bigint {
  let n: bigint;
  if (typeof raw === 'string' && DECIMAL_INTEGER.test(raw)) n = BigInt(raw);
  else if (typeof raw === 'bigint') n = raw;
  else if (typeof raw === 'number' && Number.isSafeInteger(raw)) n = BigInt(raw);
  else throw invalid(index, `${unsigned ? 'uint64_value' : 'int64_value'} is not a decimal integer`);
  if (unsigned ? n < 0n || n > UINT64_MAX : n < INT64_MIN || n > INT64_MAX) {
    throw invalid(
      index,
      unsigned
        ? 'uint64_value is outside 0..18446744073709551615'
        : 'int64_value is outside -9223372036854775808..9223372036854775807',
    );
  }
  return n;
}

/** A double parameter: a finite number (MySQL has no NaN or Infinity). -0 is kept. */
export function doubleParam(raw: unknown, index: number): number {
  if (typeof raw !== 'number') throw invalid(index, 'double_value is not a number');
  if (!Number.isFinite(raw))
    throw invalid(index, 'double_value must be finite: MySQL has no NaN or Infinity');
  return raw;
}

/** A string parameter. */
export function stringParam(raw: unknown, index: number): string {
  if (typeof raw !== 'string') throw invalid(index, 'string_value is not a string');
  return raw;
}

/** A bytes parameter as a Buffer (a Uint8Array is wrapped without copying). */
export function bytesParam(raw: unknown, index: number): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  throw invalid(index, 'bytes_value is not bytes');
}

/** One `Value` as a mysql2 bind parameter; `index` is 0-based (messages say 1-based). */
export function toDriverParam(value: WireValueInput, index: number): DriverParam {
  switch (valueKind(value, index)) {
    case 'null_value':
      return null;
    case 'int64_value':
      return TypedParameter.LONGLONG(integerParam(value.int64_value, false, index));
    case 'uint64_value':
      return TypedParameter.LONGLONG.unsigned(integerParam(value.uint64_value, true, index));
    case 'double_value':
      return TypedParameter.DOUBLE(doubleParam(value.double_value, index));
    case 'string_value':
      // A plain string goes out as VAR_STRING in the connection charset (utf8mb4).
      return stringParam(value.string_value, index);
    case 'bytes_value':
      // A Buffer goes out as BLOB: binary, never converted from the connection charset.
      return bytesParam(value.bytes_value, index);
  }
}

/**
 * Maps request `Value`s to mysql2 `execute` parameters (binary protocol), see the table above.
 * Throws INVALID_ARGUMENT (reason INVALID_PARAM) naming the 1-based param for a malformed value,
 * without echoing it. Does not check the count against the placeholders.
 */
export function toDriverParams(values: readonly WireValueInput[] | undefined): DriverParam[] {
  if (values === undefined || values.length === 0) return [];
  const out = new Array<DriverParam>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toDriverParam(values[i]!, i);
  return out;
}
