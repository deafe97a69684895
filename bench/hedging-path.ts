/**
 * The session path's CPU per read with hedging off and on, in-process over fake backends (no
 * network, no gRPC): what the hedge race itself adds to a read that is not hedged (its timer,
 * signal, sink wrapper and latency sample). Alternating rounds, medians. A benchmark that
 * prints: `node dist/bench/hedging-path.js` after `make build`.
 *
 * Environment: BENCH_READS per round (default 20000), BENCH_ROUNDS (10).
 */
import { CallAbort } from '../src/abort-signal.js';
import { HedgePolicy } from '../src/routing/hedge-policy.js';
import { FULL_ACCESS } from '../src/session/access.js';
import type { QueryCommand } from '../src/session/commands.js';
import { runQuery } from '../src/session/single-statement.js';
import { rowsResult } from '../test/unit/session/helpers/fake-backend.js';
import { fakeCluster } from '../test/unit/session/helpers/fake-cluster.js';
import { RecordingSink } from '../test/unit/session/helpers/fake-row-batch.js';
import { newRunner } from '../test/unit/session/helpers/setup.js';

const READS = Number(process.env.BENCH_READS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const SQL = 'SELECT a FROM t WHERE id = ?';

function reader(hedging: boolean): (n: number) => Promise<void> {
  const policy = hedging
    ? new HedgePolicy({ enabled: true, budgetPercent: 5, minDelayMs: 20, maxDelayMs: 500 })
    : undefined;
  const c = fakeCluster({ replicas: 0, hedging: policy });
  c.primary.on(SQL, rowsResult(['a'], [[1]]));
  const runner = newRunner();
  const cmd: QueryCommand = {
    cluster: '',
    sql: SQL,
    params: [{ int64_value: '1' } as never],
    maxRowsPerBatch: 0,
    readPreference: 'PRIMARY',
    maxStalenessMs: 0,
    consistencyToken: '',
  };
  return async (n) => {
    for (let i = 0; i < n; i++) {
      await runQuery(
        c.registry,
        runner,
        cmd,
        { ctx: { signal: new CallAbort() }, access: FULL_ACCESS },
        new RecordingSink(),
      );
      // The fakes record every call: keep them from growing.
      c.primary.runs.length = 0;
      c.primary.leases.length = 0;
    }
  };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const modes = { off: reader(false), on: reader(true) };
  await modes.off(READS);
  await modes.on(READS);
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const c0 = process.cpuUsage();
      await modes[mode](READS);
      const c = process.cpuUsage(c0);
      cpu[mode].push((c.user + c.system) / READS);
    }
  }
  const off = median(cpu.off);
  const on = median(cpu.on);
  console.log(
    `session path CPU per read: hedging off ${off.toFixed(2)} us, on ${on.toFixed(2)} us (+${(on - off).toFixed(2)} us)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
