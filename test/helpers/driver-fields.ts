/** Column definitions as mysql2 reports them, for the wire codec tests: a BIGINT key, a non-ASCII VARCHAR, a DECIMAL. */
import { MysqlType } from '../../src/sql/mysql-types.js';
import type { DriverField } from '../../src/sql/values.js';

export const DRIVER_FIELDS: readonly DriverField[] = [
  {
    name: 'id',
    table: 't',
    orgTable: 't',
    schema: 's',
    columnType: 8,
    characterSet: 63,
    flags: 35,
    decimals: 0,
    columnLength: 20,
  },
  {
    name: 'naïve',
    orgName: 'n',
    columnType: 253,
    characterSet: 224,
    flags: 0,
    decimals: 0,
    columnLength: 1020,
  },
  { name: 'd', columnType: 246, characterSet: 63, flags: 1, decimals: 30, columnLength: 67 },
];

/** MYSQL_TYPE_* numbers of the protocol. */
export const T = MysqlType;
/** Column flags and character sets. */
export const UNSIGNED = 32;
export const ZEROFILL = 64;
export const BINARY = 63;
export const UTF8MB4 = 224;

/** Types mysql2 reports text columns with: VARCHAR, ENUM, BLOB/TEXT, VAR_STRING, STRING. */
const TEXT_TYPES: ReadonlySet<number> = new Set([T.VARCHAR, T.ENUM, T.BLOB, T.VAR_STRING, T.STRING]);

/**
 * One column definition named `c` of `columnType`, as mysql2 reports it over utf8mb4 results:
 * text types in utf8mb4 (224), every other type in the binary character set (63); `more`
 * overrides any of it.
 */
export function driverField(columnType: number, more: Partial<DriverField> = {}): DriverField {
  const text = TEXT_TYPES.has(columnType);
  return {
    name: 'c',
    columnType,
    characterSet: text ? UTF8MB4 : BINARY,
    encoding: text ? 'utf8' : 'binary',
    flags: 0,
    decimals: 0,
    ...more,
  };
}
