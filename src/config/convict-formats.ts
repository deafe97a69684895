import convict from 'convict';
import { anyString, boolean, type Check, decimal, endpointUrl, integer, nonEmptyString } from './checks.js';

/**
 * The convict formats the gateway schema uses, registered once on convict's (process-wide)
 * format registry under `gateway-*` names.
 *
 * They exist for their coercions: convict's own `int`/`nat`/`port` accept `"80abc"` as 80 through
 * `parseInt`, and its `Boolean` reads every string but `"false"` (including `"0"`) as `true`. Ours
 * convert only well-formed strings and leave anything else for validation to reject by key.
 *
 * Ranges come from the schema entry itself (`min`, `max`), so one format serves every integer.
 */
export const FORMAT = {
  int: 'gateway-int',
  number: 'gateway-number',
  boolean: 'gateway-boolean',
  string: 'gateway-string',
  nonEmptyString: 'gateway-non-empty-string',
  url: 'gateway-url',
} as const;

let registered = false;

/** Registers the `gateway-*` formats with convict; idempotent. */
export function registerFormats(): void {
  if (registered) return;
  registered = true;
  convict.addFormats({
    [FORMAT.int]: {
      validate: (v: unknown, schema: convict.SchemaObj) =>
        fail(integer(bound(schema, 'min'), bound(schema, 'max'))(v)),
      coerce: (v: string) => (/^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v),
    },
    [FORMAT.number]: {
      validate: (v: unknown, schema: convict.SchemaObj) =>
        fail(decimal(bound(schema, 'min'), bound(schema, 'max'))(v)),
      coerce: (v: string) => (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v) ? Number(v) : v),
    },
    [FORMAT.boolean]: { validate: check(boolean), coerce: coerceBoolean },
    [FORMAT.string]: { validate: check(anyString) },
    [FORMAT.nonEmptyString]: { validate: check(nonEmptyString) },
    [FORMAT.url]: { validate: check(endpointUrl) },
  });
}

function coerceBoolean(v: string): boolean | string {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
  if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
  return v;
}

function check(c: Check): (v: unknown) => void {
  return (v) => fail(c(v));
}

function fail(message: string | undefined): void {
  if (message !== undefined) throw new Error(message);
}

function bound(schema: convict.SchemaObj, name: 'min' | 'max'): number {
  const value: unknown = schema[name];
  if (typeof value !== 'number') throw new Error(`schema entry without a numeric ${name}`);
  return value;
}
