/**
 * Exact value fidelity in both directions: every value is written through Execute with params
 * and read back through Query, and compared to the byte.
 */
import test from 'ava';
import { rootQuery, sandbox } from '../helpers/sandbox.js';
import { type AnyMessage, execute, query, type Value, v } from './helpers/client.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const T = 'fidelity_values';
/**
 * How the server itself returns -0 over a direct connection: MySQL keeps it, MariaDB returns 0
 * (even for `SELECT -0e0`). The gateway must pass on exactly what the server says; its own
 * handling of -0 is covered by the unit tests of the codec.
 */
let serverNegZero: Value;

test.before(async () => {
  const direct = (await rootQuery(sandbox.primaryPort, 'SELECT -0e0 AS z')) as { z: number }[];
  serverNegZero = v.f64(direct[0]?.z ?? Number.NaN);
  // Zero dates need a sql_mode without NO_ZERO_DATE (the production profile's default).
  gw = await startGateway({
    clusters: { default: { primary: { sqlMode: 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' } } },
  });
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` });
  await execute(gw.client, {
    sql: `CREATE TABLE ${T} (
      id INT PRIMARY KEY,
      u64 BIGINT UNSIGNED, i64 BIGINT, i8 TINYINT, u8 TINYINT UNSIGNED, m24 MEDIUMINT,
      dec65 DECIMAL(65,30), f FLOAT, d DOUBLE,
      dt DATETIME(6), ts TIMESTAMP(6) NULL, dd DATE, tm TIME(6), yr YEAR,
      b64 BIT(64), b3 BIT(3),
      vb VARBINARY(300), bl BLOB, bn BINARY(4),
      js JSON, en ENUM('a','b','😀'), st SET('x','y','z'),
      tx TEXT CHARACTER SET utf8mb4, vc VARCHAR(20) CHARACTER SET utf8mb4
    )`,
  });
});

test.after.always(async () => {
  if (!gw) return;
  await execute(gw.client, { sql: `DROP TABLE IF EXISTS ${T}` }).catch(() => {});
  await gw.assertNoLeaks();
  await gw.stop();
});

const COLUMNS = [
  'u64',
  'i64',
  'i8',
  'u8',
  'm24',
  'dec65',
  'f',
  'd',
  'dt',
  'ts',
  'dd',
  'tm',
  'yr',
  'b64',
  'b3',
  'vb',
  'bl',
  'bn',
  'js',
  'en',
  'st',
  'tx',
  'vc',
];

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const float32Max = 3.4028234663852886e38; // largest finite float32, exactly representable
const float32MinSub = 1.401298464324817e-45; // smallest positive float32 subnormal

/** Row written with params, and the exact Value expected back (when different from what was sent). */
interface Case {
  name: string;
  values: Record<string, Value>;
  expect?: Record<string, Value>;
}

const CASES: Case[] = [
  {
    name: 'extremes',
    values: {
      u64: v.u64('18446744073709551615'),
      i64: v.i64('-9223372036854775808'),
      i8: v.i64(-128),
      u8: v.u64(255),
      m24: v.i64(-8388608),
      dec65: v.str('12345678901234567890123456789012345.123456789012345678901234567890'),
      f: v.f64(float32Max),
      d: v.f64(1.7976931348623157e308),
      dt: v.str('9999-12-31 23:59:59.999999'),
      ts: v.str('2038-01-19 03:14:07.999999'),
      dd: v.str('9999-12-31'),
      tm: v.str('838:59:59.000000'),
      yr: v.i64(2155),
      b64: v.bytes(Buffer.from('ffffffffffffffff', 'hex')),
      b3: v.bytes(Buffer.from([0b101])),
      vb: v.bytes(Buffer.from([0x00, 0xff, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1])),
      bl: v.bytes(allBytes),
      bn: v.bytes(Buffer.from('ab')),
      js: v.str('{"a": [1, 2.5, "é😀"], "b": null, "c": {"d": true}}'),
      en: v.str('😀'),
      st: v.str('x,z'),
      tx: v.str('emoji 😀 ✓ ﷽ \u0000 nul inside'),
      vc: v.str(''),
    },
    expect: { bn: v.bytes(Buffer.from([0x61, 0x62, 0, 0])) },
  },
  {
    name: 'other extremes',
    values: {
      u64: v.u64('0'),
      i64: v.i64('9223372036854775807'),
      i8: v.i64(127),
      u8: v.u64(0),
      m24: v.i64(8388607),
      dec65: v.str('-0.000000000000000000000000000001'),
      f: v.f64(-0),
      d: v.f64(-0),
      dt: v.str('0000-00-00 00:00:00.000000'),
      ts: v.str('1970-01-01 00:00:01.000000'),
      dd: v.str('0000-00-00'),
      tm: v.str('-838:59:59.000000'),
      yr: v.i64(1901),
      b64: v.bytes(Buffer.alloc(8)),
      b3: v.bytes(Buffer.from([0])),
      vb: v.bytes(Buffer.alloc(0)),
      bl: v.bytes(Buffer.from([0xff, 0xfe, 0xfd])),
      bn: v.bytes(Buffer.from([0, 0, 0, 0])),
      js: v.str('[]'),
      en: v.str('a'),
      st: v.str(''),
      tx: v.str(''),
      vc: v.str('ascii'),
    },
    // -0 comes back as the server returns it (see serverNegZero).
    expect: { f: { double_value: Number.NaN }, d: { double_value: Number.NaN } },
  },
  {
    name: 'tiny exponents and fractions',
    values: {
      u64: v.u64('9007199254740993'), // 2^53 + 1: not a safe JS integer
      i64: v.i64('-9007199254740993'),
      i8: v.i64(0),
      u8: v.u64(1),
      m24: v.i64(0),
      dec65: v.str('0.000000000000000000000000000000'),
      f: v.f64(float32MinSub),
      d: v.f64(5e-324),
      dt: v.str('2024-02-29 12:34:56.000001'),
      ts: v.str('2024-02-29 12:34:56.500000'),
      dd: v.str('2024-02-29'),
      tm: v.str('123:45:06.500000'),
      yr: v.i64(0),
      b64: v.bytes(Buffer.from('0000000000000001', 'hex')),
      b3: v.bytes(Buffer.from([7])),
      vb: v.bytes(Buffer.from('not utf8: \xff', 'latin1')),
      bl: v.bytes(Buffer.alloc(0)),
      bn: v.bytes(Buffer.from([1, 2, 3, 4])),
      js: v.str('"just a string"'),
      en: v.str('b'),
      st: v.str('x,y,z'),
      tx: v.str('ü'.repeat(1000)),
      vc: v.str('😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀'),
    },
    expect: { tm: v.str('123:45:06.500000'), dec65: v.str('0.000000000000000000000000000000') },
  },
  {
    name: 'negative small time and plain double',
    values: {
      u64: v.null(),
      i64: v.null(),
      i8: v.null(),
      u8: v.null(),
      m24: v.null(),
      dec65: v.str('-99999999999999999999999999999999999.999999999999999999999999999999'),
      f: v.f64(0.5),
      d: v.f64(0.1),
      dt: v.null(),
      ts: v.null(),
      dd: v.null(),
      tm: v.str('-00:00:01.000000'),
      yr: v.null(),
      b64: v.null(),
      b3: v.null(),
      vb: v.null(),
      bl: v.null(),
      bn: v.null(),
      js: v.null(),
      en: v.null(),
      st: v.null(),
      tx: v.null(),
      vc: v.null(),
    },
  },
];

/** Normalizes a received Value to [kind, comparable] for deepEqual. */
function norm(value: AnyMessage): [string, unknown] {
  if (value.null_value !== undefined || Object.keys(value).filter((k) => k !== 'kind').length === 0)
    return ['null', null];
  if (value.int64_value !== undefined) return ['int64', String(value.int64_value)];
  if (value.uint64_value !== undefined) return ['uint64', String(value.uint64_value)];
  if (value.double_value !== undefined) {
    const d = value.double_value as number;
    return ['double', Object.is(d, -0) ? '-0' : d];
  }
  if (value.string_value !== undefined) return ['string', value.string_value];
  if (value.bytes_value !== undefined) return ['bytes', Buffer.from(value.bytes_value).toString('hex')];
  return ['?', value];
}

CASES.forEach((c, i) => {
  test.serial(`round trip: ${c.name}`, async (t) => {
    const id = i + 1;
    const placeholders = COLUMNS.map(() => '?').join(', ');
    const res = await execute(gw.client, {
      sql: `INSERT INTO ${T} (id, ${COLUMNS.join(', ')}) VALUES (?, ${placeholders})`,
      params: [v.i64(id), ...COLUMNS.map((col) => c.values[col] as Value)],
    });
    t.is(res.affected_rows, '1');
    t.is(res.warning_count ?? 0, 0, 'no value was silently converted');
    const out = await query(gw.client, {
      sql: `SELECT ${COLUMNS.join(', ')} FROM ${T} WHERE id = ?`,
      params: [v.i64(id)],
    });
    t.is(out.rows.length, 1);
    const row = out.rows[0] as AnyMessage[];
    COLUMNS.forEach((col, j) => {
      const raw = c.expect?.[col] ?? (c.values[col] as Value);
      const want = 'double_value' in raw && Number.isNaN(raw.double_value) ? serverNegZero : raw;
      t.deepEqual(norm(row[j]), norm(want), `column ${col}`);
    });
  });
});

test.serial('column metadata describes each column', async (t) => {
  const out = await query(gw.client, {
    sql: `SELECT u64, i64 AS signed_alias, dec65, js, bl, tx, en FROM ${T} t WHERE id = 1`,
  });
  const byName = Object.fromEntries(out.columns.map((c: AnyMessage) => [c.name, c]));
  t.is(byName.u64.type, 'COLUMN_TYPE_LONGLONG');
  t.true(byName.u64.unsigned);
  t.is(byName.signed_alias.org_name, 'i64');
  t.falsy(byName.signed_alias.unsigned);
  t.is(byName.signed_alias.table, 't');
  t.is(byName.signed_alias.org_table, T);
  t.is(byName.signed_alias.schema, 'gwtest');
  t.is(byName.dec65.type, 'COLUMN_TYPE_NEWDECIMAL');
  t.is(byName.dec65.decimals, 30);
  t.true(byName.bl.binary);
  t.falsy(byName.tx.binary);
  t.true(byName.tx.nullable);
  t.is(out.columns.length, 7);
});

test.serial('params bind with their exact type', async (t) => {
  const out = await query(gw.client, {
    sql: 'SELECT ? = 18446744073709551615 AS u, ? = -9223372036854775808 AS i, ? AS d, ? AS e, ? IS NULL AS n, HEX(?) AS h, ? AS z',
    params: [
      v.u64('18446744073709551615'),
      v.i64('-9223372036854775808'),
      v.f64(5e-324),
      v.str(''),
      v.null(),
      v.bytes(Buffer.from([0, 255])),
      v.f64(-0),
    ],
  });
  const row = out.rows[0] as AnyMessage[];
  t.deepEqual(norm(row[0]), ['int64', '1']);
  t.deepEqual(norm(row[1]), ['int64', '1']);
  t.deepEqual(norm(row[2]), ['double', 5e-324]);
  t.deepEqual(norm(row[3]), ['string', '']);
  t.deepEqual(norm(row[4]), ['int64', '1']);
  t.deepEqual(norm(row[5]), ['string', '00FF']);
  t.deepEqual(norm(row[6]), norm(serverNegZero));
});

test.serial('an int64 param works where MySQL needs an integer (LIMIT ?)', async (t) => {
  const out = await query(gw.client, { sql: `SELECT id FROM ${T} ORDER BY id LIMIT ?`, params: [v.i64(2)] });
  t.deepEqual(
    out.rows.map((r) => norm(r[0])),
    [
      ['int64', '1'],
      ['int64', '2'],
    ],
  );
});
