import test from 'ava';
import { compileColumns, type DriverField, type WireColumn } from '../../../src/sql/values.js';

const NOT_NULL = 1;
const PRI_KEY = 2;
const BLOB_FLAG = 16;
const UNSIGNED = 32;
const ZEROFILL = 64;
const BINARY_FLAG = 128;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

/** A column definition with the fields mysql2's ColumnDefinition has, defaults for a nullable column. */
function def(columnType: number, characterSet: number, more: Partial<DriverField> = {}): DriverField {
  return {
    name: 'c',
    orgName: 'c',
    table: 't',
    orgTable: 't',
    schema: 'test',
    columnType,
    characterSet,
    columnLength: 0,
    flags: 0,
    decimals: 0,
    ...more,
  };
}

type Expect = Pick<WireColumn, 'type' | 'type_name' | 'unsigned' | 'binary'> & Partial<WireColumn>;

const CASES: [string, DriverField, Expect][] = [
  [
    'BIGINT UNSIGNED',
    def(8, 63, { flags: UNSIGNED }),
    { type: 'COLUMN_TYPE_LONGLONG', type_name: 'BIGINT UNSIGNED', unsigned: true, binary: false },
  ],
  [
    'BIGINT',
    def(8, 63),
    { type: 'COLUMN_TYPE_LONGLONG', type_name: 'BIGINT', unsigned: false, binary: false },
  ],
  [
    'INT',
    def(3, 63, { flags: NOT_NULL | PRI_KEY }),
    { type: 'COLUMN_TYPE_LONG', type_name: 'INT', unsigned: false, binary: false, nullable: false },
  ],
  [
    'TINYINT UNSIGNED',
    def(1, 63, { flags: UNSIGNED }),
    { type: 'COLUMN_TYPE_TINY', type_name: 'TINYINT UNSIGNED', unsigned: true, binary: false },
  ],
  [
    'SMALLINT',
    def(2, 63),
    { type: 'COLUMN_TYPE_SHORT', type_name: 'SMALLINT', unsigned: false, binary: false },
  ],
  [
    'MEDIUMINT',
    def(9, 63),
    { type: 'COLUMN_TYPE_INT24', type_name: 'MEDIUMINT', unsigned: false, binary: false },
  ],
  [
    'YEAR (flag UNSIGNED, not in the name)',
    def(13, 63, { flags: UNSIGNED | ZEROFILL }),
    { type: 'COLUMN_TYPE_YEAR', type_name: 'YEAR', unsigned: false, binary: false },
  ],
  [
    'DECIMAL(65,30)',
    def(246, 63, { decimals: 30, columnLength: 67 }),
    {
      type: 'COLUMN_TYPE_NEWDECIMAL',
      type_name: 'DECIMAL',
      unsigned: false,
      binary: false,
      decimals: 30,
      length: 67,
    },
  ],
  [
    'FLOAT',
    def(4, 63, { decimals: 31 }),
    { type: 'COLUMN_TYPE_FLOAT', type_name: 'FLOAT', unsigned: false, binary: false },
  ],
  [
    'DOUBLE UNSIGNED',
    def(5, 63, { flags: UNSIGNED }),
    { type: 'COLUMN_TYPE_DOUBLE', type_name: 'DOUBLE UNSIGNED', unsigned: true, binary: false },
  ],
  [
    'DATETIME(6)',
    def(12, 63, { decimals: 6, flags: BINARY_FLAG }),
    { type: 'COLUMN_TYPE_DATETIME', type_name: 'DATETIME', unsigned: false, binary: false, decimals: 6 },
  ],
  [
    'TIMESTAMP',
    def(7, 63),
    { type: 'COLUMN_TYPE_TIMESTAMP', type_name: 'TIMESTAMP', unsigned: false, binary: false },
  ],
  ['DATE', def(10, 63), { type: 'COLUMN_TYPE_DATE', type_name: 'DATE', unsigned: false, binary: false }],
  ['TIME', def(11, 63), { type: 'COLUMN_TYPE_TIME', type_name: 'TIME', unsigned: false, binary: false }],
  [
    'BIT(5)',
    def(16, 63, { flags: UNSIGNED, columnLength: 5 }),
    { type: 'COLUMN_TYPE_BIT', type_name: 'BIT', unsigned: false, binary: true, length: 5 },
  ],
  [
    'VARCHAR',
    def(253, 224, { columnLength: 80 }),
    { type: 'COLUMN_TYPE_VAR_STRING', type_name: 'VARCHAR', unsigned: false, binary: false, charset: 224 },
  ],
  [
    'VARBINARY',
    def(253, 63, { flags: BINARY_FLAG }),
    { type: 'COLUMN_TYPE_VAR_STRING', type_name: 'VARBINARY', unsigned: false, binary: true, charset: 63 },
  ],
  ['CHAR', def(254, 224), { type: 'COLUMN_TYPE_STRING', type_name: 'CHAR', unsigned: false, binary: false }],
  [
    'BINARY',
    def(254, 63, { flags: BINARY_FLAG }),
    { type: 'COLUMN_TYPE_STRING', type_name: 'BINARY', unsigned: false, binary: true },
  ],
  [
    'ENUM',
    def(254, 224, { flags: ENUM_FLAG }),
    { type: 'COLUMN_TYPE_STRING', type_name: 'ENUM', unsigned: false, binary: false },
  ],
  [
    'SET',
    def(254, 224, { flags: SET_FLAG }),
    { type: 'COLUMN_TYPE_STRING', type_name: 'SET', unsigned: false, binary: false },
  ],
  [
    'TEXT',
    def(252, 224, { flags: BLOB_FLAG, columnLength: 262140 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'TEXT', unsigned: false, binary: false },
  ],
  [
    'TINYBLOB',
    def(252, 63, { flags: BLOB_FLAG | BINARY_FLAG, columnLength: 255 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'TINYBLOB', unsigned: false, binary: true },
  ],
  [
    'BLOB',
    def(252, 63, { flags: BLOB_FLAG | BINARY_FLAG, columnLength: 65535 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'BLOB', unsigned: false, binary: true },
  ],
  [
    'MEDIUMBLOB',
    def(252, 63, { columnLength: 16777215 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'MEDIUMBLOB', unsigned: false, binary: true },
  ],
  [
    'LONGBLOB',
    def(252, 63, { columnLength: 4294967295 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'LONGBLOB', unsigned: false, binary: true, length: 4294967295 },
  ],
  [
    'MariaDB JSON',
    def(252, 224, { extendedFormat: 'json', columnLength: 4294967295 }),
    { type: 'COLUMN_TYPE_BLOB', type_name: 'JSON', unsigned: false, binary: false },
  ],
  [
    'MySQL JSON',
    def(245, 63),
    { type: 'COLUMN_TYPE_JSON', type_name: 'JSON', unsigned: false, binary: false },
  ],
  [
    'MariaDB UUID',
    def(254, 224, { extendedTypeName: 'uuid' }),
    { type: 'COLUMN_TYPE_STRING', type_name: 'UUID', unsigned: false, binary: false },
  ],
  [
    'MariaDB INET6',
    def(254, 224, { extendedTypeName: 'inet6' }),
    { type: 'COLUMN_TYPE_STRING', type_name: 'INET6', unsigned: false, binary: false },
  ],
  [
    'POINT',
    def(255, 63, { extendedTypeName: 'point' }),
    { type: 'COLUMN_TYPE_GEOMETRY', type_name: 'POINT', unsigned: false, binary: true },
  ],
  [
    'GEOMETRY',
    def(255, 63),
    { type: 'COLUMN_TYPE_GEOMETRY', type_name: 'GEOMETRY', unsigned: false, binary: true },
  ],
  ['NULL', def(6, 63), { type: 'COLUMN_TYPE_NULL', type_name: 'NULL', unsigned: false, binary: false }],
  ['NEWDATE', def(14, 63), { type: 'COLUMN_TYPE_DATE', type_name: 'DATE', unsigned: false, binary: false }],
  [
    'unknown type',
    def(200, 63),
    { type: 'COLUMN_TYPE_UNSPECIFIED', type_name: '', unsigned: false, binary: false },
  ],
];

for (const [name, field, expected] of CASES) {
  test(`column ${name}`, (t) => {
    const [column] = compileColumns([field]);
    t.like(column, expected);
  });
}

test('names, nullability, length, decimals, charset and raw flags', (t) => {
  const flags = NOT_NULL | PRI_KEY | UNSIGNED | 512;
  const [column] = compileColumns([
    {
      name: 'total',
      orgName: 'amount',
      table: 'o',
      orgTable: 'orders',
      schema: 'shop',
      columnType: 8,
      characterSet: 63,
      columnLength: 20,
      flags,
      decimals: 0,
    },
  ]);
  t.deepEqual(column, {
    name: 'total',
    org_name: 'amount',
    table: 'o',
    org_table: 'orders',
    schema: 'shop',
    type: 'COLUMN_TYPE_LONGLONG',
    type_name: 'BIGINT UNSIGNED',
    unsigned: true,
    nullable: false,
    binary: false,
    length: 20,
    decimals: 0,
    charset: 63,
    flags,
  });
});

test('an expression column without table names gets empty strings', (t) => {
  const [column] = compileColumns([
    { name: '1 + 1', columnType: 8, characterSet: 63, flags: 129, decimals: 0 },
  ]);
  t.like(column, {
    name: '1 + 1',
    org_name: '',
    table: '',
    org_table: '',
    schema: '',
    nullable: false,
    length: 0,
  });
});
