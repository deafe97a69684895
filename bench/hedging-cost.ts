/**
 * What hedged reads cost a read that is not hedged: two gateway commands side by side, hedging
 * off and on (budget 5%, the defaults' delays), serve the same point-select Queries on the
 * primary in turns (the hedge path is entered, its timer armed and cleared at the first answer;
 * no hedge is ever sent: there is no other backend). Prints throughput and gateway CPU per query,
 * medians over the rounds. A benchmark that prints, not a timed test:
 * `node dist/bench/hedging-cost.js` after `make build` and `make sandbox`.
 *
 * Environment: BENCH_QUERIES per measurement (default 5000), BENCH_CONCURRENCY (16),
 * BENCH_ROUNDS (8), SANDBOX_* as for the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

type Mode = 'off' | 'on';
const MODES: readonly Mode[] = ['off', 'on'];

function writeConfig(mode: Mode): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-hedge-')), 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      profile: 'production',
      server: { host: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
      admin: { port: -1 },
      log: { level: 'info' },
      telemetry: { enabled: false },
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
          hedging: { enabled: mode === 'on' },
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
  )) as unknown as { n: number }[];
  if (Number(n) !== ROWS) {
    await rootQuery(sandbox.primaryPort, `TRUNCATE gwtest.${TABLE}`);
    await rootQuery(
      sandbox.primaryPort,
      `INSERT INTO gwtest.${TABLE} SELECT seq, REPEAT(CHAR(97 + seq % 26), 120) FROM gwtest.seq_1_to_${ROWS}`,
    );
  }
  console.log(
    `hedging cost: ${QUERIES} point selects per measurement, concurrency ${CONCURRENCY}, ${ROUNDS} rounds`,
  );
  const targets: { mode: Mode; child: ChildProcess; client: GatewayStub }[] = [];
  const results: { mode: Mode; qps: number; cpu: number }[] = [];
  try {
    for (const mode of MODES) {
      const { child, port } = await startGateway(writeConfig(mode));
      const client = connectClient(port, { token: BENCH_TOKEN });
      await run(client, 2000);
      targets.push({ mode, child, client });
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of round % 2 === 1 ? targets : [...targets].reverse()) {
        const cpu0 = cpuMicros(t.child.pid as number);
        const { seconds } = await run(t.client, QUERIES);
        const cpu = (cpuMicros(t.child.pid as number) - cpu0) / QUERIES;
        results.push({ mode: t.mode, qps: QUERIES / seconds, cpu });
        console.log(
          `round ${round} hedging ${t.mode.padEnd(3)} ${(QUERIES / seconds).toFixed(0).padStart(7)} queries/s  ${cpu.toFixed(1).padStart(6)} us cpu/query`,
        );
      }
    }
  } finally {
    for (const t of targets) {
      t.client.close();
      const exited = new Promise((resolve) => t.child.on('exit', resolve));
      t.child.kill('SIGTERM');
      await exited;
    }
  }
  const of = (mode: Mode, k: 'qps' | 'cpu') =>
    median(results.filter((r) => r.mode === mode).map((r) => r[k]));
  for (const mode of MODES)
    console.log(
      `median hedging ${mode.padEnd(3)} ${of(mode, 'qps').toFixed(0).padStart(7)} queries/s  ${of(mode, 'cpu').toFixed(1).padStart(6)} us cpu/query`,
    );
  const cpu = of('on', 'cpu') / of('off', 'cpu');
  const qps = of('on', 'qps') / of('off', 'qps');
  console.log(
    `ratio on/off: throughput ${qps.toFixed(3)}, gateway CPU per query ${cpu.toFixed(3)} (+${((cpu - 1) * 100).toFixed(1)}%)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
