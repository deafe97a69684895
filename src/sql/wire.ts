/**
 * Wire-object shapes of the contract's `Value` and `Column` messages, as @grpc/proto-loader
 * handles them with `{ keepCase: true, longs: String, enums: String, defaults: false,
 * oneofs: true }`: snake_case fields, 64-bit integers as decimal strings, enums as names.
 */

/** A `Value` as the gateway produces it: exactly one field set. */
export type WireValue =
  | { readonly null_value: 'NULL_VALUE' }
  | { readonly int64_value: string }
  | { readonly uint64_value: string }
  | { readonly double_value: number }
  | { readonly string_value: string }
  | { readonly bytes_value: Buffer };

/**
 * A `Value` as it arrives: proto-loader sets the one field present plus the virtual `kind`
 * (the field's name); a Value with no field is SQL NULL. In-process callers may omit `kind`.
 */
export interface WireValueInput {
  readonly kind?: string;
  readonly null_value?: unknown;
  readonly int64_value?: unknown;
  readonly uint64_value?: unknown;
  readonly double_value?: unknown;
  readonly string_value?: unknown;
  readonly bytes_value?: unknown;
}

/** The `ColumnType` enum names of the contract. */
export type ColumnTypeName =
  | 'COLUMN_TYPE_UNSPECIFIED'
  | 'COLUMN_TYPE_DECIMAL'
  | 'COLUMN_TYPE_TINY'
  | 'COLUMN_TYPE_SHORT'
  | 'COLUMN_TYPE_LONG'
  | 'COLUMN_TYPE_FLOAT'
  | 'COLUMN_TYPE_DOUBLE'
  | 'COLUMN_TYPE_NULL'
  | 'COLUMN_TYPE_TIMESTAMP'
  | 'COLUMN_TYPE_LONGLONG'
  | 'COLUMN_TYPE_INT24'
  | 'COLUMN_TYPE_DATE'
  | 'COLUMN_TYPE_TIME'
  | 'COLUMN_TYPE_DATETIME'
  | 'COLUMN_TYPE_YEAR'
  | 'COLUMN_TYPE_VARCHAR'
  | 'COLUMN_TYPE_BIT'
  | 'COLUMN_TYPE_JSON'
  | 'COLUMN_TYPE_NEWDECIMAL'
  | 'COLUMN_TYPE_ENUM'
  | 'COLUMN_TYPE_SET'
  | 'COLUMN_TYPE_TINY_BLOB'
  | 'COLUMN_TYPE_MEDIUM_BLOB'
  | 'COLUMN_TYPE_LONG_BLOB'
  | 'COLUMN_TYPE_BLOB'
  | 'COLUMN_TYPE_VAR_STRING'
  | 'COLUMN_TYPE_STRING'
  | 'COLUMN_TYPE_GEOMETRY';

/** A `Column` wire object. */
export interface WireColumn {
  readonly name: string;
  readonly org_name: string;
  readonly table: string;
  readonly org_table: string;
  readonly schema: string;
  readonly type: ColumnTypeName;
  /** As MySQL spells it: 'BIGINT UNSIGNED', 'VARCHAR', 'JSON', 'ENUM', 'UUID', ... */
  readonly type_name: string;
  readonly unsigned: boolean;
  readonly nullable: boolean;
  /** Values arrive as bytes_value (binary charset strings and blobs, BIT, GEOMETRY). */
  readonly binary: boolean;
  readonly length: number;
  readonly decimals: number;
  readonly charset: number;
  readonly flags: number;
}
