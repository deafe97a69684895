/**
 * Every undocumented mysql2 and Node internal the gateway relies on, in one place, so that an
 * upgrade that removes or changes one breaks here (and in test/unit/internals.test.ts, which
 * names the missing internal) instead of somewhere on the request path.
 *
 * - Node `Buffer.prototype.utf8Write` / `latin1Write` / `utf8Slice`: the per-encoding methods
 *   `buf.write(s, pos, len, enc)` and `buf.toString(enc, start, end)` dispatch to after
 *   normalising their arguments. Calling them directly saves that work on every string of every
 *   row (src/wire/scalars.ts, src/wire/response-decoder.ts). Each is `undefined` when absent;
 *   callers then take the public method.
 * - mysql2 `Connection#_isMariaDB` (set from the handshake's server version),
 *   `Connection#reset(cb)` (COM_RESET_CONNECTION, not in mysql2's typings) and
 *   `Connection#stream` (the socket) (src/backend/).
 *
 * Imports nothing from the project and nothing from mysql2 at run time (the client library's
 * wire decoder uses this module too).
 */

/** `Buffer.prototype.utf8Write` / `latin1Write`: writes `s` at `offset`, at most `length` bytes; returns the bytes written. */
export type BufferStringWrite = (this: Buffer, s: string, offset: number, length: number) => number;
/** `Buffer.prototype.utf8Slice`: decodes bytes `start` to `end` (exclusive). */
export type BufferStringSlice = (this: Buffer, start: number, end: number) => string;

const bufferProto = Buffer.prototype as unknown as Record<string, unknown>;

function bufferMethod<T>(name: string): T | undefined {
  const fn = bufferProto[name];
  return typeof fn === 'function' ? (fn as T) : undefined;
}

/**
 * Node's `Buffer.prototype.utf8Write`, looked up once at load; undefined when this Node has none.
 * Call it as `bufferUtf8Write.call(buf, s, offset, length)`; cache it in a module constant.
 */
export const bufferUtf8Write: BufferStringWrite | undefined = bufferMethod('utf8Write');
/** Node's `Buffer.prototype.latin1Write`, looked up once at load; undefined when absent. */
export const bufferLatin1Write: BufferStringWrite | undefined = bufferMethod('latin1Write');
/** Node's `Buffer.prototype.utf8Slice`, looked up once at load; undefined when absent. */
export const bufferUtf8Slice: BufferStringSlice | undefined = bufferMethod('utf8Slice');

/** The mysql2 `Connection` fields below, as this module reads them (none are in mysql2's typings). */
interface Mysql2Internals {
  readonly _isMariaDB?: unknown;
  readonly reset?: unknown;
  readonly stream?: { destroy?: unknown } | null;
}

/**
 * True when the server of the (connected) mysql2 connection `conn` is MariaDB: mysql2 sets
 * `_isMariaDB` during the handshake from the server version string.
 */
export function isMariaDbConnection(conn: object): boolean {
  return (conn as Mysql2Internals)._isMariaDB === true;
}

/**
 * Sends COM_RESET_CONNECTION on the mysql2 connection `conn` (mysql2's untyped
 * `Connection#reset`); `cb` gets the error, if any. Calls `cb` with an error naming the internal
 * when mysql2 no longer has it.
 */
export function resetConnection(conn: object, cb: (err: unknown) => void): void {
  const reset = (conn as Mysql2Internals).reset;
  if (typeof reset !== 'function') {
    cb(new Error('mysql2 Connection#reset (COM_RESET_CONNECTION) is missing'));
    return;
  }
  reset.call(conn, cb);
}

/**
 * Destroys the socket under the mysql2 connection `conn` (`Connection#stream`) at once, which
 * resets it; mysql2's own `destroy()` only ends it gracefully. A no-op without a socket.
 */
export function destroyConnectionSocket(conn: object): void {
  const stream = (conn as Mysql2Internals).stream;
  if (stream && typeof stream.destroy === 'function') stream.destroy();
}
