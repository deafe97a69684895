/**
 * The protobuf wire format by hand, for tests that send requests no generated client would
 * build: enum numbers the contract does not define, wrong wire types, truncated messages,
 * oversized varints, lengths past the end. And the server's own request decoder (proto-loader
 * over protobufjs, the very function grpc-js runs on each request before any handler sees it),
 * so a test knows whether the gateway's handler will ever be reached by some bytes.
 */
import { gatewayPackageDefinition } from '../../../src/wire/proto.js';
import type { AnyMessage } from './client.js';

/** Wire types (3 and 4 are the deprecated groups; 6 and 7 are not defined). */
export const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/**
 * `value` as a base-128 varint. Negative numbers are 64-bit two's complement (10 bytes, as
 * protobuf encodes a negative int32); values of 2^64 and more give 10 and 11+ bytes.
 */
export function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) v &= (1n << 64n) - 1n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** `value` as a varint padded with redundant continuation bytes to `bytes` bytes (non-canonical). */
export function paddedVarint(value: number | bigint, bytes: number): Buffer {
  const canonical = varint(value);
  if (bytes <= canonical.length) return canonical;
  const out = Buffer.alloc(bytes, 0x80);
  canonical.copy(out);
  out[canonical.length - 1] = (out[canonical.length - 1] ?? 0) | 0x80;
  out[bytes - 1] = 0;
  return out;
}

/** A field's key: `(field << 3) | wireType`, as a varint. */
export function key(field: number, wireType: number): Buffer {
  return varint((BigInt(field) << 3n) | BigInt(wireType));
}

/** Whole fields, key included. */
export const field = {
  varint: (no: number, value: number | bigint): Buffer => Buffer.concat([key(no, WT.VARINT), varint(value)]),
  fixed64: (no: number, payload: Buffer = Buffer.alloc(8)): Buffer =>
    Buffer.concat([key(no, WT.I64), payload]),
  fixed32: (no: number, payload: Buffer = Buffer.alloc(4)): Buffer =>
    Buffer.concat([key(no, WT.I32), payload]),
  bytes: (no: number, payload: Buffer | string): Buffer => {
    const b = Buffer.from(payload);
    return Buffer.concat([key(no, WT.LEN), varint(b.length), b]);
  },
};

/**
 * Where one field lies in a message: `start` (its key), `keyEnd`, `payloadStart` (after the
 * length prefix for wire type 2) and `end`.
 */
export interface WireField {
  readonly no: number;
  readonly wt: number;
  readonly start: number;
  readonly keyEnd: number;
  readonly payloadStart: number;
  readonly end: number;
}

/** Reads the varint at `pos` (any length); throws when it runs past the end. */
export function readVarint(buf: Buffer, pos: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length; i++) {
    const byte = buf[i] as number;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error(`varint at ${pos} runs past the end`);
}

/**
 * Splits a well-formed message into its fields (a group is one field, from its start key to
 * its end key); throws on anything malformed.
 */
export function parseFields(buf: Buffer): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const f = parseField(buf, pos);
    if (f.wt === WT.EGROUP) throw new Error(`end group ${f.no} without a start at ${pos}`);
    fields.push(f);
    pos = f.end;
  }
  return fields;
}

function parseField(buf: Buffer, pos: number): WireField {
  const k = readVarint(buf, pos);
  const no = Number(k.value >> 3n);
  const wt = Number(k.value & 7n);
  let payloadStart = k.next;
  let end: number;
  if (wt === WT.VARINT) end = readVarint(buf, k.next).next;
  else if (wt === WT.I64) end = k.next + 8;
  else if (wt === WT.I32) end = k.next + 4;
  else if (wt === WT.LEN) {
    const len = readVarint(buf, k.next);
    payloadStart = len.next;
    end = len.next + Number(len.value);
  } else if (wt === WT.EGROUP) end = k.next;
  else if (wt === WT.SGROUP) {
    end = k.next;
    for (;;) {
      if (end >= buf.length) throw new Error(`group ${no} at ${pos} has no end`);
      const inner = parseField(buf, end);
      end = inner.end;
      if (inner.wt === WT.EGROUP) {
        if (inner.no !== no) throw new Error(`group ${no} at ${pos} ends as ${inner.no}`);
        break;
      }
    }
  } else throw new Error(`wire type ${wt} at ${pos}`);
  if (end > buf.length) throw new Error(`field ${no} at ${pos} runs past the end`);
  return { no, wt, start: pos, keyEnd: k.next, payloadStart, end };
}

/** A Gateway method taking requests. */
export type GatewayMethod = 'Query' | 'Execute' | 'Transaction';

function method(name: GatewayMethod): AnyMessage {
  return (gatewayPackageDefinition()['mysqlgateway.v1.Gateway'] as AnyMessage)[name];
}

/** Encodes a request object as proto-loader (protobufjs) does for a generated client. */
export function encodeRequest(name: GatewayMethod, message: AnyMessage): Buffer {
  return method(name).requestSerialize(message);
}

/**
 * Decodes request bytes exactly as the gateway's server does before calling a handler; `error`
 * when protobufjs refuses them (grpc-js then ends the call itself, the handler never runs).
 */
export function decodeRequest(
  name: GatewayMethod,
  bytes: Buffer,
): { message: AnyMessage; error?: undefined } | { message?: undefined; error: string } {
  try {
    return { message: method(name).requestDeserialize(bytes) };
  } catch (err) {
    return { error: String((err as Error).message ?? err) };
  }
}

/** Decodes a response message (QueryResponse, ExecuteResponse or TransactionResponse). */
export function decodeResponse(name: GatewayMethod, bytes: Buffer): AnyMessage {
  return method(name).responseDeserialize(bytes);
}
