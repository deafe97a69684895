/**
 * A result's compiled shape: its `Column` wire objects and its row decoder, cached per statement
 * text so that a statement run again (the common case: point selects on a pooled connection)
 * does not rebuild them for every result.
 *
 * MySQL sends the column definitions with every result, and a table can change between two runs
 * of the same text (ALTER TABLE, a view redefined, another default schema), so a cached shape is
 * only reused when every column-definition field that the compiled shape depends on is equal.
 * The cache keeps copies of those fields, never mysql2's column objects (which hold on to the
 * socket buffer they were parsed from).
 */
import { compileColumns } from './columns.js';
import { type DriverField, fieldFlags, fieldType } from './mysql-types.js';
import type { RowPlan } from '../wire/row-encoding.js';
import { compileRowDecoder, compileRowPlan, type RowDecoder } from './row-decoder.js';
import type { WireColumn } from './wire.js';

/** Compiled columns and decoder of a result. Both are built on first use. */
export interface ResultShape {
  /** The `Column` wire objects; the same array for every result with this shape. */
  readonly columns: WireColumn[];
  /** Decodes one row of this result. */
  readonly decode: RowDecoder;
  /** How the row writer encodes this result's cells without decoding them first. */
  readonly plan: RowPlan;
}

/** The column-definition fields the compiled shape depends on, copied out of mysql2's objects. */
interface FieldCopy extends DriverField {
  readonly name: string;
  readonly orgName: string;
  readonly table: string;
  readonly orgTable: string;
  readonly schema: string;
  readonly columnType: number;
  readonly characterSet: number | undefined;
  readonly columnLength: number | undefined;
  readonly flags: number;
  readonly decimals: number;
  readonly encoding: string | undefined;
  readonly extendedTypeName: string | undefined;
  readonly extendedFormat: string | undefined;
}

function copyField(f: DriverField): FieldCopy {
  return {
    name: f.name,
    orgName: f.orgName ?? '',
    table: f.table ?? '',
    orgTable: f.orgTable ?? '',
    schema: f.schema ?? f.db ?? '',
    columnType: fieldType(f),
    characterSet: f.characterSet,
    columnLength: f.columnLength,
    flags: fieldFlags(f),
    decimals: f.decimals,
    encoding: f.encoding,
    extendedTypeName: f.extendedTypeName,
    extendedFormat: f.extendedFormat,
  };
}

function sameField(c: FieldCopy, f: DriverField): boolean {
  return (
    c.name === f.name &&
    c.columnType === fieldType(f) &&
    c.flags === fieldFlags(f) &&
    c.decimals === f.decimals &&
    c.characterSet === f.characterSet &&
    c.columnLength === f.columnLength &&
    c.encoding === f.encoding &&
    c.extendedTypeName === f.extendedTypeName &&
    c.extendedFormat === f.extendedFormat &&
    c.orgName === (f.orgName ?? '') &&
    c.table === (f.table ?? '') &&
    c.orgTable === (f.orgTable ?? '') &&
    c.schema === (f.schema ?? f.db ?? '')
  );
}

class CompiledShape implements ResultShape {
  #columns: WireColumn[] | undefined;
  #decode: RowDecoder | undefined;
  #plan: RowPlan | undefined;

  constructor(
    readonly fields: readonly FieldCopy[],
    readonly protocol: 'binary' | 'text',
  ) {}

  get columns(): WireColumn[] {
    this.#columns ??= compileColumns(this.fields);
    return this.#columns;
  }

  get decode(): RowDecoder {
    this.#decode ??= compileRowDecoder(this.fields, this.protocol);
    return this.#decode;
  }

  get plan(): RowPlan {
    this.#plan ??= compileRowPlan(this.fields, this.protocol);
    return this.#plan;
  }

  matches(fields: readonly DriverField[], protocol: 'binary' | 'text'): boolean {
    if (protocol !== this.protocol || fields.length !== this.fields.length) return false;
    for (let i = 0; i < fields.length; i++) if (!sameField(this.fields[i]!, fields[i]!)) return false;
    return true;
  }
}

/** The shape of a result, uncached. */
export function resultShape(fields: readonly DriverField[], protocol: 'binary' | 'text'): ResultShape {
  return new CompiledShape(fields.map(copyField), protocol);
}

/**
 * Result shapes by statement text (one cache per connection, like mysql2's prepared statements).
 * Holds at most `maxEntries` shapes; the oldest is dropped first.
 */
export class ResultShapeCache {
  readonly #entries = new Map<string, CompiledShape>();

  /** @param maxEntries most shapes kept. @default 256 */
  constructor(readonly maxEntries = 256) {}

  /** Shapes held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The shape of a result of `sql` with these column definitions, from the cache when it matches. */
  shape(sql: string, fields: readonly DriverField[], protocol: 'binary' | 'text'): ResultShape {
    const cached = this.#entries.get(sql);
    if (cached?.matches(fields, protocol)) return cached;
    const fresh = new CompiledShape(fields.map(copyField), protocol);
    if (cached) this.#entries.delete(sql);
    else if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(sql, fresh);
    return fresh;
  }
}
