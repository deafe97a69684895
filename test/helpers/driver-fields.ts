/** Column definitions as mysql2 reports them, for the wire codec tests: a BIGINT key, a non-ASCII VARCHAR, a DECIMAL. */
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
