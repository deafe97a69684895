/**
 * `make bench-telemetry`: what telemetry costs. The real gateway command runs as a child process
 * (so its CPU time can be read apart from the load generator's) in three modes:
 *   off      telemetry.enabled false
 *   on       100% sampling: a SERVER and a CLIENT span per call, built, attributed and ended but
 *            not exported (no span exporter configured); every metric recorded; the Prometheus
 *            reader on the admin port
 *   on+otlp  the same, plus OTLP/HTTP protobuf export (batched spans, metrics) to a sink in this
 *            process: what a production set-up with a collector pays
 * The three gateways run side by side and serve the same point-select Queries from the same
 * client in turns (BENCH_ROUNDS rounds of BENCH_QUERIES each, the order reversed every other
 * round); the figures are throughput and gateway CPU per query, and
 * the ratios to `off` (medians over the rounds). A benchmark that prints, not a timed test.
 *
 * Writes bench/results/telemetry.md (`make bench` runs it after the main suite).
 *
 * Environment: BENCH_QUERIES per measurement (default 5000), BENCH_CONCURRENCY (16),
 * BENCH_ROUNDS (8), BENCH_GATEWAY_NODE_ARGS (extra node flags for the gateway, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`), SANDBOX_* as for the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSandbox, rootQuery, sandbox } from '../test/helpers/sandbox.js';
import { connectClient, type GatewayStub, query, v } from '../test/integration/helpers/client.js';
import { BENCH_TOKEN, benchAuth } from './gateway-process.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROWS = 10_000;
const TABLE = 'bench_telemetry';
const SQL = `SELECT c FROM ${TABLE} WHERE id = ?`;
const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

type Mode = 'off' | 'on' | 'on+otlp';
const MODES: readonly Mode[] = ['off', 'on', 'on+otlp'];

interface Measurement {
  readonly mode: Mode;
  readonly qps: number;
  readonly cpuUsPerQuery: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/** An OTLP/HTTP sink that accepts and drops everything, counting bytes (the collector's stand-in). */
async function otlpSink(): Promise<{ server: Server; url: string; bytes: () => number }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bytes: () => bytes };
}

function writeConfig(mode: Mode, otlpEndpoint: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-tel-')), 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      profile: 'production',
      server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'info' },
      telemetry:
        mode === 'off'
          ? { enabled: false }
          : {
              enabled: true,
              samplingRatio: 1,
              otlpEndpoint: mode === 'on+otlp' ? otlpEndpoint : '',
              otlpProtocol: 'http/protobuf',
              metricsEnabled: true,
            },
      auth: benchAuth(),
      clusters: {
        default: {
          primary: {
            host: sandbox.host,
            port: sandbox.primaryPort,
            user: sandbox.gatewayUser,
            passwordFile: sandbox.passwordFile,
            database: 'gwtest',
          },
          pool: { min: CONCURRENCY, max: CONCURRENCY },
        },
      },
    }),
  );
  return file;
}

/** Starts the gateway command; resolves with its gRPC port once it logged that it serves. */
function startGateway(config: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // Only PATH from this environment: `make` exports GATEWAY_PORT, which would override the
    // config's port 0 and make the three gateways collide.
    const child = spawn(process.execPath, [...nodeArgs, MAIN, '--config', config], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += String(d);
      const m = out.match(/"address":"127\.0\.0\.1:(\d+)"/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr?.on('data', (d: Buffer) => (out += String(d)));
    child.on('exit', (code) => reject(new Error(`gateway exited (${code}) before serving:\n${out}`)));
  });
}

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

async function run(client: GatewayStub, n: number): Promise<{ seconds: number; lat: number[] }> {
  let next = 0;
  const lat: number[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        const id = 1 + Math.floor(Math.random() * ROWS);
        const s = process.hrtime.bigint();
        const out = await query(client, {
          sql: SQL,
          params: [v.i64(id)],
          read_preference: 'READ_PREFERENCE_PRIMARY',
        });
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
        if (out.rows.length !== 1) throw new Error(`id ${id}: ${out.rows.length} rows`);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, lat };
}

/** A running gateway of one mode, with its client. */
interface Target {
  readonly mode: Mode;
  readonly child: ChildProcess;
  readonly client: GatewayStub;
}

async function startTarget(mode: Mode, otlpEndpoint: string): Promise<Target> {
  const { child, port } = await startGateway(writeConfig(mode, otlpEndpoint));
  const client = connectClient(port, { token: BENCH_TOKEN });
  await run(client, 2000); // warm-up: JIT, pool, prepared statements
  return { mode, child, client };
}

async function stopTarget(t: Target): Promise<void> {
  t.client.close();
  const exited = new Promise((resolve) => t.child.on('exit', resolve));
  t.child.kill('SIGTERM');
  await exited;
}

async function measure(t: Target): Promise<Measurement> {
  const cpu0 = cpuMicros(t.child.pid as number);
  const { seconds, lat } = await run(t.client, QUERIES);
  const cpu = cpuMicros(t.child.pid as number) - cpu0;
  return {
    mode: t.mode,
    qps: QUERIES / seconds,
    cpuUsPerQuery: cpu / QUERIES,
    p50Us: lat[Math.floor(lat.length * 0.5)] ?? 0,
    p99Us: lat[Math.floor(lat.length * 0.99)] ?? 0,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  await ensureSandbox();
  await rootQuery(
    sandbox.primaryPort,
    `CREATE TABLE IF NOT EXISTS gwtest.${TABLE} (id INT PRIMARY KEY, c CHAR(120) NOT NULL)`,
  );
  const [{ n } = { n: 0 }] = (await rootQuery(
    sandbox.primaryPort,
    `SELECT COUNT(*) AS n FROM gwtest.${TABLE}`,
  )) as unknown as {
    n: number;
  }[];
  if (Number(n) !== ROWS) {
    await rootQuery(sandbox.primaryPort, `TRUNCATE gwtest.${TABLE}`);
    await rootQuery(
      sandbox.primaryPort,
      `INSERT INTO gwtest.${TABLE} SELECT seq, REPEAT(CHAR(97 + seq % 26), 120) FROM gwtest.seq_1_to_${ROWS}`,
    );
  }
  const sink = await otlpSink();
  console.log(
    `telemetry cost: ${QUERIES} point-select Queries per measurement, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (${MODES.join(', ')} alternating)`,
  );
  const results: Measurement[] = [];
  // All three gateways run side by side and take turns, so that background load drifting over
  // the run weighs on every mode alike.
  const targets: Target[] = [];
  try {
    for (const mode of MODES) targets.push(await startTarget(mode, sink.url));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of round % 2 === 1 ? targets : [...targets].reverse()) {
        const m = await measure(t);
        results.push(m);
        console.log(
          `round ${String(round).padStart(2)} telemetry ${m.mode.padEnd(7)} ${m.qps.toFixed(0).padStart(7)} queries/s  gateway cpu ${m.cpuUsPerQuery.toFixed(1).padStart(6)} us/query  p50 ${m.p50Us.toFixed(0).padStart(5)} us  p99 ${m.p99Us.toFixed(0).padStart(6)} us`,
        );
      }
    }
  } finally {
    await Promise.all(targets.map(stopTarget));
  }
  const of = (mode: Mode, k: 'qps' | 'cpuUsPerQuery') =>
    median(results.filter((r) => r.mode === mode).map((r) => r[k]));
  for (const mode of MODES) {
    console.log(
      `median ${mode.padEnd(7)} ${of(mode, 'qps').toFixed(0).padStart(7)} queries/s  ${of(mode, 'cpuUsPerQuery').toFixed(1).padStart(6)} us gateway cpu/query`,
    );
  }
  for (const mode of MODES.slice(1)) {
    const qps = of(mode, 'qps') / of('off', 'qps');
    const cpu = of(mode, 'cpuUsPerQuery') / of('off', 'cpuUsPerQuery');
    console.log(
      `ratio ${mode}/off: throughput ${qps.toFixed(3)} (cost ${((1 - qps) * 100).toFixed(1)}%), gateway CPU per query ${cpu.toFixed(3)} (+${((cpu - 1) * 100).toFixed(1)}%)`,
    );
  }
  console.log(`OTLP bytes received by the sink: ${sink.bytes()}`);
  await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  writeResults(
    MODES.map((mode) => ({ mode, qps: of(mode, 'qps'), cpu: of(mode, 'cpuUsPerQuery') })),
    sink.bytes(),
  );
}

/** bench/results/telemetry.md: medians per mode, ratios to `off`, and the target. */
function writeResults(medians: { mode: Mode; qps: number; cpu: number }[], otlpBytes: number): void {
  const off = medians.find((m) => m.mode === 'off');
  if (!off) return;
  const lines = [
    '# Telemetry cost',
    '',
    `Run ${new Date().toISOString()} by \`make bench\` (bench/telemetry-cost.ts): ${QUERIES} point-select Queries per`,
    `measurement at concurrency ${CONCURRENCY}, ${ROUNDS} rounds, the three gateways taking turns; medians over the rounds.`,
    ...(process.env.BENCH_NOTE ? [`Conditions: ${process.env.BENCH_NOTE}`] : []),
    '',
    '| telemetry | queries/s | gateway CPU per query (us) | throughput vs off | CPU vs off |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...medians.map(
      (m) =>
        `| ${m.mode} | ${m.qps.toFixed(0)} | ${m.cpu.toFixed(1)} | ${(m.qps / off.qps).toFixed(3)} | ${(m.cpu / off.cpu).toFixed(3)} |`,
    ),
    '',
    `OTLP bytes received by the sink: ${otlpBytes}.`,
    '',
    '## Target',
    '',
    ...targetTable(medians, off),
    '',
  ];
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'telemetry.md'), lines.join('\n'));
  console.log(`wrote ${join(dir, 'telemetry.md')}`);
  appendToLatest(join(dir, 'latest.md'), targetTable(medians, off));
}

/** Issue 13's telemetry target: at 100% sampling, <= 10% more CPU per call and <= 5% less throughput than off. */
function targetTable(
  medians: readonly { mode: Mode; qps: number; cpu: number }[],
  off: { qps: number; cpu: number },
): string[] {
  return [
    '| target | goal | throughput cost | CPU cost | met |',
    '| --- | --- | ---: | ---: | --- |',
    ...medians
      .filter((m) => m.mode !== 'off')
      .map((m) => {
        const qpsCost = (1 - m.qps / off.qps) * 100;
        const cpuCost = (m.cpu / off.cpu - 1) * 100;
        const met = [
          qpsCost <= 5 ? 'throughput yes' : 'throughput **not yet**',
          cpuCost <= 10 ? 'CPU yes' : 'CPU **not yet**',
        ];
        return `| telemetry ${m.mode} (100% sampling) against off | throughput <= 5% less, CPU <= 10% more | ${qpsCost.toFixed(1)}% | ${cpuCost.toFixed(1)}% | ${met.join(', ')} |`;
      }),
  ];
}

const LATEST_SECTION = '## Telemetry targets';

/**
 * Puts the telemetry targets into bench/results/latest.md too, so one file holds every figure
 * against its target (replacing the section an earlier run put there).
 */
function appendToLatest(file: string, table: string[]): void {
  let latest: string;
  try {
    latest = readFileSync(file, 'utf8');
  } catch {
    return; // `make bench-telemetry` alone, before any `make bench`
  }
  const at = latest.indexOf(`\n${LATEST_SECTION}\n`);
  const head = (at === -1 ? latest : latest.slice(0, at)).trimEnd();
  const section = [
    '',
    LATEST_SECTION,
    '',
    `From bench/telemetry-cost.ts in the same \`make bench\` (details in [telemetry.md](telemetry.md)); run ${new Date().toISOString()}.`,
    '',
    ...table,
    '',
  ];
  writeFileSync(file, `${head}\n${section.join('\n')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
