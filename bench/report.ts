/** Renders benchmark rows as markdown (figures, ratios against direct, targets) and an SVG plot. */

/** Statements per batch in scenario (e), bench/batch.ts. */
export const BATCH_SIZE = 100;
/** Batch calls (gateway) or connections (direct) in flight. */
export const BATCH_CONCURRENCY = 4;
/** Scenario (e)'s names, as the targets below find them. */
export const BATCH_SELECT_SCENARIO = `(e) batch ${BATCH_SIZE} point selects c=${BATCH_CONCURRENCY}`;
export const BATCH_INSERT_SCENARIO = `(e) batch ${BATCH_SIZE} inserts in a tx c=${BATCH_CONCURRENCY}`;

/** One measurement. */
export interface Row {
  scenario: string;
  /**
   * `floor`: bench/bare-server.ts, grpc-js + proto-loader + mysql2 with none of the gateway's work;
   * `echo`: grpc-js alone answering one pre-encoded message; `echo3`: the same with a point
   * select's three messages (metadata, row, stats).
   */
  side: 'direct' | 'gateway' | 'floor' | 'echo' | 'echo3';
  concurrency: number;
  throughput: number;
  p50Us?: number;
  p99Us?: number;
  cpuUsPerOp?: number;
  rssMb?: number;
  note?: string;
}

const f = (v: number | undefined, d = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));

/** Scenario (b)'s twin: each statement sets accept_single_message. */
export const PIPELINED_SINGLE_SCENARIO = '(b1) pipelined tx depth=16, accept_single_message';

/** Scenario (a)'s twin: the same Query with `accept_single_message`, the answer one message. */
export function singleMessageScenario(conc: number): string {
  return `(a1) point select c=${conc}, accept_single_message`;
}

/** Scenario (g)'s name for a profile: point selects at c=16 on that profile's own pool defaults. */
export function profileScenario(profile: 'production' | 'development'): string {
  return `(g) point select c=16, ${profile} profile defaults`;
}

/** The scenario's direct row and its first gateway row. */
function pair(
  rows: readonly Row[],
  scenario: string,
): { direct?: Row; gateway?: Row; echo?: Row; floor?: Row } {
  return {
    direct: rows.find((r) => r.scenario === scenario && r.side === 'direct'),
    gateway: rows.find((r) => r.scenario === scenario && r.side === 'gateway'),
    echo: rows.find((r) => r.scenario === scenario && r.side === 'echo'),
    floor: rows.find((r) => r.scenario === scenario && r.side === 'floor'),
  };
}

/** The pipelined Transaction scenario (b); (b1) is PIPELINED_SINGLE_SCENARIO, against the same direct. */
const PIPELINED_SCENARIO = '(b) pipelined tx depth=16';

/** `side`'s throughput in `scenario` against direct's in `directScenario` (the same unless given). */
function throughputAgainstDirect(
  rows: readonly Row[],
  scenario: string,
  side: 'gateway' | 'floor',
  directScenario: string = scenario,
): number | undefined {
  const measured = pair(rows, scenario)[side];
  const direct = pair(rows, directScenario).direct;
  return measured && direct ? measured.throughput / direct.throughput : undefined;
}

/** `side`'s CPU per call against the stack limit (the echo's plus direct's) in `scenario`. */
function cpuAgainstLimit(rows: readonly Row[], scenario: string, side: Row | undefined): number | undefined {
  const p = pair(rows, scenario);
  const limit = (p.echo?.cpuUsPerOp ?? Number.NaN) + (p.direct?.cpuUsPerOp ?? Number.NaN);
  return side?.cpuUsPerOp && limit > 0 ? side.cpuUsPerOp / limit : undefined;
}

/** The p50 `side` adds over direct in `scenario`, against the echo's own p50. */
function latencyAgainstEcho(
  rows: readonly Row[],
  scenario: string,
  side: Row | undefined,
): number | undefined {
  const p = pair(rows, scenario);
  return side?.p50Us !== undefined && p.direct?.p50Us !== undefined && p.echo?.p50Us
    ? (side.p50Us - p.direct.p50Us) / p.echo.p50Us
    : undefined;
}

/**
 * Issue 13's stack-limit targets for one unary scenario: the gateway's CPU per call at c=16
 * against a bare grpc-js echo's plus direct mysql2's, and the latency it adds over direct at c=1
 * against the echo's own (p50s, all measured in the same run).
 */
function stackLimitTargets(
  scenario: (conc: number) => string,
  what: string,
  gatewayScenario: (conc: number) => string = scenario,
): Target[] {
  return [
    {
      what: `${what}: CPU per call at c=16, gateway / (grpc-js echo + direct)`,
      goal: '<= 1.25',
      measured: (rows) => cpuAgainstLimit(rows, scenario(16), pair(rows, gatewayScenario(16)).gateway),
      floor: (rows) => cpuAgainstLimit(rows, scenario(16), pair(rows, scenario(16)).floor),
      met: (v) => v <= 1.25,
      fmt: (v) => v.toFixed(2),
    },
    {
      what: `${what}: p50 added over direct at c=1 / the echo's own p50`,
      goal: '<= 1.2',
      measured: (rows) => latencyAgainstEcho(rows, scenario(1), pair(rows, gatewayScenario(1)).gateway),
      floor: (rows) => latencyAgainstEcho(rows, scenario(1), pair(rows, scenario(1)).floor),
      met: (v) => v <= 1.2,
      fmt: (v) => v.toFixed(2),
    },
  ];
}

interface Target {
  what: string;
  goal: string;
  measured: (rows: readonly Row[]) => number | undefined;
  met: (v: number) => boolean;
  fmt: (v: number) => string;
  /**
   * The same figure for the floor (bench/bare-server.ts: grpc-js, proto-loader and a mysql2 pool,
   * no gateway), where the run measured one: what the stack scores before any gateway work.
   */
  floor?: (rows: readonly Row[]) => number | undefined;
  /** A target an issue replaced, kept in a table of its own with the reason. */
  superseded?: string;
}

/** Why the direct-mysql2 targets of the first speed issue are superseded. */
const DIRECT_YARDSTICK =
  "issue 13: a bare grpc-js server costs more per call than mysql2 spends on a whole point select, so direct mysql2 alone is not a gateway's yardstick; the stack-limit targets replace these";

const TARGETS: Target[] = [
  {
    what: 'gateway CPU per point query / direct CPU per query (c=16)',
    goal: '<= 1.3',
    superseded: DIRECT_YARDSTICK,
    measured: (rows) => {
      const p = pair(rows, '(a) unary point select c=16');
      return p.gateway?.cpuUsPerOp && p.direct?.cpuUsPerOp
        ? p.gateway.cpuUsPerOp / p.direct.cpuUsPerOp
        : undefined;
    },
    met: (v) => v <= 1.3,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: 'unary throughput at c=64, gateway / direct',
    goal: '>= 0.75',
    superseded: DIRECT_YARDSTICK,
    measured: (rows) => {
      const p = pair(rows, '(a) unary point select c=64');
      return p.gateway && p.direct ? p.gateway.throughput / p.direct.throughput : undefined;
    },
    met: (v) => v >= 0.75,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: 'added p50 latency at c=1 (us)',
    goal: '<= 150',
    superseded: DIRECT_YARDSTICK,
    measured: (rows) => {
      const p = pair(rows, '(a) unary point select c=1');
      return p.gateway?.p50Us !== undefined && p.direct?.p50Us !== undefined
        ? p.gateway.p50Us - p.direct.p50Us
        : undefined;
    },
    met: (v) => v <= 150,
    fmt: (v) => v.toFixed(0),
  },
  {
    what: 'pipelined transaction stream, gateway / direct',
    goal: '>= 0.9',
    measured: (rows) => throughputAgainstDirect(rows, PIPELINED_SCENARIO, 'gateway'),
    floor: (rows) => throughputAgainstDirect(rows, PIPELINED_SCENARIO, 'floor'),
    met: (v) => v >= 0.9,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: 'pipelined transaction stream, one-message answers (as the TS client asks), gateway / direct',
    goal: '>= 0.9',
    measured: (rows) =>
      throughputAgainstDirect(rows, PIPELINED_SINGLE_SCENARIO, 'gateway', PIPELINED_SCENARIO),
    floor: (rows) => throughputAgainstDirect(rows, PIPELINED_SINGLE_SCENARIO, 'floor', PIPELINED_SCENARIO),
    met: (v) => v >= 0.9,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: 'streaming rows/s read by the TS client, gateway / direct',
    goal: '>= 0.5',
    measured: (rows) => {
      const p = pair(rows, '(c) stream 1,000,000 rows');
      return p.gateway && p.direct ? p.gateway.throughput / p.direct.throughput : undefined;
    },
    met: (v) => v >= 0.5,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: "streaming: gateway CPU per row / direct's client CPU per row",
    goal: '<= 1.5',
    measured: (rows) => {
      const p = pair(rows, '(c) stream 1,000,000 rows');
      return p.gateway?.cpuUsPerOp && p.direct?.cpuUsPerOp
        ? p.gateway.cpuUsPerOp / p.direct.cpuUsPerOp
        : undefined;
    },
    met: (v) => v <= 1.5,
    fmt: (v) => v.toFixed(2),
  },
  {
    what: 'gateway peak RSS while streaming (MB)',
    goal: '< 200',
    measured: (rows) => pair(rows, '(c) stream 1,000,000 rows').gateway?.rssMb,
    met: (v) => v < 200,
    fmt: (v) => v.toFixed(0),
  },
  {
    what: 'fan-in 2,000 transactions: gateway errors',
    goal: '0 (p99 bounded by the acquire timeout, 5 s)',
    measured: (rows) => {
      const note = pair(rows, '(d) fan-in 2,000 tx, pool 64').gateway?.note ?? '';
      const m = note.match(/^(\d+) errors/);
      return m ? Number(m[1]) : undefined;
    },
    met: (v) => v === 0,
    fmt: (v) => String(v),
  },
  ...stackLimitTargets((c) => `(a) unary point select c=${c}`, 'Query point select'),
  ...stackLimitTargets(
    (c) => `(a) unary point select c=${c}`,
    'Query point select, one-message answer (accept_single_message, as the TS client asks)',
    singleMessageScenario,
  ),
  ...stackLimitTargets((c) => `(f) unary no-op update c=${c}`, 'Execute no-op update'),
  {
    what: "point select CPU per call at c=16 on the profiles' own pools, development (max 5) / production (max 20)",
    goal: '<= 1.25',
    measured: (rows) => {
      const dev = pair(rows, profileScenario('development')).gateway?.cpuUsPerOp;
      const prod = pair(rows, profileScenario('production')).gateway?.cpuUsPerOp;
      return dev && prod ? dev / prod : undefined;
    },
    met: (v) => v <= 1.25,
    fmt: (v) => v.toFixed(2),
  },
  ...batchTargets(BATCH_SELECT_SCENARIO, 'batch of 100 point selects'),
  ...batchTargets(BATCH_INSERT_SCENARIO, 'batch of 100 inserts in a transaction'),
];

/** Issue 12's targets for a Batch scenario: statements/s and CPU per statement against direct. */
function batchTargets(scenario: string, what: string): Target[] {
  return [
    {
      what: `${what}: statements/s, gateway / direct`,
      goal: '>= 0.9',
      measured: (rows) => {
        const p = pair(rows, scenario);
        return p.gateway?.throughput && p.direct?.throughput
          ? p.gateway.throughput / p.direct.throughput
          : undefined;
      },
      met: (v) => v >= 0.9,
      fmt: (v) => v.toFixed(2),
    },
    {
      what: `${what}: gateway CPU per statement / direct CPU per statement`,
      goal: '<= 1.5',
      measured: (rows) => {
        const p = pair(rows, scenario);
        return p.gateway?.cpuUsPerOp && p.direct?.cpuUsPerOp
          ? p.gateway.cpuUsPerOp / p.direct.cpuUsPerOp
          : undefined;
      },
      met: (v) => v <= 1.5,
      fmt: (v) => v.toFixed(2),
    },
  ];
}

function svgPlot(rows: readonly Row[]): string {
  const series = (side: 'direct' | 'gateway', key: 'p50Us' | 'p99Us') =>
    rows
      .filter((r) => r.scenario.startsWith('(a)') && r.side === side)
      .map((r) => [r.concurrency, r[key] ?? 0] as const)
      .sort((a, b) => a[0] - b[0]);
  const all = [series('direct', 'p99Us'), series('gateway', 'p99Us')].flat();
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const W = 640;
  const H = 360;
  const L = 60;
  const B = 40;
  const xs = [1, 16, 64];
  const x = (c: number) => L + ((W - L - 20) * xs.indexOf(c)) / (xs.length - 1);
  const y = (v: number) => H - B - ((H - B - 20) * v) / maxY;
  const line = (pts: readonly (readonly [number, number])[], color: string, dash: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${pts.map(([c, v]) => `${x(c)},${y(v)}`).join(' ')}"/>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const v = maxY * t;
    return `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${Math.round(v)}</text><line x1="${L}" x2="${W - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${ticks.join('\n')}
${xs.map((c) => `<text x="${x(c)}" y="${H - B + 18}" text-anchor="middle" font-size="12">${c}</text>`).join('\n')}
<text x="${(W + L) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">concurrency (unary point-select Query)</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">latency (us)</text>
${line(series('direct', 'p50Us'), '#1f77b4', '')}
${line(series('direct', 'p99Us'), '#1f77b4', '6 4')}
${line(series('gateway', 'p50Us'), '#d62728', '')}
${line(series('gateway', 'p99Us'), '#d62728', '6 4')}
<text x="${L + 10}" y="30" font-size="12" fill="#1f77b4">direct mysql2 (solid p50, dashed p99)</text>
<text x="${L + 10}" y="46" font-size="12" fill="#d62728">gateway via h2load (solid p50, dashed p99)</text>
</svg>
`;
}

/** The results file and the plot. */
export function renderReport(
  rows: readonly Row[],
  meta: { seconds: number; pool: number; date: string; note?: string | undefined },
): { markdown: string; svg: string } {
  const lines = [
    '# Benchmark results',
    '',
    `Run ${meta.date} on this project's machine kind (2 cores, MariaDB 10.11 sandbox on loopback), ${meta.seconds} s per`,
    `measurement, pool ${meta.pool}. Direct and gateway ran in the same invocation on the same data. Regenerate with \`make bench\`.`,
    ...(meta.note ? [`Conditions: ${meta.note}`] : []),
    '`floor` rows are bench/bare-server.ts: the Query RPC (and, for (b), a Transaction stream on one connection) on',
    'grpc-js and proto-loader over a mysql2 pool and nothing else, the least a gateway on this stack can cost; compare',
    "the gateway's figures with it as well as with direct's. Every server process serves one unmeasured c=16 run of",
    'each request it is measured on before (a) and (f); every closed-loop measurement (direct, pipelined) runs 1 s',
    'unmeasured first, as h2load does (`--warm-up-time=1`).',
    "In (c) the gateway's rows are read by the project's TS client (`mysql-grpc-gateway/client`), each decoded to JS",
    "values as direct's stream yields row objects; the second gateway row is a generic grpc-js + proto-loader client.",
    'Both sides stream 200,000 rows unmeasured first, then report the medians of three 1,000,000-row runs.',
    'In (e) throughput is statements/s and CPU is per statement (100 per call); p50/p99 are per call, and the note has',
    'the per-call figures. Direct pipelines the same 100 statements on one connection (Promise.all), BEGIN/COMMIT',
    'around the inserts; the gateway side is the TS client calling Batch.',
    '',
    '| scenario | side | throughput (/s) | p50 (us) | p99 (us) | CPU per op (us) | gateway / direct | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const other = rows.find((o) => o.scenario === r.scenario && o.side === 'direct');
    const ratio = r.side !== 'direct' && other ? (r.throughput / other.throughput).toFixed(2) : '';
    lines.push(
      `| ${r.scenario} | ${r.side} | ${f(r.throughput)} | ${f(r.p50Us)} | ${f(r.p99Us)} | ${f(r.cpuUsPerOp, r.cpuUsPerOp !== undefined && r.cpuUsPerOp < 10 ? 2 : 1)} | ${ratio} | ${r.note ?? ''} |`,
    );
  }
  lines.push(
    '',
    '## Targets',
    '',
    'The floor column is the same figure for bench/bare-server.ts (grpc-js, proto-loader and a mysql2 pool, no',
    'gateway), where the run measures one: what the stack itself scores before any gateway work.',
    '',
    '| target | goal | measured | met | floor |',
    '| --- | --- | ---: | --- | ---: |',
  );
  const verdict = (t: Target, v: number | undefined) =>
    v === undefined ? 'not measured' : t.met(v) ? 'yes' : '**not yet**';
  for (const t of TARGETS.filter((x) => x.superseded === undefined)) {
    const v = t.measured(rows);
    const floor = t.floor?.(rows);
    lines.push(
      `| ${t.what} | ${t.goal} | ${v === undefined ? '-' : t.fmt(v)} | ${verdict(t, v)} | ${floor === undefined ? '' : t.fmt(floor)} |`,
    );
  }
  const superseded = TARGETS.filter((x) => x.superseded !== undefined);
  if (superseded.length > 0) {
    lines.push(
      '',
      '### Superseded targets',
      '',
      '| target | goal | measured | met | why superseded |',
      '| --- | --- | ---: | --- | --- |',
    );
    for (const t of superseded) {
      const v = t.measured(rows);
      lines.push(
        `| ${t.what} | ${t.goal} | ${v === undefined ? '-' : t.fmt(v)} | ${verdict(t, v)} | ${t.superseded} |`,
      );
    }
  }
  const floorLines: string[] = [];
  for (const conc of [1, 16, 64]) {
    const scenario = `(a) unary point select c=${conc}`;
    const gateway = rows.find((r) => r.scenario === scenario && r.side === 'gateway')?.cpuUsPerOp;
    const floor = rows.find((r) => r.scenario === scenario && r.side === 'floor')?.cpuUsPerOp;
    if (gateway && floor) floorLines.push(`c=${conc}: ${(gateway / floor).toFixed(2)}`);
  }
  if (floorLines.length > 0) {
    lines.push(
      '',
      `Gateway CPU per point query against the floor's (its own work on top of grpc-js and mysql2): ${floorLines.join(', ')}.`,
    );
  }
  const shapeLines: string[] = [];
  for (const conc of [1, 16, 64]) {
    const scenario = `(a) unary point select c=${conc}`;
    const cpu = (side: Row['side']) =>
      rows.find((r) => r.scenario === scenario && r.side === side)?.cpuUsPerOp;
    const [gateway, echo, echo3, direct] = [cpu('gateway'), cpu('echo'), cpu('echo3'), cpu('direct')];
    if (gateway && echo && echo3 && direct) {
      shapeLines.push(
        `c=${conc}: echo3 / echo ${(echo3 / echo).toFixed(2)}, gateway / (echo3 + direct) ${(gateway / (echo3 + direct)).toFixed(2)}`,
      );
    }
  }
  if (shapeLines.length > 0) {
    lines.push(
      '',
      `What the contract's three-message answer (metadata, rows, stats) costs grpc-js alone, and the gateway against that limit: ${shapeLines.join('; ')}.`,
    );
  }
  const c1 = rows.filter((r) => r.scenario === '(a) unary point select c=1');
  const p50 = (side: Row['side']) => c1.find((r) => r.side === side)?.p50Us;
  const [direct, floor] = [p50('direct'), p50('floor')];
  if (direct !== undefined && floor !== undefined) {
    lines.push('', `The floor's own added p50 latency at c=1: ${(floor - direct).toFixed(0)} us.`);
  }
  lines.push('', '![latency against concurrency](latency.svg)', '');
  return { markdown: `${lines.join('\n')}\n`, svg: svgPlot(rows) };
}
