/**
 * Result metadata: mysql2 column definitions to the contract's `Column` wire objects.
 */
import {
  type DriverField,
  FieldFlag,
  fieldFlags,
  fieldType,
  isBytesColumn,
  MysqlType,
} from './mysql-types.js';
import type { ColumnTypeName, WireColumn } from './wire.js';

/** MYSQL_TYPE_* number -> ColumnType enum name. The *2 and NEWDATE types map to their base type. */
const COLUMN_TYPE_NAMES: ReadonlyMap<number, ColumnTypeName> = new Map<number, ColumnTypeName>([
  [MysqlType.DECIMAL, 'COLUMN_TYPE_DECIMAL'],
  [MysqlType.TINY, 'COLUMN_TYPE_TINY'],
  [MysqlType.SHORT, 'COLUMN_TYPE_SHORT'],
  [MysqlType.LONG, 'COLUMN_TYPE_LONG'],
  [MysqlType.FLOAT, 'COLUMN_TYPE_FLOAT'],
  [MysqlType.DOUBLE, 'COLUMN_TYPE_DOUBLE'],
  [MysqlType.NULL, 'COLUMN_TYPE_NULL'],
  [MysqlType.TIMESTAMP, 'COLUMN_TYPE_TIMESTAMP'],
  [MysqlType.LONGLONG, 'COLUMN_TYPE_LONGLONG'],
  [MysqlType.INT24, 'COLUMN_TYPE_INT24'],
  [MysqlType.DATE, 'COLUMN_TYPE_DATE'],
  [MysqlType.TIME, 'COLUMN_TYPE_TIME'],
  [MysqlType.DATETIME, 'COLUMN_TYPE_DATETIME'],
  [MysqlType.YEAR, 'COLUMN_TYPE_YEAR'],
  [MysqlType.NEWDATE, 'COLUMN_TYPE_DATE'],
  [MysqlType.VARCHAR, 'COLUMN_TYPE_VARCHAR'],
  [MysqlType.BIT, 'COLUMN_TYPE_BIT'],
  [MysqlType.TIMESTAMP2, 'COLUMN_TYPE_TIMESTAMP'],
  [MysqlType.DATETIME2, 'COLUMN_TYPE_DATETIME'],
  [MysqlType.TIME2, 'COLUMN_TYPE_TIME'],
  [MysqlType.JSON, 'COLUMN_TYPE_JSON'],
  [MysqlType.NEWDECIMAL, 'COLUMN_TYPE_NEWDECIMAL'],
  [MysqlType.ENUM, 'COLUMN_TYPE_ENUM'],
  [MysqlType.SET, 'COLUMN_TYPE_SET'],
  [MysqlType.TINY_BLOB, 'COLUMN_TYPE_TINY_BLOB'],
  [MysqlType.MEDIUM_BLOB, 'COLUMN_TYPE_MEDIUM_BLOB'],
  [MysqlType.LONG_BLOB, 'COLUMN_TYPE_LONG_BLOB'],
  [MysqlType.BLOB, 'COLUMN_TYPE_BLOB'],
  [MysqlType.VAR_STRING, 'COLUMN_TYPE_VAR_STRING'],
  [MysqlType.STRING, 'COLUMN_TYPE_STRING'],
  [MysqlType.GEOMETRY, 'COLUMN_TYPE_GEOMETRY'],
]);

/** Numeric types that take UNSIGNED in their name (YEAR and BIT carry the flag but never the word). */
const SIGNABLE: ReadonlySet<number> = new Set([
  MysqlType.TINY,
  MysqlType.SHORT,
  MysqlType.INT24,
  MysqlType.LONG,
  MysqlType.LONGLONG,
  MysqlType.DECIMAL,
  MysqlType.NEWDECIMAL,
  MysqlType.FLOAT,
  MysqlType.DOUBLE,
]);

const BASE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [MysqlType.DECIMAL, 'DECIMAL'],
  [MysqlType.NEWDECIMAL, 'DECIMAL'],
  [MysqlType.TINY, 'TINYINT'],
  [MysqlType.SHORT, 'SMALLINT'],
  [MysqlType.INT24, 'MEDIUMINT'],
  [MysqlType.LONG, 'INT'],
  [MysqlType.LONGLONG, 'BIGINT'],
  [MysqlType.FLOAT, 'FLOAT'],
  [MysqlType.DOUBLE, 'DOUBLE'],
  [MysqlType.NULL, 'NULL'],
  [MysqlType.TIMESTAMP, 'TIMESTAMP'],
  [MysqlType.TIMESTAMP2, 'TIMESTAMP'],
  [MysqlType.DATE, 'DATE'],
  [MysqlType.NEWDATE, 'DATE'],
  [MysqlType.TIME, 'TIME'],
  [MysqlType.TIME2, 'TIME'],
  [MysqlType.DATETIME, 'DATETIME'],
  [MysqlType.DATETIME2, 'DATETIME'],
  [MysqlType.YEAR, 'YEAR'],
  [MysqlType.BIT, 'BIT'],
  [MysqlType.JSON, 'JSON'],
  [MysqlType.ENUM, 'ENUM'],
  [MysqlType.SET, 'SET'],
  [MysqlType.GEOMETRY, 'GEOMETRY'],
  [MysqlType.VECTOR, 'VECTOR'],
]);

/** Byte capacity of TINYBLOB, BLOB and MEDIUMBLOB; anything larger is LONGBLOB. */
const BLOB_LIMITS = [
  [255, 'TINY'],
  [65535, ''],
  [16777215, 'MEDIUM'],
] as const;

/**
 * The type name as MySQL spells it in DDL, as far as the column definition tells: the
 * MariaDB extended type name when present ('UUID', 'INET6', 'POINT', 'JSON'), else the
 * base name from the wire type, charset and ENUM/SET flags, with ' UNSIGNED' for unsigned
 * numbers. BLOB sizes come from the byte length; TEXT sizes are not knowable without the
 * charset's bytes per character, so every text blob is 'TEXT'.
 */
export function columnTypeName(field: DriverField): string {
  const type = fieldType(field);
  const flags = fieldFlags(field);
  if (field.extendedTypeName) return field.extendedTypeName.toUpperCase();
  if (field.extendedFormat === 'json') return 'JSON';
  const bytes = isBytesColumn(field);
  let name: string;
  switch (type) {
    case MysqlType.VARCHAR:
    case MysqlType.VAR_STRING:
      name = bytes ? 'VARBINARY' : 'VARCHAR';
      break;
    case MysqlType.STRING:
      if ((flags & FieldFlag.ENUM) !== 0) name = 'ENUM';
      else if ((flags & FieldFlag.SET) !== 0) name = 'SET';
      else name = bytes ? 'BINARY' : 'CHAR';
      break;
    case MysqlType.TINY_BLOB:
      name = bytes ? 'TINYBLOB' : 'TINYTEXT';
      break;
    case MysqlType.MEDIUM_BLOB:
      name = bytes ? 'MEDIUMBLOB' : 'MEDIUMTEXT';
      break;
    case MysqlType.LONG_BLOB:
      name = bytes ? 'LONGBLOB' : 'LONGTEXT';
      break;
    case MysqlType.BLOB: {
      if (!bytes) {
        name = 'TEXT';
        break;
      }
      // The server reports every blob as BLOB; its length is the byte capacity.
      const length = field.columnLength ?? 65535;
      name = 'LONGBLOB';
      for (const [limit, prefix] of BLOB_LIMITS) {
        if (length <= limit) {
          name = `${prefix}BLOB`;
          break;
        }
      }
      break;
    }
    default:
      name = BASE_TYPE_NAMES.get(type) ?? '';
  }
  if (SIGNABLE.has(type) && (flags & FieldFlag.UNSIGNED) !== 0) name += ' UNSIGNED';
  return name;
}

/** The ColumnType enum name of a MYSQL_TYPE_* number. */
export function columnTypeEnumName(type: number): ColumnTypeName {
  return COLUMN_TYPE_NAMES.get(type) ?? 'COLUMN_TYPE_UNSPECIFIED';
}

/** Maps a result's mysql2 column definitions to `Column` wire objects, once per result. */
export function compileColumns(fields: readonly DriverField[]): WireColumn[] {
  return fields.map((field) => {
    const type = fieldType(field);
    const flags = fieldFlags(field);
    return {
      name: field.name,
      org_name: field.orgName ?? '',
      table: field.table ?? '',
      org_table: field.orgTable ?? '',
      schema: field.schema ?? field.db ?? '',
      type: columnTypeEnumName(type),
      type_name: columnTypeName(field),
      unsigned: SIGNABLE.has(type) && (flags & FieldFlag.UNSIGNED) !== 0,
      nullable: (flags & FieldFlag.NOT_NULL) === 0,
      binary: isBytesColumn(field),
      length: field.columnLength ?? 0,
      decimals: field.decimals,
      charset: field.characterSet ?? 0,
      flags,
    };
  });
}
