/**
 * Seeded mutations of VALID encoded requests at the protobuf level (as opposed to random bytes):
 * enum numbers the contract lacks, wrong wire types, truncation inside a key, a varint or a
 * length-delimited payload, over-long varints, lengths past the end, unknown fields, duplicated
 * repeated fields, two members of one oneof. A mutation may land in a nested message (a Value,
 * a Statement, a BeginRequest), whose length prefix is then rewritten to fit.
 */
import {
  field,
  key,
  paddedVarint,
  parseFields,
  readVarint,
  varint,
  type WireField,
  WT,
} from './proto-wire.js';
import { gatewayPackageDefinition } from '../../../src/wire/proto.js';

/** The request messages and the messages nested in them. */
export type MessageName =
  | 'QueryRequest'
  | 'ExecuteRequest'
  | 'TransactionRequest'
  | 'Statement'
  | 'BeginRequest'
  | 'Value'
  | 'Empty';

/** Field numbers holding nested messages, per message (from gateway.proto). */
const NESTED: Record<MessageName, Record<number, MessageName>> = {
  QueryRequest: { 3: 'Value' },
  ExecuteRequest: { 3: 'Value' },
  TransactionRequest: { 2: 'BeginRequest', 3: 'Statement', 4: 'Statement', 5: 'Empty', 6: 'Empty' },
  Statement: { 2: 'Value' },
  BeginRequest: {},
  Value: {},
  Empty: {},
};

/**
 * The first field number a message does not define (so the server must ignore it), read from the
 * contract itself, so a field added to the .proto is never sent as an "unknown" one.
 */
const FIRST_UNKNOWN: Record<MessageName, number> = (() => {
  const defs = gatewayPackageDefinition() as unknown as Record<
    string,
    { type?: { field?: { number: number }[] } }
  >;
  const next = (name: string) => {
    const fields = defs[`mysqlgateway.v1.${name}`]?.type?.field;
    if (!fields) throw new Error(`no message mysqlgateway.v1.${name} in the contract`);
    return Math.max(0, ...fields.map((f) => f.number)) + 1;
  };
  return {
    QueryRequest: next('QueryRequest'),
    ExecuteRequest: next('ExecuteRequest'),
    TransactionRequest: next('TransactionRequest'),
    Statement: next('Statement'),
    BeginRequest: next('BeginRequest'),
    Value: next('Value'),
    Empty: 1,
  };
})();

/** Enum fields: read_preference, isolation_level, Value.null_value. */
const ENUM_FIELD: Partial<Record<MessageName, number>> = { QueryRequest: 4, BeginRequest: 2, Value: 1 };

/** Repeated fields (all of Value). */
const REPEATED_FIELD: Partial<Record<MessageName, number>> = {
  QueryRequest: 3,
  ExecuteRequest: 3,
  Statement: 2,
};

/** Enum numbers outside every enum of the contract: small, int32 edges, negative, past 2^32 and 2^64. */
export const UNKNOWN_ENUM_NUMBERS: readonly (number | bigint)[] = [
  5,
  6,
  99,
  15094,
  2 ** 31 - 1,
  -1,
  -2,
  -(2 ** 31),
  2n ** 32n + 5n,
  2n ** 63n,
  2n ** 64n - 1n,
  2n ** 64n,
  2n ** 70n + 3n,
];

/** The mutations, by name (recorded so a failure says what was sent). */
export const MUTATIONS = [
  'enum',
  'wire-type',
  'truncate',
  'oversized-varint',
  'long-length',
  'unknown-field',
  'duplicate',
  'two-oneof',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

type Rng = () => number;

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rng, n: number): number => Math.floor(r() * n);

function randomBytes(r: Rng, max: number): Buffer {
  const b = Buffer.alloc(int(r, max + 1));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
  return b;
}

/** `bytes` with `[start, end)` replaced by `insert`. */
function splice(bytes: Buffer, start: number, end: number, insert: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, start), insert, bytes.subarray(end)]);
}

/** Offsets between fields (0 and the end included). */
function boundaries(fields: readonly WireField[]): number[] {
  return [0, ...fields.map((f) => f.end)];
}

/** One unknown field of a random wire type (a group included: deprecated, still well-formed). */
function unknownField(r: Rng, msg: MessageName): Buffer {
  const first = FIRST_UNKNOWN[msg];
  const no = pick(r, [first, first + 1, first + 7, 100, 1000, 2047, 2048, 536_870_911]);
  switch (int(r, 5)) {
    case 0:
      return field.varint(no, pick(r, [0, 1, 300, -1, 2n ** 63n]));
    case 1:
      return field.fixed64(no, Buffer.alloc(8, 0xff));
    case 2:
      return field.fixed32(no, Buffer.from([1, 2, 3, 4]));
    case 3:
      return field.bytes(no, r() < 0.5 ? randomBytes(r, 30) : field.bytes(2, 'SELECT 1'));
    default:
      return Buffer.concat([key(no, WT.SGROUP), field.varint(1, 7), key(no, WT.EGROUP)]);
  }
}

/** A field of `no` with wire type `wt` and a plausible payload for that type. */
function fieldOfWireType(r: Rng, no: number, wt: number): Buffer {
  const k = key(no, wt);
  switch (wt) {
    case WT.VARINT:
      return Buffer.concat([k, varint(pick(r, [0, 1, 300, 2 ** 40]))]);
    case WT.I64:
      return Buffer.concat([k, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);
    case WT.I32:
      return Buffer.concat([k, Buffer.from([9, 8, 7, 6])]);
    case WT.LEN: {
      const payload = randomBytes(r, 20);
      return Buffer.concat([k, varint(payload.length), payload]);
    }
    case WT.SGROUP:
      return r() < 0.5 ? k : Buffer.concat([k, key(no, WT.EGROUP)]);
    default: // 4 (a stray end group), 6 and 7 (undefined wire types)
      return Buffer.concat([k, randomBytes(r, 4)]);
  }
}

/** A oneof member other than those of `present`, or undefined when `msg` has no oneof. */
function otherOneofMember(r: Rng, msg: MessageName, present: Set<number>): Buffer | undefined {
  const members: Record<number, () => Buffer> | undefined =
    msg === 'Value'
      ? {
          1: () => field.varint(1, 0),
          2: () => field.varint(2, 6), // sint64 3
          3: () => field.varint(3, 9),
          4: () => field.fixed64(4, Buffer.from('000000000000f03f', 'hex')), // 1.0
          5: () => field.bytes(5, 'two'),
          6: () => field.bytes(6, Buffer.from([0, 1])),
        }
      : msg === 'TransactionRequest'
        ? {
            2: () => field.bytes(2, r() < 0.5 ? Buffer.alloc(0) : field.varint(3, 1)),
            3: () => field.bytes(3, field.bytes(1, 'SELECT 1')),
            4: () => field.bytes(4, field.bytes(1, 'DO 1')),
            5: () => field.bytes(5, Buffer.alloc(0)),
            6: () => field.bytes(6, Buffer.alloc(0)),
          }
        : undefined;
  if (!members) return undefined;
  const choices = Object.keys(members)
    .map(Number)
    .filter((n) => !present.has(n));
  return choices.length === 0 ? undefined : (members[pick(r, choices)] as () => Buffer)();
}

/** Where a varint starts and ends: keys, varint values and length prefixes. */
function varintSpans(fields: readonly WireField[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const f of fields) {
    spans.push([f.start, f.keyEnd]);
    if (f.wt === WT.VARINT) spans.push([f.keyEnd, f.end]);
    if (f.wt === WT.LEN) spans.push([f.keyEnd, f.payloadStart]);
  }
  return spans;
}

/** Applies `kind` to the top level of `bytes` (a message of type `msg`); returns the new bytes. */
function mutateHere(r: Rng, msg: MessageName, bytes: Buffer, kind: Mutation): Buffer {
  const fields = parseFields(bytes);
  const at = pick(r, boundaries(fields));
  switch (kind) {
    case 'enum': {
      const no = ENUM_FIELD[msg];
      if (no === undefined) return mutateHere(r, msg, bytes, 'unknown-field');
      const kept = fields.filter((f) => f.no !== no).map((f) => bytes.subarray(f.start, f.end));
      const n = pick(r, UNKNOWN_ENUM_NUMBERS);
      const value = r() < 0.2 ? paddedVarint(n, 11 + int(r, 3)) : varint(n);
      kept.splice(int(r, kept.length + 1), 0, Buffer.concat([key(no, WT.VARINT), value]));
      return Buffer.concat(kept);
    }
    case 'wire-type': {
      if (fields.length === 0) return fieldOfWireType(r, 1 + int(r, 6), int(r, 8));
      const f = pick(r, fields);
      const wts = [0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wt);
      return splice(bytes, f.start, f.end, fieldOfWireType(r, f.no, pick(r, wts)));
    }
    case 'truncate': {
      // Cut positions by class: inside a key (a two- or five-byte key is added first), inside a
      // varint value or length prefix, inside a length-delimited payload, between fields.
      const inside = (spans: [number, number][]) =>
        spans.filter(([s, e]) => e - s >= 2).map(([s, e]) => s + 1 + int(r, e - s - 1));
      const cls = int(r, 4);
      if (cls === 0) {
        const no = pick(r, [2047, 536_870_911]);
        const withKey = splice(bytes, at, at, field.varint(no, 1));
        return withKey.subarray(0, at + 1 + int(r, key(no, 0).length - 1));
      }
      const cuts =
        cls === 1
          ? inside(varintSpans(fields).filter(([s]) => !fields.some((f) => f.start === s)))
          : cls === 2
            ? inside(fields.filter((f) => f.wt === WT.LEN).map((f) => [f.payloadStart - 1, f.end]))
            : boundaries(fields);
      return bytes.subarray(0, cuts.length > 0 ? pick(r, cuts) : int(r, bytes.length + 1));
    }
    case 'oversized-varint': {
      const spans = varintSpans(fields);
      if (spans.length === 0) return Buffer.concat([bytes, paddedVarint(8, 11)]); // a key 11 bytes long
      const [s, e] = pick(r, spans);
      const v = readVarint(bytes, s).value;
      const replacement = pick(r, [
        () => paddedVarint(v, 11 + int(r, 4)), // the same value in 11 to 14 bytes
        () => paddedVarint(v, 10), // the same value in 10 bytes: the longest legal form
        () => varint(v + 2n ** 64n), // 2^64 more: ten bytes with bits past 64
        () => varint(v + 2n ** 70n), // eleven bytes
      ])();
      return splice(bytes, s, e, replacement);
    }
    case 'long-length': {
      const lens = fields.filter((f) => f.wt === WT.LEN);
      if (lens.length === 0) return Buffer.concat([bytes, key(2, WT.LEN), varint(1000), Buffer.from('x')]);
      const f = pick(r, lens);
      const remaining = bytes.length - f.payloadStart;
      const len = pick(r, [
        remaining + 1,
        remaining + 1 + int(r, 1000),
        2 ** 31 - 1,
        2 ** 32 + (f.end - f.payloadStart), // wraps to the true length in 32 bits
        2n ** 64n - 1n,
      ]);
      return splice(bytes, f.keyEnd, f.payloadStart, varint(len));
    }
    case 'unknown-field': {
      let out = bytes;
      for (let i = 1 + int(r, 3); i > 0; i--) {
        const b = pick(r, boundaries(parseFields(out)));
        out = splice(out, b, b, unknownField(r, msg));
      }
      return out;
    }
    case 'duplicate': {
      const no = REPEATED_FIELD[msg];
      const candidates = fields.filter((f) => no === undefined || f.no === no);
      const f = candidates.length > 0 ? pick(r, candidates) : fields.length > 0 ? pick(r, fields) : undefined;
      if (!f) return mutateHere(r, msg, bytes, 'unknown-field');
      return splice(bytes, at, at, bytes.subarray(f.start, f.end));
    }
    case 'two-oneof': {
      const other = otherOneofMember(r, msg, new Set(fields.map((f) => f.no)));
      if (!other) return mutateHere(r, msg, bytes, 'duplicate');
      return splice(bytes, at, at, other);
    }
  }
}

/**
 * Applies one mutation somewhere in `bytes` (a valid message of type `msg`): at the top level
 * or, recursively, inside one of its nested messages. Pushes `path:kind` onto `applied`.
 */
export function mutateOnce(
  r: Rng,
  msg: MessageName,
  bytes: Buffer,
  applied: string[],
  path: string = msg,
): Buffer {
  const fields = parseFields(bytes);
  const nested = fields.filter((f) => f.wt === WT.LEN && NESTED[msg][f.no] !== undefined);
  if (nested.length > 0 && r() < 0.4) {
    const f = pick(r, nested);
    const inner = NESTED[msg][f.no] as MessageName;
    const payload = mutateOnce(r, inner, bytes.subarray(f.payloadStart, f.end), applied, `${path}.${f.no}`);
    return splice(bytes, f.keyEnd, f.end, Buffer.concat([varint(payload.length), payload]));
  }
  const kind = pick(r, MUTATIONS);
  applied.push(`${path}:${kind}`);
  return mutateHere(r, msg, bytes, kind);
}

/**
 * Applies one to three mutations to a valid message; stops early once the bytes no longer parse
 * as protobuf where the next mutation would need field boundaries.
 */
export function mutate(r: Rng, msg: MessageName, bytes: Buffer): { bytes: Buffer; applied: string[] } {
  const applied: string[] = [];
  let out = mutateOnce(r, msg, bytes, applied);
  for (let i = int(r, 3); i > 0; i--) {
    const before = applied.length;
    try {
      out = mutateOnce(r, msg, out, applied);
    } catch {
      applied.length = before; // malformed by an earlier mutation: keep what we have
      break;
    }
  }
  return { bytes: out, applied };
}

/** Whether every mutation applied only added unknown fields (the request must mean the same). */
export function onlyUnknownFields(applied: readonly string[]): boolean {
  return applied.every((a) => a.endsWith(':unknown-field'));
}
