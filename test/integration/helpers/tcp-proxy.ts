/**
 * A TCP proxy for a real network fault: "the request arrived and ran, but its answer never came
 * back". A connection it holds still forwards what its client sends, but the answers from the
 * target are dropped; {@link TcpProxy.cutHeld} then closes it on both sides. Used between the
 * gateway and MariaDB (hold the connection that sent COMMIT) and between a gRPC client and the
 * gateway (hold the client's connection).
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

interface Pair {
  readonly client: Socket;
  readonly target: Socket;
  held: boolean;
  /** Unparsed bytes of the client's and of the target's MySQL packets. */
  up: Buffer;
  down: Buffer;
  /** A prepare of a watched statement was sent: its answer names the statement id. */
  awaitingPrepareOk: boolean;
  /** Ids of the prepared statements whose SQL matched the watched pattern. */
  readonly watchedStmts: Set<number>;
}

/** MySQL command bytes: a text query, a prepare, a prepared statement's execution. */
const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;

/** Splits complete MySQL packets (3-byte little-endian length, sequence id, payload) off `buf`. */
function packets(buf: Buffer): { payloads: Buffer[]; rest: Buffer } {
  const payloads: Buffer[] = [];
  let rest = buf;
  while (rest.length >= 4) {
    const len = rest.readUIntLE(0, 3);
    if (rest.length < 4 + len) break;
    payloads.push(rest.subarray(4, 4 + len));
    rest = rest.subarray(4 + len);
  }
  return { payloads, rest };
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private watched: RegExp | undefined;
  private armed = false;

  private constructor(
    private readonly server: Server,
    /** The port clients connect to. */
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (a free port) and forwards every connection to `targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      const target = connect(targetPort, targetHost);
      const pair: Pair = {
        client,
        target,
        held: false,
        up: Buffer.alloc(0),
        down: Buffer.alloc(0),
        awaitingPrepareOk: false,
        watchedStmts: new Set(),
      };
      proxy?.pairs.add(pair);
      const drop = () => {
        client.destroy();
        target.destroy();
        proxy?.pairs.delete(pair);
      };
      client.on('data', (chunk: Buffer) => {
        proxy?.inspect(pair, chunk);
        target.write(chunk);
      });
      target.on('data', (chunk: Buffer) => {
        proxy?.inspectAnswer(pair, chunk);
        if (!pair.held) client.write(chunk);
      });
      client.on('error', drop).on('close', drop);
      target.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    proxy = new TcpProxy(server, address.port);
    return proxy;
  }

  /** Holds every connection open now: their answers are dropped from here on. Returns how many. */
  holdAll(): number {
    for (const p of this.pairs) p.held = true;
    return this.pairs.size;
  }

  /**
   * Watches MySQL traffic for statements matching `sql` (call it before the connections open)
   * and arms a one-shot hold: the connection that next runs one (a text query, or the execution
   * of a prepared one) is held, so the statement reaches the server and its answer is dropped.
   */
  watchMysql(sql: RegExp): void {
    this.watched = sql;
  }

  /** Arms the hold of {@link watchMysql}. */
  holdOnWatchedStatement(): void {
    this.armed = true;
  }

  /** Held connections right now. */
  get heldCount(): number {
    return [...this.pairs].filter((p) => p.held).length;
  }

  /** Closes the held connections on both sides (the client sees its connection drop); returns how many. */
  cutHeld(): number {
    let n = 0;
    for (const p of [...this.pairs]) {
      if (!p.held) continue;
      n++;
      p.client.destroy();
      p.target.destroy();
      this.pairs.delete(p);
    }
    return n;
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.target.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private inspect(pair: Pair, chunk: Buffer): void {
    if (!this.watched) return;
    const { payloads, rest } = packets(Buffer.concat([pair.up, chunk]));
    pair.up = rest;
    for (const payload of payloads) {
      const sql = () => payload.subarray(1).toString('utf8');
      const runs =
        (payload[0] === COM_QUERY && this.watched.test(sql())) ||
        (payload[0] === COM_STMT_EXECUTE && pair.watchedStmts.has(payload.readUInt32LE(1)));
      if (payload[0] === COM_STMT_PREPARE && this.watched.test(sql())) pair.awaitingPrepareOk = true;
      if (runs && this.armed) {
        pair.held = true;
        this.armed = false;
      }
    }
  }

  private inspectAnswer(pair: Pair, chunk: Buffer): void {
    if (!this.watched) return;
    const { payloads, rest } = packets(Buffer.concat([pair.down, chunk]));
    pair.down = rest;
    for (const payload of payloads) {
      // COM_STMT_PREPARE_OK: 0x00, then the statement id (4 bytes, little-endian).
      if (pair.awaitingPrepareOk) {
        pair.awaitingPrepareOk = false;
        if (payload[0] === 0x00) pair.watchedStmts.add(payload.readUInt32LE(1));
      }
    }
  }
}
