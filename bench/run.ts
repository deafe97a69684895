/**
 * `make bench`: each scenario runs the direct mysql2 baseline and the gateway in the same run,
 * on the same data, and prints figures and ratios; results go to bench/results/.
 *
 *   (a) unary point-select Query at concurrency 1, 16, 64 (h2load) vs mysql2 pool execute, and
 *       a bare grpc-js + mysql2 server (bench/bare-server.ts) as the floor of the gateway's stack
 *   (b) point selects pipelined over one read-only Transaction stream vs one mysql2 connection
 *   (c) streaming 1,000,000 rows vs mysql2 query().stream(), with the gateway's peak RSS
 *   (d) fan-in: 2,000 concurrent short transactions through a pool of 64 vs one connection each
 *   (e) Batch: 100 point selects, and 100 inserts in a transaction, per call vs the same 100
 *       statements pipelined on one mysql2 connection (bench/batch.ts)
 *
 * Environment: BENCH_SECONDS (per measurement, default 5), BENCH_NOTE (how the machine was, e.g.
 * "shared with other test runs", printed in the results), SANDBOX_* as for the tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysqlCore from 'mysql2';
import mysql from 'mysql2/promise';
import { GatewayClient } from '../src/client/index.js';
import { batchScenarios, prepareBatchTable } from './batch.js';
import { ensureSandbox, sandbox } from '../test/helpers/sandbox.js';
import {
  type AnyMessage,
  type GatewayProcess,
  gatewayClient,
  grpcFrame,
  percentile,
  startBareServer,
  startEchoServer,
  startGatewayProcess,
  writeConfig,
  BENCH_TOKEN,
} from './gateway-process.js';
import {
  PIPELINED_SINGLE_SCENARIO,
  profileScenario,
  type Row,
  renderReport,
  singleMessageScenario,
} from './report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const POOL = 64;
const POINT_ROWS = 100_000;
const STREAM_ROWS = 1_000_000;
/** Measured streams per side in (c) (medians reported). */
const STREAM_ROUNDS = 3;
const POINT_SQL = 'SELECT c FROM sbtest1 WHERE id = ?';
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const rows: Row[] = [];
function record(row: Row): void {
  rows.push(row);
  const fmt = (v: number | undefined, d = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  console.log(
    `${row.scenario.padEnd(34)} ${row.side.padEnd(8)} ${fmt(row.throughput).padStart(9)}/s  p50 ${fmt(row.p50Us).padStart(6)} us  p99 ${fmt(row.p99Us).padStart(7)} us  cpu/op ${fmt(row.cpuUsPerOp, 1).padStart(6)} us  ${row.note ?? ''}`,
  );
}

async function prepareData(): Promise<void> {
  const conn = await mysql.createConnection({
    host: sandbox.host,
    port: sandbox.primaryPort,
    user: sandbox.rootUser,
    database: 'gwtest',
  });
  const [existing] = (await conn.query(
    "SELECT TABLE_NAME AS t, TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA='gwtest' AND TABLE_NAME IN ('sbtest1','sbtest_stream')",
  )) as [Array<{ t: string; n: number }>, unknown];
  const have = new Set(existing.map((r) => r.t));
  if (!have.has('sbtest1')) {
    await conn.query(
      'CREATE TABLE sbtest1 (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL, KEY k (k))',
    );
    await conn.query(
      `INSERT INTO sbtest1 SELECT seq, seq % 1000, REPEAT(CHAR(97 + seq % 26), 120), REPEAT('p', 60) FROM seq_1_to_${POINT_ROWS}`,
    );
  }
  if (!have.has('sbtest_stream')) {
    await conn.query(
      'CREATE TABLE sbtest_stream (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL)',
    );
    await conn.query(
      `INSERT INTO sbtest_stream SELECT seq, seq % 1000, REPEAT(CHAR(97 + seq % 26), 120), REPEAT('p', 60) FROM seq_1_to_${STREAM_ROWS}`,
    );
  }
  await prepareBatchTable(conn);
  await conn.end();
}

/** The direct baseline connects as the gateway does: same account, same database. */
function directOptions() {
  return {
    host: sandbox.host,
    port: sandbox.primaryPort,
    user: sandbox.gatewayUser,
    password: sandbox.gatewayPassword(),
    database: 'gwtest',
  };
}

function directPool(limit: number) {
  return mysql.createPool({
    ...directOptions(),
    connectionLimit: limit,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

/** Unmeasured seconds before each closed-loop measurement, as h2load's `--warm-up-time`. */
const WARM_UP_SECONDS = 1;

/** Runs `op` from `concurrency` loops for `seconds`; returns latencies and errors. */
async function loopFor(
  concurrency: number,
  seconds: number,
  op: () => Promise<unknown>,
): Promise<{ lat: number[]; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const s = process.hrtime.bigint();
        try {
          await op();
        } catch {
          errors++;
        }
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
      }
    }),
  );
  return { lat, errors };
}

/**
 * Runs `op` from `concurrency` loops for WARM_UP_SECONDS unmeasured, then calls `onStart` and
 * measures SECONDS: throughput, latencies, CPU of this process.
 */
async function closedLoop(
  concurrency: number,
  op: () => Promise<unknown>,
  onStart: () => void = () => {},
): Promise<{ n: number; lat: number[]; seconds: number; cpuUs: number; errors: number }> {
  await loopFor(concurrency, WARM_UP_SECONDS, op);
  onStart();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { lat, errors } = await loopFor(concurrency, SECONDS, op);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  return { n: lat.length, lat, seconds, cpuUs: cpu.user + cpu.system, errors };
}

/** Records a closed loop of direct mysql2 calls as the `direct` row of `scenario`. */
function recordDirect(scenario: string, conc: number, direct: Awaited<ReturnType<typeof closedLoop>>): void {
  record({
    scenario,
    side: 'direct',
    concurrency: conc,
    throughput: direct.n / direct.seconds,
    p50Us: percentile(direct.lat, 50),
    p99Us: percentile(direct.lat, 99),
    cpuUsPerOp: direct.cpuUs / direct.n,
    note: direct.errors ? `${direct.errors} errors` : '',
  });
}

function randomId(): number {
  return 1 + Math.floor(Math.random() * POINT_ROWS);
}

/**
 * (a) unary point selects driven by h2load against the gateway, mysql2 pool against MySQL, and
 * (at c=16 and 64) against `bare`, the floor of the gateway's stack.
 */
async function unary(
  gw: GatewayProcess,
  dir: string,
  bare?: GatewayProcess,
  echo?: GatewayProcess,
  echo3?: GatewayProcess,
): Promise<void> {
  const body = join(dir, 'point-select.bin');
  writeFileSync(body, grpcFrame('Query', { sql: POINT_SQL, params: [{ int64_value: '4242' }] }));
  const singleBody = join(dir, 'point-select-single.bin');
  writeFileSync(
    singleBody,
    grpcFrame('Query', { sql: POINT_SQL, params: [{ int64_value: '4242' }], accept_single_message: true }),
  );
  const pool = directPool(POOL);
  await pool.execute(POINT_SQL, [1]);
  // Each process fresh: one unmeasured run of every request it will serve first, so that c=1,
  // measured first, does not pay the JIT's warm-up (it cost the gateway about a third more CPU per
  // call there, and made whichever of (a) and (a1) came second look cheaper).
  const warm: [GatewayProcess | undefined, string][] = [
    [gw, body],
    [gw, singleBody],
    [bare, body],
    [echo, body],
    [echo3, body],
  ];
  for (const [server, request] of warm) {
    if (server) h2loadQuery(server, request, 16, join(dir, 'h2load-warm-up.tsv'));
  }
  for (const conc of [1, 16, 64]) {
    const direct = await closedLoop(conc, () => pool.execute(POINT_SQL, [randomId()]));
    recordDirect(`(a) unary point select c=${conc}`, conc, direct);
    const failedBefore = gw.failedCalls();
    const res = h2loadQuery(gw, body, conc, join(dir, `h2load-${conc}.tsv`));
    const failed = gw.failedCalls() - failedBefore;
    record({
      scenario: `(a) unary point select c=${conc}`,
      side: 'gateway',
      ...res,
      note: failed ? `${failed} gRPC errors` : '',
    });
    const singleFailedBefore = gw.failedCalls();
    const single = h2loadQuery(gw, singleBody, conc, join(dir, `h2load-single-${conc}.tsv`));
    const singleFailed = gw.failedCalls() - singleFailedBefore;
    record({
      scenario: singleMessageScenario(conc),
      side: 'gateway',
      ...single,
      note: `the answer in one message${singleFailed ? `; ${singleFailed} gRPC errors` : ''}`,
    });
    if (bare) {
      record({
        scenario: `(a) unary point select c=${conc}`,
        side: 'floor',
        ...h2loadQuery(bare, body, conc, join(dir, `h2load-bare-${conc}.tsv`)),
        note: 'bare grpc-js + proto-loader + mysql2 pool (bench/bare-server.ts)',
      });
    }
    if (echo) {
      record({
        scenario: `(a) unary point select c=${conc}`,
        side: 'echo',
        ...h2loadQuery(echo, body, conc, join(dir, `h2load-echo-${conc}.tsv`)),
        note: 'grpc-js alone, one pre-encoded answer (bench/bare-server.ts echo)',
      });
    }
    if (echo3) {
      record({
        scenario: `(a) unary point select c=${conc}`,
        side: 'echo3',
        ...h2loadQuery(echo3, body, conc, join(dir, `h2load-echo3-${conc}.tsv`)),
        note: "grpc-js alone, a point select's three pre-encoded messages (bench/bare-server.ts echo3)",
      });
    }
  }
  await pool.end();
}

/**
 * (g) point selects at c=16 through a gateway on each profile's own defaults (production: pool
 * max 20; development, what plain `make run` picks: pool max 5, so 11 of the 16 calls queue for
 * a connection): the queue must not multiply the CPU per call.
 */
async function profiles(dir: string): Promise<void> {
  const body = join(dir, 'point-select.bin');
  const names = ['production', 'development'] as const;
  const gateways = await Promise.all(
    names.map((profile) =>
      startGatewayProcess(
        writeConfig(dir, {
          port: sandbox.primaryPort,
          user: sandbox.gatewayUser,
          passwordFile: sandbox.passwordFile,
          poolMax: 0,
          telemetry: false,
          profile,
        }),
      ),
    ),
  );
  try {
    // Fresh processes: one unmeasured run each first, so the JIT's warm-up is not in the figure.
    for (const [i, gw] of gateways.entries()) {
      h2loadQuery(gw, body, 16, join(dir, `h2load-profile-${names[i]}-warm-up.tsv`));
    }
    // Then the two take turns (the order reversed every other round) and each keeps its median
    // round: measured one after the other, the second would pay for whatever drifted meanwhile.
    const rounds: Omit<Row, 'scenario' | 'side'>[][] = [[], []];
    const failedBefore = gateways.map((gw) => gw.failedCalls());
    for (let round = 0; round < PROFILE_ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const gw = gateways[i] as GatewayProcess;
        rounds[i]?.push(h2loadQuery(gw, body, 16, join(dir, `h2load-profile-${names[i]}-${round}.tsv`)));
      }
    }
    names.forEach((profile, i) => {
      const byCpu = [...(rounds[i] ?? [])].sort((x, y) => (x.cpuUsPerOp ?? 0) - (y.cpuUsPerOp ?? 0));
      const median = byCpu[Math.floor(byCpu.length / 2)] as Omit<Row, 'scenario' | 'side'>;
      const failed = (gateways[i] as GatewayProcess).failedCalls() - (failedBefore[i] ?? 0);
      record({
        scenario: profileScenario(profile),
        side: 'gateway',
        ...median,
        note: `the profile's own pool (max ${profile === 'production' ? 20 : 5}); median of ${PROFILE_ROUNDS} alternating rounds${failed ? `; ${failed} gRPC errors` : ''}`,
      });
    });
  } finally {
    await Promise.all(gateways.map((gw) => gw.stop()));
  }
}

/** Rounds of scenario (g), each profile measured once per round. */
const PROFILE_ROUNDS = 3;

/** A no-op UPDATE by primary key: matches one row, changes none. */
const NOOP_UPDATE_SQL = 'UPDATE sbtest1 SET k = k WHERE id = ?';

/**
 * (f) unary Execute of a no-op UPDATE by primary key, driven by h2load against the gateway and
 * the echo server, mysql2 pool against MySQL: the stack limit for Execute.
 */
async function unaryExecute(gw: GatewayProcess, dir: string, echo: GatewayProcess): Promise<void> {
  const body = join(dir, 'noop-update.bin');
  writeFileSync(body, grpcFrame('Execute', { sql: NOOP_UPDATE_SQL, params: [{ int64_value: '4242' }] }));
  const pool = directPool(POOL);
  await pool.execute(NOOP_UPDATE_SQL, [1]);
  // Unmeasured first, as for (a): the gateway's Execute path warm.
  h2loadQuery(gw, body, 16, join(dir, 'h2load-exec-warm-up.tsv'), 'Execute');
  for (const conc of [1, 16]) {
    const scenario = `(f) unary no-op update c=${conc}`;
    const direct = await closedLoop(conc, () => pool.execute(NOOP_UPDATE_SQL, [randomId()]));
    recordDirect(scenario, conc, direct);
    const failedBefore = gw.failedCalls();
    const res = h2loadQuery(gw, body, conc, join(dir, `h2load-exec-${conc}.tsv`), 'Execute');
    const failed = gw.failedCalls() - failedBefore;
    record({ scenario, side: 'gateway', ...res, note: failed ? `${failed} gRPC errors` : '' });
    record({
      scenario,
      side: 'echo',
      ...h2loadQuery(echo, body, conc, join(dir, `h2load-exec-echo-${conc}.tsv`), 'Execute'),
      note: 'grpc-js alone, one pre-encoded answer (bench/bare-server.ts echo)',
    });
  }
  await pool.end();
}

/** Calls of `method` (a point-select Query unless told) from h2load (one connection, `conc` streams) for SECONDS. */
function h2loadQuery(
  server: GatewayProcess,
  body: string,
  conc: number,
  log: string,
  method: 'Query' | 'Execute' = 'Query',
): Omit<Row, 'scenario' | 'side'> {
  const cpu0 = server.cpuMicros();
  const out = execFileSync(
    'h2load',
    [
      '-c',
      '1',
      '-m',
      String(conc),
      '-D',
      String(SECONDS),
      '--warm-up-time=1',
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      // The gateway checks it (auth is on, as in production); the floor server ignores it.
      '-H',
      `authorization: Bearer ${BENCH_TOKEN}`,
      '-d',
      body,
      `--log-file=${log}`,
      `http://127.0.0.1:${server.port}/mysqlgateway.v1.Gateway/${method}`,
    ],
    { encoding: 'utf8' },
  );
  const cpu = server.cpuMicros() - cpu0;
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const lat = lines.map((l) => Number(l.split('\t')[2])).sort((a, b) => a - b);
  const ok = Number(out.match(/(\d+) succeeded/)?.[1] ?? 0);
  const seconds = Number(out.match(/finished in ([\d.]+)s/)?.[1] ?? SECONDS);
  return {
    concurrency: conc,
    throughput: ok / seconds,
    p50Us: percentile(lat, 50),
    p99Us: percentile(lat, 99),
    // h2load's warm-up second is included in the CPU but not in `ok`: count it in.
    cpuUsPerOp: cpu / (ok * ((seconds + 1) / seconds)),
  };
}

/** (b) point selects pipelined over one read-only Transaction stream. */
async function pipelined(gw: GatewayProcess, bare?: GatewayProcess): Promise<void> {
  const depth = 16;
  const conn = await mysql.createConnection(directOptions());
  await conn.execute(POINT_SQL, [1]);
  const direct = await closedLoop(depth, () => conn.execute(POINT_SQL, [randomId()]));
  await conn.end();
  record({
    scenario: `(b) pipelined tx depth=${depth}`,
    side: 'direct',
    concurrency: depth,
    throughput: direct.n / direct.seconds,
    p50Us: percentile(direct.lat, 50),
    p99Us: percentile(direct.lat, 99),
    cpuUsPerOp: direct.cpuUs / direct.n,
  });
  for (const single of [false, true]) {
    const scenario = single ? PIPELINED_SINGLE_SCENARIO : `(b) pipelined tx depth=${depth}`;
    record({ scenario, side: 'gateway', ...(await pipelinedOnGateway(gw, depth, single)) });
    if (bare) {
      record({
        scenario,
        side: 'floor',
        ...(await pipelinedOnGateway(bare, depth, single)),
        note: 'bare grpc-js + proto-loader, one mysql2 connection (bench/bare-server.ts)',
      });
    }
  }
}

/**
 * Point selects pipelined `depth` deep over one read-only Transaction stream of the generic
 * stub; `single` sets Statement.accept_single_message (as the TS client does).
 */
async function pipelinedOnGateway(
  gw: GatewayProcess,
  depth: number,
  single: boolean,
): Promise<Omit<Row, 'scenario' | 'side'>> {
  const client = gatewayClient(gw.port);
  const call = client.Transaction();
  const pending = new Map<string, (m: AnyMessage) => void>();
  let seq = 0;
  call.on('data', (m: AnyMessage) => {
    if (m.done || m.query_result || m.begun || m.error) {
      const cb = pending.get(m.request_id);
      pending.delete(m.request_id);
      cb?.(m);
    }
  });
  call.on('error', (err: Error) => {
    for (const cb of pending.values()) cb({ error: { message: err.message } });
    pending.clear();
  });
  const send = (action: AnyMessage) =>
    new Promise<AnyMessage>((resolve, reject) => {
      const id = String(++seq);
      pending.set(id, (m) => (m.error ? reject(new Error(m.error.message)) : resolve(m)));
      call.write({ request_id: id, ...action });
    });
  await send({ begin: { read_only: true, idle_timeout_ms: 60_000 } });
  let cpu0 = 0;
  const res = await closedLoop(
    depth,
    () =>
      send({
        query: {
          sql: POINT_SQL,
          params: [{ int64_value: String(randomId()) }],
          ...(single ? { accept_single_message: true } : {}),
        },
      }),
    () => {
      cpu0 = gw.cpuMicros();
    },
  );
  const cpu = gw.cpuMicros() - cpu0;
  await send({ query: { sql: 'SELECT 1' } });
  call.write({ request_id: 'end', rollback: {} });
  call.end();
  client.close();
  return {
    concurrency: depth,
    throughput: res.n / res.seconds,
    p50Us: percentile(res.lat, 50),
    p99Us: percentile(res.lat, 99),
    cpuUsPerOp: cpu / res.n,
    note: `${single ? 'each answer one query_result message' : ''}${res.errors ? `; ${res.errors} errors` : ''}`,
  };
}

/** (c) streaming 1,000,000 rows as fast as the client reads. */
async function streaming(gw: GatewayProcess): Promise<void> {
  const sql = 'SELECT id, k, c, pad FROM sbtest_stream';
  // The gateway's rows read by the project's TS client, decoded to JS values one by one as
  // direct's stream hands out row objects.
  const client = new GatewayClient(`127.0.0.1:${gw.port}`, {
    token: BENCH_TOKEN,
    channelOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
  // Unmeasured first, as for the other scenarios: the gateway process is fresh (for its peak RSS)
  // and its streaming path cold.
  for await (const _ of client.query(`${sql} LIMIT 200000`, [], { maxRowsPerBatch: 1000 })) {
  }
  // One stream is about 2 s: the median of STREAM_ROUNDS, each figure on its own.
  const runs: { rowsPerSec: number; gwCpu: number; clientCpu: number; rows: number }[] = [];
  for (let round = 0; round < STREAM_ROUNDS; round++) {
    const gwCpu1 = gw.cpuMicros();
    const cpu1 = process.cpuUsage();
    const t1 = process.hrtime.bigint();
    let got = 0;
    for await (const row of client.query(sql, [], { maxRowsPerBatch: 1000 })) {
      if (row.length === 4) got++;
    }
    const sec = Number(process.hrtime.bigint() - t1) / 1e9;
    const clientCpu = process.cpuUsage(cpu1);
    runs.push({
      rowsPerSec: got / sec,
      gwCpu: (gw.cpuMicros() - gwCpu1) / got,
      clientCpu: (clientCpu.user + clientCpu.system) / got,
      rows: got,
    });
  }
  await client.close();
  const gwRun = {
    rowsPerSec: median(runs.map((r) => r.rowsPerSec)),
    gwCpu: median(runs.map((r) => r.gwCpu)),
    clientCpu: median(runs.map((r) => r.clientCpu)),
    rows: Math.min(...runs.map((r) => r.rows)),
  };
  record({
    scenario: '(c) stream 1,000,000 rows',
    side: 'gateway',
    concurrency: 1,
    throughput: gwRun.rowsPerSec,
    rssMb: gw.peakRssMb(),
    cpuUsPerOp: gwRun.gwCpu,
    note: `rows/s (${gwRun.rows} rows) read by the TS client (mysql-grpc-gateway/client, ${gwRun.clientCpu.toFixed(2)} us of client CPU per row); CPU column: gateway per row; medians of ${STREAM_ROUNDS} runs; gateway peak RSS ${Math.round(gw.peakRssMb())} MB`,
  });
  // The same stream read by a generic client (grpc-js + proto-loader's protobufjs decoding),
  // as a client without a hand-written decoder sees it.
  const generic = gatewayClient(gw.port);
  const cpu2 = process.cpuUsage();
  const t2 = process.hrtime.bigint();
  let gotGeneric = 0;
  await new Promise<void>((resolve, reject) => {
    const call = generic.Query({ sql, max_rows_per_batch: 1000 });
    call.on('data', (m: AnyMessage) => {
      if (m.rows) gotGeneric += m.rows.rows.length;
    });
    call.on('end', () => resolve());
    call.on('error', reject);
  });
  const genericSec = Number(process.hrtime.bigint() - t2) / 1e9;
  const genericCpu = process.cpuUsage(cpu2);
  generic.close();
  record({
    scenario: '(c) stream 1,000,000 rows',
    side: 'gateway',
    concurrency: 1,
    throughput: gotGeneric / genericSec,
    note: `rows/s (${gotGeneric} rows) read by a generic grpc-js + proto-loader client (${((genericCpu.user + genericCpu.system) / gotGeneric).toFixed(2)} us of client CPU per row)`,
  });
  // Direct last: its stream fills this process's heap (mysql2 buffers ahead of the reader), which
  // would slow the gateway's client, running in this process, if it came first.
  const conn = mysqlCore.createConnection(directOptions());
  // Unmeasured first, as the gateway's side had: mysql2's row parser and this loop warm.
  await new Promise<void>((resolve, reject) => {
    const s = conn.query(`${sql} LIMIT 200000`).stream();
    s.on('data', () => {});
    s.on('end', () => resolve());
    s.on('error', reject);
  });
  let peak = process.memoryUsage().rss;
  const directRuns: { rowsPerSec: number; cpu: number }[] = [];
  for (let round = 0; round < STREAM_ROUNDS; round++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      const s = conn.query(sql).stream();
      s.on('data', () => {
        n++;
        if (n % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      });
      s.on('end', () => resolve());
      s.on('error', reject);
    });
    const directCpu = process.cpuUsage(cpu0);
    directRuns.push({
      rowsPerSec: n / (Number(process.hrtime.bigint() - t0) / 1e9),
      cpu: (directCpu.user + directCpu.system) / n,
    });
  }
  conn.end();
  record({
    scenario: '(c) stream 1,000,000 rows',
    side: 'direct',
    concurrency: 1,
    throughput: median(directRuns.map((r) => r.rowsPerSec)),
    cpuUsPerOp: median(directRuns.map((r) => r.cpu)),
    note: `rows/s; CPU column: client per row; medians of ${STREAM_ROUNDS} runs; client RSS ${Math.round(peak / 1e6)} MB`,
  });
}

/** The median of `values` (the lower middle one for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** (d) 2,000 concurrent short transactions. */
async function fanIn(gw: GatewayProcess): Promise<void> {
  const callers = 2000;
  const channels = Array.from({ length: 4 }, () => gatewayClient(gw.port));
  const oneTx = (client: AnyMessage) =>
    new Promise<void>((resolve, reject) => {
      const call = client.Transaction({}, { deadline: new Date(Date.now() + 30_000) });
      call.on('data', (m: AnyMessage) => {
        if (m.error) reject(new Error(m.error.message));
      });
      call.on('error', reject);
      call.on('status', (s: AnyMessage) => (s.code === 0 ? resolve() : undefined));
      call.write({ request_id: 'b', begin: {} });
      call.write({
        request_id: 'q',
        query: { sql: POINT_SQL, params: [{ int64_value: String(randomId()) }] },
      });
      call.write({ request_id: 'c', commit: {} });
      call.end();
    });
  const measure = async (op: (i: number) => Promise<unknown>) => {
    const lat: number[] = [];
    let errors = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: callers }, async (_, i) => {
        const s = process.hrtime.bigint();
        try {
          await op(i);
        } catch {
          errors++;
        }
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
      }),
    );
    lat.sort((a, b) => a - b);
    return { lat, errors, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  };
  const gwRes = await measure((i) => oneTx(channels[i % channels.length]));
  for (const c of channels) c.close();
  record({
    scenario: '(d) fan-in 2,000 tx, pool 64',
    side: 'gateway',
    concurrency: callers,
    throughput: (callers - gwRes.errors) / gwRes.seconds,
    p50Us: percentile(gwRes.lat, 50),
    p99Us: percentile(gwRes.lat, 99),
    note: `${gwRes.errors} errors`,
  });
  const directRes = await measure(async () => {
    const conn = await mysql.createConnection(directOptions());
    try {
      await conn.beginTransaction();
      await conn.execute(POINT_SQL, [randomId()]);
      await conn.commit();
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  });
  record({
    scenario: '(d) fan-in 2,000 tx, pool 64',
    side: 'direct',
    concurrency: callers,
    throughput: (callers - directRes.errors) / directRes.seconds,
    p50Us: percentile(directRes.lat, 50),
    p99Us: percentile(directRes.lat, 99),
    note: `${directRes.errors} errors (one connection per caller; max_connections caps it)`,
  });
}

async function main(): Promise<void> {
  await ensureSandbox();
  await prepareData();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const base = {
    port: sandbox.primaryPort,
    user: sandbox.gatewayUser,
    passwordFile: sandbox.passwordFile,
    poolMax: POOL,
  };
  console.log(
    `mysql-grpc-gateway benchmark: ${SECONDS} s per measurement, pool ${POOL}, MariaDB on 127.0.0.1:${sandbox.primaryPort}\n`,
  );
  let gw = await startGatewayProcess(writeConfig(dir, { ...base, telemetry: false }));
  const bare = await startBareServer(base);
  const echo = await startEchoServer();
  const echo3 = await startEchoServer('echo3');
  try {
    await unary(gw, dir, bare, echo, echo3);
    await unaryExecute(gw, dir, echo);
    await pipelined(gw, bare);
    await fanIn(gw);
    await batchScenarios(gw, {
      seconds: SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
      pointSql: POINT_SQL,
      randomId,
      connect: () => mysql.createConnection(directOptions()),
      record,
    });
  } finally {
    await Promise.all([gw.stop(), bare.stop(), echo.stop(), echo3.stop()]);
  }
  await profiles(dir);
  // A fresh process for streaming, so its peak RSS is the streaming's own.
  gw = await startGatewayProcess(writeConfig(dir, { ...base, telemetry: false }));
  try {
    await streaming(gw);
  } finally {
    await gw.stop();
  }
  mkdirSync(RESULTS, { recursive: true });
  const { markdown, svg } = renderReport(rows, {
    seconds: SECONDS,
    pool: POOL,
    date: new Date().toISOString(),
    note: process.env.BENCH_NOTE,
  });
  writeFileSync(join(RESULTS, 'latest.md'), markdown);
  writeFileSync(join(RESULTS, 'latency.svg'), svg);
  console.log(`\nwrote ${join(RESULTS, 'latest.md')} and latency.svg`);
}

let finished = false;
process.on('beforeExit', () => {
  if (!finished) {
    console.error('benchmark stalled: a call never completed');
    process.exitCode = 1;
  }
});
main().then(
  () => {
    finished = true;
  },
  (err: unknown) => {
    finished = true;
    console.error(err);
    process.exitCode = 1;
  },
);
