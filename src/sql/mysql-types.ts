/**
 * MySQL protocol constants used by the value codec: column types (MYSQL_TYPE_*), column flags
 * (*_FLAG) and the binary character set. Numbers are the wire values (include/mysql_com.h,
 * include/field_types.h).
 */

/** Column types as sent in column definitions (`enum_field_types`). */
export const MysqlType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

/** Column definition flags. */
export const FieldFlag = {
  NOT_NULL: 1,
  PRI_KEY: 2,
  UNIQUE_KEY: 4,
  MULTIPLE_KEY: 8,
  BLOB: 16,
  UNSIGNED: 32,
  ZEROFILL: 64,
  BINARY: 128,
  ENUM: 256,
  AUTO_INCREMENT: 512,
  TIMESTAMP: 1024,
  SET: 2048,
  NO_DEFAULT_VALUE: 4096,
  ON_UPDATE_NOW: 8192,
  NUM: 32768,
} as const;

/** Character set / collation number of `binary`: the column holds bytes, not text. */
export const BINARY_CHARSET = 63;

/**
 * A result column as mysql2 describes it: its `ColumnDefinition` (typed `FieldPacket`) is
 * assignable to this, and so are plain objects in tests.
 */
export interface DriverField {
  readonly name: string;
  readonly orgName?: string;
  readonly table?: string;
  readonly orgTable?: string;
  readonly schema?: string;
  readonly db?: string;
  /** MYSQL_TYPE_* number. */
  readonly columnType?: number;
  /** Alias of columnType kept by mysql2. */
  readonly type?: number;
  /** Character set / collation number; 63 is binary. */
  readonly characterSet?: number;
  readonly columnLength?: number;
  /** Column flags; mysql2 always gives a number (string[] exists in its typings for mysql compatibility). */
  readonly flags: number | readonly string[];
  readonly decimals: number;
  /** Node encoding mysql2 derived from characterSet ('utf8', 'cesu8', 'latin1', ...). */
  readonly encoding?: string;
  /** MariaDB extended metadata type name: 'uuid', 'inet6', 'point', 'vector', ... */
  readonly extendedTypeName?: string;
  /** MariaDB extended metadata format: 'json'. */
  readonly extendedFormat?: string;
}

/** The field's MYSQL_TYPE_* number, -1 if unknown. */
export function fieldType(field: DriverField): number {
  return field.columnType ?? field.type ?? -1;
}

/** The field's flags as a number. */
export function fieldFlags(field: DriverField): number {
  return typeof field.flags === 'number' ? field.flags : 0;
}

/** Values of this column arrive as raw bytes (bytes_value), not text or numbers. */
export function isBytesColumn(field: DriverField): boolean {
  const type = fieldType(field);
  if (type === MysqlType.BIT || type === MysqlType.GEOMETRY || type === MysqlType.VECTOR) return true;
  if (field.characterSet !== BINARY_CHARSET || field.extendedFormat === 'json') return false;
  switch (type) {
    case MysqlType.VARCHAR:
    case MysqlType.VAR_STRING:
    case MysqlType.STRING:
    case MysqlType.TINY_BLOB:
    case MysqlType.MEDIUM_BLOB:
    case MysqlType.LONG_BLOB:
    case MysqlType.BLOB:
    case MysqlType.ENUM:
    case MysqlType.SET:
      return true;
    default:
      return false;
  }
}
