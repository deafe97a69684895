/**
 * The mysql2 and Node internals in src/internals.ts still exist and behave as the gateway
 * expects. A failure here names the internal an upgrade removed or changed, before it shows up as
 * a slow or broken request path. (`_isMariaDB` being set by a real handshake is checked against
 * the sandbox in test/integration/driver-internals.test.ts.)
 */
import { PassThrough } from 'node:stream';
import test from 'ava';
import mysql from 'mysql2';
import {
  bufferLatin1Write,
  bufferUtf8Slice,
  bufferUtf8Write,
  destroyConnectionSocket,
  isMariaDbConnection,
  resetConnection,
} from '../../src/internals.js';

const NODE = `Node ${process.version}`;

test('Buffer.prototype.utf8Write exists and writes UTF-8, returning the byte count', (t) => {
  if (!bufferUtf8Write) return t.fail(`Buffer.prototype.utf8Write is gone in ${NODE} (src/wire/scalars.ts)`);
  for (const s of ['', 'ascii', 'héllo', '€ and 😀', 'a\u0000b']) {
    const expected = Buffer.from(s, 'utf8');
    const buf = Buffer.alloc(expected.length + 4, 0xaa);
    t.is(
      bufferUtf8Write.call(buf, s, 2, expected.length),
      expected.length,
      `utf8Write count for ${JSON.stringify(s)}`,
    );
    t.deepEqual(buf.subarray(2, 2 + expected.length), expected, `utf8Write bytes for ${JSON.stringify(s)}`);
    t.is(buf[0], 0xaa, 'utf8Write wrote before its offset');
    t.is(buf[expected.length + 2], 0xaa, 'utf8Write wrote past its length');
  }
  // A lone surrogate is written as U+FFFD, as Buffer.byteLength counts it (src/wire/scalars.ts relies on it).
  const lone = '\ud800';
  const buf = Buffer.alloc(3);
  t.is(
    bufferUtf8Write.call(buf, lone, 0, Buffer.byteLength(lone, 'utf8')),
    3,
    'utf8Write of a lone surrogate',
  );
  t.deepEqual([...buf], [0xef, 0xbf, 0xbd]);
});

test('Buffer.prototype.latin1Write exists and writes one byte per code unit', (t) => {
  if (!bufferLatin1Write)
    return t.fail(`Buffer.prototype.latin1Write is gone in ${NODE} (src/wire/scalars.ts)`);
  const s = 'x'.repeat(60) + '\u00ff';
  const buf = Buffer.alloc(s.length + 1, 0xaa);
  t.is(bufferLatin1Write.call(buf, s, 1, s.length), s.length, 'latin1Write count');
  t.is(buf[0], 0xaa, 'latin1Write wrote before its offset');
  t.is(buf[1], 0x78);
  t.is(buf[s.length], 0xff, 'latin1Write last byte');
});

test('Buffer.prototype.utf8Slice exists and decodes the given range', (t) => {
  if (!bufferUtf8Slice)
    return t.fail(`Buffer.prototype.utf8Slice is gone in ${NODE} (src/wire/response-decoder.ts)`);
  const buf = Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from('héllo €', 'utf8'), Buffer.from([0x01])]);
  t.is(bufferUtf8Slice.call(buf, 2, buf.length - 1), 'héllo €', 'utf8Slice');
  t.is(bufferUtf8Slice.call(buf, 2, 2), '', 'utf8Slice of an empty range');
  t.is(bufferUtf8Slice.call(Buffer.from([0xc3]), 0, 1), '\ufffd', 'utf8Slice of a cut sequence');
});

/** A mysql2 Connection over an in-memory stream: nothing is sent anywhere. */
function offlineConnection(t: import('ava').ExecutionContext) {
  const stream = new PassThrough();
  const conn = mysql.createConnection({ stream } as unknown as mysql.ConnectionOptions);
  conn.on('error', () => {});
  t.teardown(() => stream.destroy());
  return { conn, stream };
}

test('mysql2 Connection still has reset (COM_RESET_CONNECTION)', (t) => {
  // What it does to a session is checked against the sandbox (test/integration/driver-internals).
  const proto = (mysql as unknown as { Connection: { prototype: Record<string, unknown> } }).Connection
    .prototype;
  t.is(typeof proto.reset, 'function', 'mysql2 Connection#reset is gone (src/backend/connection.ts reset())');
});

test('mysql2 Connection still keeps its socket in `stream` and a MariaDB flag in `_isMariaDB`', (t) => {
  const { conn, stream } = offlineConnection(t);
  t.is(
    (conn as unknown as { stream: unknown }).stream,
    stream,
    'mysql2 Connection#stream is not the socket any more',
  );
  t.is(
    (conn as unknown as { _isMariaDB?: unknown })._isMariaDB,
    false,
    'mysql2 Connection#_isMariaDB is not initialised any more (set from the handshake)',
  );
  t.false(isMariaDbConnection(conn));
  destroyConnectionSocket(conn);
  t.true(stream.destroyed, 'destroyConnectionSocket did not destroy mysql2 Connection#stream');
});

test('the helpers read the internals, and fail safe on objects without them', (t) => {
  t.true(isMariaDbConnection({ _isMariaDB: true }));
  t.false(isMariaDbConnection({ _isMariaDB: false }));
  t.false(isMariaDbConnection({}));
  t.notThrows(() => destroyConnectionSocket({}));
  let error: unknown;
  resetConnection({}, (err) => {
    error = err;
  });
  t.regex(String(error), /Connection#reset/);
});
