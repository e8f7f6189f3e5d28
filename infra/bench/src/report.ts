import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectStormResult } from './scenarios/connect-storm.js';
import type { MessagingResult } from './scenarios/messaging.js';
import type { SyncCatchupResult } from './scenarios/sync-catchup.js';
import type { StepResult } from './traffic.js';

/** Right-aligned columns under a header, separated by two spaces. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const num = (value: number | undefined, digits = 0): string =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '-';

export interface TargetResults {
  oneToOne?: MessagingResult;
  fanOut?: MessagingResult;
  storm?: ConnectStormResult;
  sync?: SyncCatchupResult;
}

export interface BenchReport {
  ours: TargetResults;
  reference: TargetResults;
}

/** Sum of a CPU measure over the processes whose name starts with one of the prefixes. */
export function cpuOf(
  step: StepResult | undefined,
  prefixes: readonly string[],
  field:
    | 'microsPerMessage'
    | 'microsPerDelivery'
    | 'marginalMicrosPerMessage'
    | 'marginalMicrosPerDelivery'
    | 'percentOfCore',
): number {
  if (!step) return Number.NaN;
  let sum = 0;
  let found = false;
  for (const [name, cpu] of Object.entries(step.cpu)) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    sum += cpu[field];
    found = true;
  }
  return found ? sum : Number.NaN;
}

const NODES = ['gateway-', 'ref-'];

interface Row {
  metric: string;
  ours: number;
  reference: number;
  digits: number;
  /** Ratio ours/reference shown when both exist. */
  ratio: boolean;
  target?: string;
  /** Undefined when there is no target for this row. */
  pass?: boolean;
}

/** The headline numbers, one row each, with ours/reference ratios and the targets. */
export function summaryRows(report: BenchReport): Row[] {
  const o = report.ours;
  const r = report.reference;
  const oneBest = o.oneToOne?.best;
  const refOneBest = r.oneToOne?.best;
  const fanBest = o.fanOut?.best;
  const refFanBest = r.fanOut?.best;
  const rows: Row[] = [];
  const ratio = (a: number, b: number): number => a / b;
  const oneRate = oneBest?.deliveredPerSec ?? Number.NaN;
  const refOneRate = refOneBest?.deliveredPerSec ?? Number.NaN;
  rows.push({
    metric: '1:1 sustained msgs/s',
    ours: oneRate,
    reference: refOneRate,
    digits: 0,
    ratio: true,
    target: '≥ 0.5×',
    pass: ratio(oneRate, refOneRate) >= 0.5,
  });
  const oneCpu = cpuOf(oneBest, NODES, 'marginalMicrosPerMessage');
  const refOneCpu = cpuOf(refOneBest, NODES, 'marginalMicrosPerMessage');
  rows.push({
    metric: '1:1 node CPU µs/msg (marginal)',
    ours: oneCpu,
    reference: refOneCpu,
    digits: 0,
    ratio: true,
    target: '≤ 1.5×',
    pass: ratio(oneCpu, refOneCpu) <= 1.5,
  });
  rows.push({
    metric: '1:1 Mongo CPU µs/msg (marginal)',
    ours: cpuOf(oneBest, ['mongo'], 'marginalMicrosPerMessage'),
    reference: Number.NaN,
    digits: 0,
    ratio: false,
  });
  rows.push({
    metric: '1:1 Redis CPU µs/msg (marginal)',
    ours: cpuOf(oneBest, ['redis'], 'marginalMicrosPerMessage'),
    reference: cpuOf(refOneBest, ['redis'], 'marginalMicrosPerMessage'),
    digits: 0,
    ratio: true,
  });
  rows.push({
    metric: '1:1 p99 at that rate, ms',
    ours: oneBest?.latency.p99 ?? Number.NaN,
    reference: refOneBest?.latency.p99 ?? Number.NaN,
    digits: 1,
    ratio: false,
  });
  const fanRate = fanBest?.deliveredPerSec ?? Number.NaN;
  const refFanRate = refFanBest?.deliveredPerSec ?? Number.NaN;
  rows.push({
    metric: 'fan-out deliveries/s',
    ours: fanRate,
    reference: refFanRate,
    digits: 0,
    ratio: true,
    target: '≥ 0.8×',
    pass: ratio(fanRate, refFanRate) >= 0.8,
  });
  rows.push({
    metric: 'fan-out msgs/s',
    ours: fanBest?.sentPerSec ?? Number.NaN,
    reference: refFanBest?.sentPerSec ?? Number.NaN,
    digits: 0,
    ratio: true,
  });
  rows.push({
    metric: 'fan-out node CPU µs/delivery (marginal)',
    ours: cpuOf(fanBest, NODES, 'marginalMicrosPerDelivery'),
    reference: cpuOf(refFanBest, NODES, 'marginalMicrosPerDelivery'),
    digits: 1,
    ratio: true,
  });
  rows.push({
    metric: 'fan-out Mongo CPU µs/msg (marginal)',
    ours: cpuOf(fanBest, ['mongo'], 'marginalMicrosPerMessage'),
    reference: Number.NaN,
    digits: 0,
    ratio: false,
  });
  const light = o.oneToOne?.light;
  const refLight = r.oneToOne?.light;
  const lp50 = light?.latency.p50 ?? Number.NaN;
  const lp99 = light?.latency.p99 ?? Number.NaN;
  rows.push({
    metric: `light 1:1 p50 ms (${num(light?.rate)}/s)`,
    ours: lp50,
    reference: refLight?.latency.p50 ?? Number.NaN,
    digits: 2,
    ratio: true,
    target: '≤ 2',
    pass: lp50 <= 2,
  });
  rows.push({
    metric: 'light 1:1 p99 ms',
    ours: lp99,
    reference: refLight?.latency.p99 ?? Number.NaN,
    digits: 2,
    ratio: true,
    target: '≤ 10',
    pass: lp99 <= 10,
  });
  const connects = o.storm?.connectsPerSec ?? Number.NaN;
  rows.push({
    metric: 'connects/s',
    ours: connects,
    reference: r.storm?.connectsPerSec ?? Number.NaN,
    digits: 0,
    ratio: true,
    target: '≥ 1000',
    pass: connects >= 1000,
  });
  for (const level of o.storm?.levels ?? []) {
    const ref = r.storm?.levels.find((l) => l.connections === level.connections);
    rows.push({
      metric: `KiB per idle connection @${level.connections}`,
      ours: level.kibPerConnection,
      reference: ref?.kibPerConnection ?? Number.NaN,
      digits: 1,
      ratio: true,
      target: '≤ 40',
      pass: level.kibPerConnection <= 40,
    });
  }
  if (o.sync) {
    rows.push({
      metric: `sync of ${o.sync.missed} missed, ms`,
      ours: o.sync.complete ? o.sync.totalMs : Number.NaN,
      reference: Number.NaN,
      digits: 0,
      ratio: false,
      target: '< 1000',
      pass: o.sync.complete && o.sync.totalMs < 1000,
    });
  }
  return rows;
}

export function renderSummary(report: BenchReport): string {
  const rows = summaryRows(report);
  return formatTable(
    ['metric', 'ours', 'reference', 'ours/ref', 'target', 'met'],
    rows.map((row) => [
      row.metric,
      num(row.ours, row.digits),
      num(row.reference, row.digits),
      row.ratio ? num(row.ours / row.reference, 2) : '-',
      row.target ?? '',
      row.pass === undefined ? '' : row.pass ? 'yes' : 'NO',
    ]),
  );
}

/** Every step of a message scenario: throughput, latency, and CPU per process. */
export function renderSteps(result: MessagingResult): string {
  const names = [...new Set(result.steps.flatMap((s) => Object.keys(s.cpu)))];
  const steps = [...(result.light ? [result.light] : []), ...result.steps];
  const table = formatTable(
    [
      'offered/s',
      'sent/s',
      'deliv/s',
      'deliv%',
      'errors',
      'p50ms',
      'p95ms',
      'p99ms',
      'p99.9ms',
      'lagms',
      ...names.map((n) => `${n} %`),
      ...names.map((n) => `${n} µs/msg`),
      'result',
    ],
    steps.map((s) => [
      num(s.rate),
      num(s.sentPerSec),
      num(s.deliveredPerSec),
      num(s.deliveredRatio * 100, 2),
      String(Object.values(s.ackErrors).reduce((a, b) => a + b, 0)),
      num(s.latency.p50, 1),
      num(s.latency.p95, 1),
      num(s.latency.p99, 1),
      num(s.latency.p999, 1),
      num(s.generatorMaxLagMs, 0),
      ...names.map((n) => num(s.cpu[n]?.percentOfCore)),
      ...names.map((n) => num(s.cpu[n]?.microsPerMessage)),
      s === result.light ? 'light' : s.passed ? 'ok' : 'FAIL',
    ]),
  );
  return [
    `${result.target} / ${result.scenario}: ${result.setup.users} users, ${result.setup.rooms} rooms, ${result.setup.recipientsPerMessage} recipient(s) per message, ${result.setup.nodes} node(s)`,
    table,
  ].join('\n');
}

/** JSON.stringify turns NaN into null, which is what a reader of the file should see. */
export async function writeResult(outDir: string, name: string, result: unknown): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(outDir, `${name}-${stamp}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(join(outDir, 'latest.json'), text);
  return file;
}
