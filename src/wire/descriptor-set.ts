/**
 * The descriptors server reflection serves: a FileDescriptorSet built from the .proto files by
 * buf at build time (scripts/build-descriptors.sh, `make build`), each file kept as the exact
 * bytes buf wrote, under its real name, with its real imports.
 *
 * Read with a small wire reader rather than protobufjs: protobufjs (under proto-loader and
 * @grpc/reflection) regroups files by package and drops their imports, which is what strict
 * reflection clients could not resolve; only names are needed here, the bytes go out untouched.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `make build` writes the set (next to this module in dist/). */
export const DESCRIPTOR_SET_PATH = fileURLToPath(new URL('./descriptor-set.binpb', import.meta.url));

/** One field as read off the wire: a varint's value, or a length-delimited field's bytes. */
type WireField = { readonly no: number; readonly value: number | Uint8Array };

/** The top-level fields of one message; fixed-width fields are skipped, groups refused. */
function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('descriptor set: truncated varint');
      const b = buf[pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        out.push({ no, value: varint() });
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = varint();
        if (pos + len > buf.length) throw new Error('descriptor set: truncated field');
        out.push({ no, value: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`descriptor set: unsupported wire type ${tag % 8} (field ${no})`);
    }
  }
  if (pos > buf.length) throw new Error('descriptor set: truncated fixed-width field');
  return out;
}

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

const text = new TextDecoder('utf-8', { fatal: true });

function bytesOf(fields: WireField[], no: number): Uint8Array[] {
  return fields.flatMap((f) => (f.no === no && f.value instanceof Uint8Array ? [f.value] : []));
}

function stringsOf(fields: WireField[], no: number): string[] {
  return bytesOf(fields, no).map((b) => text.decode(b));
}

function nameOf(fields: WireField[]): string {
  return stringsOf(fields, 1)[0] ?? '';
}

/** One file of the set. */
export interface DescriptorFile {
  /** Its path as imported, e.g. `mysqlgateway/v1/gateway.proto`. */
  readonly name: string;
  /** The serialized FileDescriptorProto, exactly as buf wrote it. */
  readonly bytes: Uint8Array;
  /** The files it imports, by name. */
  readonly dependencies: readonly string[];
}

/** What a fully-qualified name denotes. */
export type SymbolKind =
  | 'service'
  | 'method'
  | 'message'
  | 'field'
  | 'oneof'
  | 'enum'
  | 'enum value'
  | 'extension';

/** An index of a FileDescriptorSet: files by name, symbols by fully-qualified name, services. */
export class DescriptorSet {
  private readonly files = new Map<string, DescriptorFile>();
  private readonly symbols = new Map<string, { file: DescriptorFile; kind: SymbolKind }>();
  /** Extensions: extendee (fully qualified, no leading dot) -> field number -> file. */
  private readonly extensions = new Map<string, Map<number, DescriptorFile>>();
  private readonly serviceNames: string[] = [];

  /** Indexes a serialized FileDescriptorSet. Throws on malformed input, duplicate files or symbols. */
  constructor(
    /** The serialized FileDescriptorSet. */
    readonly bytes: Uint8Array,
  ) {
    for (const file of bytesOf(readFields(bytes), 1)) this.addFile(file);
    for (const file of this.files.values())
      for (const dep of file.dependencies)
        if (!this.files.has(dep))
          throw new Error(`descriptor set: ${file.name} imports ${dep}, which is missing`);
  }

  /** Reads the set `make build` wrote (or the file at `path`). */
  static load(path = DESCRIPTOR_SET_PATH): DescriptorSet {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new Error(
        `cannot read the descriptor set for server reflection (${path}): build it with \`make build\` ` +
          '(or `bash scripts/build-descriptors.sh dist/src/wire/descriptor-set.binpb` after tsc)',
        { cause: err },
      );
    }
    return new DescriptorSet(bytes);
  }

  /** Fully-qualified names of every service in the set, in file order. */
  get services(): readonly string[] {
    return this.serviceNames;
  }

  /** The file called `name`, if in the set. */
  file(name: string): DescriptorFile | undefined {
    return this.files.get(name);
  }

  /** The file declaring the fully-qualified `symbol` (no leading dot), and what the symbol is. */
  symbol(symbol: string): { file: DescriptorFile; kind: SymbolKind } | undefined {
    return this.symbols.get(symbol);
  }

  /** The file declaring extension `fieldNumber` of the message `extendee`. */
  extension(extendee: string, fieldNumber: number): DescriptorFile | undefined {
    return this.extensions.get(extendee)?.get(fieldNumber);
  }

  /** Field numbers of every extension of the message `extendee` (empty when it has none). */
  extensionNumbers(extendee: string): number[] {
    return [...(this.extensions.get(extendee)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** `file` then every file it imports, transitively, each once. */
  withDependencies(file: DescriptorFile): DescriptorFile[] {
    const out: DescriptorFile[] = [];
    const seen = new Set<string>();
    const visit = (f: DescriptorFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(f);
      for (const dep of f.dependencies) visit(this.files.get(dep) as DescriptorFile);
    };
    visit(file);
    return out;
  }

  /** A serialized FileDescriptorSet of `files` and their imports (e.g. to load just a few with proto-loader). */
  encodeSubset(files: readonly DescriptorFile[]): Uint8Array {
    const parts: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const file of files)
      for (const f of this.withDependencies(file)) {
        if (seen.has(f.name)) continue;
        seen.add(f.name);
        // FileDescriptorSet.file is field 1, length-delimited: tag 0x0a, varint length, bytes.
        parts.push(Uint8Array.of(0x0a, ...encodeVarint(f.bytes.length)), f.bytes);
      }
    return Buffer.concat(parts);
  }

  private addFile(bytes: Uint8Array): void {
    const fields = readFields(bytes);
    const file: DescriptorFile = { name: nameOf(fields), bytes, dependencies: stringsOf(fields, 3) };
    if (!file.name) throw new Error('descriptor set: a file without a name');
    if (this.files.has(file.name)) throw new Error(`descriptor set: ${file.name} appears twice`);
    this.files.set(file.name, file);
    const pkg = stringsOf(fields, 2)[0] ?? '';
    const scope = (name: string) => (pkg ? `${pkg}.${name}` : name);
    for (const m of bytesOf(fields, 4)) this.addMessage(file, pkg, readFields(m));
    for (const e of bytesOf(fields, 5)) this.addEnum(file, pkg, readFields(e));
    for (const x of bytesOf(fields, 7)) this.addExtension(file, pkg, readFields(x));
    for (const s of bytesOf(fields, 6)) {
      const service = readFields(s);
      const fqn = scope(nameOf(service));
      this.add(fqn, file, 'service');
      this.serviceNames.push(fqn);
      for (const m of bytesOf(service, 2)) this.add(`${fqn}.${nameOf(readFields(m))}`, file, 'method');
    }
  }

  // DescriptorProto: 1 name, 2 field, 3 nested_type, 4 enum_type, 6 extension, 8 oneof_decl.
  private addMessage(file: DescriptorFile, parent: string, message: WireField[]): void {
    const fqn = parent ? `${parent}.${nameOf(message)}` : nameOf(message);
    this.add(fqn, file, 'message');
    for (const f of bytesOf(message, 2)) this.add(`${fqn}.${nameOf(readFields(f))}`, file, 'field');
    for (const o of bytesOf(message, 8)) this.add(`${fqn}.${nameOf(readFields(o))}`, file, 'oneof');
    for (const n of bytesOf(message, 3)) this.addMessage(file, fqn, readFields(n));
    for (const e of bytesOf(message, 4)) this.addEnum(file, fqn, readFields(e));
    for (const x of bytesOf(message, 6)) this.addExtension(file, fqn, readFields(x));
  }

  // EnumDescriptorProto: 1 name, 2 value. Values are scoped like their enum (C++ scoping).
  private addEnum(file: DescriptorFile, parent: string, e: WireField[]): void {
    const within = (name: string) => (parent ? `${parent}.${name}` : name);
    this.add(within(nameOf(e)), file, 'enum');
    for (const v of bytesOf(e, 2)) this.add(within(nameOf(readFields(v))), file, 'enum value');
  }

  // FieldDescriptorProto: 1 name, 2 extendee, 3 number.
  private addExtension(file: DescriptorFile, parent: string, x: WireField[]): void {
    this.add(parent ? `${parent}.${nameOf(x)}` : nameOf(x), file, 'extension');
    const extendee = (stringsOf(x, 2)[0] ?? '').replace(/^\./, '');
    const number = x.find((f) => f.no === 3)?.value;
    if (typeof number !== 'number') return;
    const byNumber = this.extensions.get(extendee) ?? new Map<number, DescriptorFile>();
    byNumber.set(number, file);
    this.extensions.set(extendee, byNumber);
  }

  private add(fqn: string, file: DescriptorFile, kind: SymbolKind): void {
    const existing = this.symbols.get(fqn);
    if (existing)
      throw new Error(`descriptor set: ${fqn} is declared in ${existing.file.name} and ${file.name}`);
    this.symbols.set(fqn, { file, kind });
  }
}
