/**
 * (e) Batch: 100 point selects in one Batch call, and 100 single-row inserts in one transactional
 * Batch, against direct mysql2 running the same 100 statements pipelined on one connection
 * (Promise.all on that connection; BEGIN / COMMIT around the inserts), in the same run.
 *
 * Figures are per statement (statements/s, CPU per statement: the gateway process's for the
 * gateway, this process's for direct) with per-call figures in the note. Targets (report.ts):
 * statements/s >= 0.9 x direct's, gateway CPU per statement <= 1.5 x direct's.
 *
 * The gateway side is driven by the project's TS client (`client.batch`), `BATCH_CONCURRENCY`
 * calls in flight; direct runs as many connections, each with its own loop.
 */
import type mysql from 'mysql2/promise';
import { type BatchStep, GatewayClient } from '../src/client/index.js';
import { BENCH_TOKEN, type GatewayProcess, percentile } from './gateway-process.js';
import {
  BATCH_CONCURRENCY,
  BATCH_INSERT_SCENARIO,
  BATCH_SELECT_SCENARIO,
  BATCH_SIZE,
  type Row,
} from './report.js';

const INSERT_SQL = 'INSERT INTO bench_batch (k, c) VALUES (?, ?)';
const PAD = 'x'.repeat(120);

/** What the scenario needs from bench/run.ts. */
export interface BatchBenchContext {
  readonly seconds: number;
  readonly warmUpSeconds: number;
  readonly pointSql: string;
  readonly randomId: () => number;
  readonly connect: () => Promise<mysql.Connection>;
  readonly record: (row: Row) => void;
}

/** The table the insert scenario fills (emptied first). */
export async function prepareBatchTable(conn: mysql.Connection): Promise<void> {
  await conn.query(
    'CREATE TABLE IF NOT EXISTS bench_batch (id BIGINT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL)',
  );
  await conn.query('TRUNCATE TABLE bench_batch');
}

/** Runs (e) against `gw`; records a row per side and scenario. */
export async function batchScenarios(gw: GatewayProcess, ctx: BatchBenchContext): Promise<void> {
  const client = new GatewayClient(`127.0.0.1:${gw.port}`, { token: BENCH_TOKEN, defaultDeadlineMs: 30_000 });
  try {
    const selects = (): BatchStep[] =>
      Array.from({ length: BATCH_SIZE }, () => ({ sql: ctx.pointSql, params: [ctx.randomId()] }));
    const inserts = (): BatchStep[] =>
      Array.from({ length: BATCH_SIZE }, (_, i) => ({ sql: INSERT_SQL, params: [i, PAD] }));

    await measurePair(ctx, gw, BATCH_SELECT_SCENARIO, {
      direct: async (conn) => {
        await Promise.all(
          Array.from({ length: BATCH_SIZE }, () => conn.execute(ctx.pointSql, [ctx.randomId()])),
        );
      },
      gateway: async () => {
        (await client.batch(selects())).throwOnError();
      },
    });
    await measurePair(ctx, gw, BATCH_INSERT_SCENARIO, {
      direct: async (conn) => {
        await conn.query('BEGIN');
        try {
          await Promise.all(Array.from({ length: BATCH_SIZE }, (_, i) => conn.execute(INSERT_SQL, [i, PAD])));
          await conn.query('COMMIT');
        } catch (err) {
          await conn.query('ROLLBACK');
          throw err;
        }
      },
      gateway: async () => {
        const r = (await client.batch(inserts(), { transaction: true })).throwOnError();
        if (!r.committed) throw new Error('the batch did not commit');
      },
    });
  } finally {
    await client.close();
  }
}

interface Measured {
  calls: number;
  seconds: number;
  lat: number[];
  errors: number;
}

/** `op` from BATCH_CONCURRENCY loops: warm-up, then `onStart()` and the measured seconds. */
async function closedLoop(
  ctx: BatchBenchContext,
  op: (loop: number) => Promise<void>,
  onStart: () => void,
): Promise<Measured> {
  const run = async (seconds: number) => {
    const lat: number[] = [];
    let errors = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: BATCH_CONCURRENCY }, async (_, loop) => {
        while (Date.now() < end) {
          const s = process.hrtime.bigint();
          try {
            await op(loop);
          } catch {
            errors++;
          }
          lat.push(Number(process.hrtime.bigint() - s) / 1000);
        }
      }),
    );
    return { lat, errors };
  };
  await run(ctx.warmUpSeconds);
  onStart();
  const t0 = process.hrtime.bigint();
  const { lat, errors } = await run(ctx.seconds);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  return { calls: lat.length, seconds, lat, errors };
}

async function measurePair(
  ctx: BatchBenchContext,
  gw: GatewayProcess,
  scenario: string,
  ops: { direct: (conn: mysql.Connection) => Promise<void>; gateway: () => Promise<void> },
): Promise<void> {
  const conns = await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, () => ctx.connect()));
  let cpu0 = process.cpuUsage();
  const direct = await closedLoop(
    ctx,
    (loop) => ops.direct(conns[loop] as mysql.Connection),
    () => {
      cpu0 = process.cpuUsage();
    },
  );
  const directCpu = process.cpuUsage(cpu0);
  await Promise.all(conns.map((c) => c.end()));
  ctx.record(row(scenario, 'direct', direct, directCpu.user + directCpu.system, 'CPU: this process'));

  let gwCpu0 = 0;
  let clientCpu0 = process.cpuUsage();
  const gateway = await closedLoop(
    ctx,
    () => ops.gateway(),
    () => {
      gwCpu0 = gw.cpuMicros();
      clientCpu0 = process.cpuUsage();
    },
  );
  const gwCpu = gw.cpuMicros() - gwCpu0;
  const clientCpu = process.cpuUsage(clientCpu0);
  const clientPerStatement = (clientCpu.user + clientCpu.system) / Math.max(1, gateway.calls * BATCH_SIZE);
  ctx.record(
    row(
      scenario,
      'gateway',
      gateway,
      gwCpu,
      `CPU: the gateway process; TS client ${clientPerStatement.toFixed(1)} us/statement`,
    ),
  );
}

function row(scenario: string, side: 'direct' | 'gateway', m: Measured, cpuUs: number, what: string): Row {
  const ok = m.calls - m.errors;
  const statements = ok * BATCH_SIZE;
  return {
    scenario,
    side,
    concurrency: BATCH_CONCURRENCY,
    throughput: statements / m.seconds,
    // Latency of one call (one batch of BATCH_SIZE statements).
    p50Us: percentile(m.lat, 50),
    p99Us: percentile(m.lat, 99),
    cpuUsPerOp: cpuUs / Math.max(1, statements),
    note:
      `statements/s, CPU per statement; per call: ${(ok / m.seconds).toFixed(0)} calls/s, ` +
      `${(cpuUs / Math.max(1, ok)).toFixed(0)} us CPU, p50/p99 columns; ${what}` +
      (m.errors ? `; ${m.errors} failed calls` : ''),
  };
}
