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
  /** The plain Socket.IO relay: stores nothing, acks nothing. */
  reference: TargetResults;
  /** The seed-style persisted server: insertOne + updateOne per message, then emit and ack. */
  persisted: TargetResults;
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

const NODES = ['gateway-', 'ref-', 'persisted-'];

interface Row {
  metric: string;
  ours: number;
  persisted: number;
  relay: number;
  digits: number;
  /** Ratios ours/persisted and ours/relay shown when both exist. */
  ratio: boolean;
  target?: string;
  /** Undefined when there is no target for this row. */
  pass?: boolean;
}

type Measure = (t: TargetResults) => number;

/** Steps at the same offered rate, whatever they passed (`--fixed-rates`). */
const atRate =
  (rate: number) =>
  (t: TargetResults): StepResult | undefined =>
    rate === t.oneToOne?.light?.rate
      ? t.oneToOne.light
      : t.oneToOne?.fixed.find((step) => step.rate === rate);

/** The headline numbers with ratios to both references and the send-path targets. */
export function summaryRows(report: BenchReport, light = 100): Row[] {
  const rows: Row[] = [];
  const row = (
    metric: string,
    of: Measure,
    digits: number,
    more: Partial<Pick<Row, 'ratio' | 'target'>> & {
      met?: (ours: number, persisted: number, relay: number) => boolean;
    } = {},
  ): void => {
    const [ours, persisted, relay] = [of(report.ours), of(report.persisted), of(report.reference)];
    rows.push({
      metric,
      ours,
      persisted,
      relay,
      digits,
      ratio: more.ratio ?? true,
      ...(more.target ? { target: more.target } : {}),
      ...(more.met ? { pass: more.met(ours, persisted, relay) } : {}),
    });
  };
  const oneRate: Measure = (t) => t.oneToOne?.best?.deliveredPerSec ?? Number.NaN;
  row('1:1 sustained msgs/s (p99 ≤ 100 ms)', oneRate, 0, {
    target: '≥ 1.0× pers, ≥ 0.5× relay',
    met: (o, p, r) => o >= p && o >= 0.5 * r,
  });
  for (const [rate, limit] of [
    [500, 2],
    [2000, 1.5],
  ] as const) {
    row(
      `1:1 node CPU µs/msg @${rate}/s (marginal, all nodes)`,
      (t) => cpuOf(atRate(rate)(t), NODES, 'marginalMicrosPerMessage'),
      0,
      { target: `≤ ${limit}× relay`, met: (o, _p, r) => o <= limit * r },
    );
  }
  for (const [rate, limit] of [
    [light, 1.0],
    [2000, 0.2],
  ] as const) {
    row(
      `1:1 Mongo cmds/msg @${rate}/s`,
      (t) => atRate(rate)(t)?.commands.mongoPerMessage ?? Number.NaN,
      2,
      { ratio: false, target: `≤ ${limit}`, met: (o) => o <= limit },
    );
  }
  row(
    `1:1 Redis cmds sent per msg by the nodes @${light}/s (marginal)`,
    (t) => atRate(light)(t)?.commands.redisSentMarginalPerMessage ?? Number.NaN,
    2,
    { ratio: false, target: '≤ 2', met: (o) => o <= 2 },
  );
  row(
    `1:1 Redis calls/msg @${light}/s (server count, incl. inside scripts)`,
    (t) => atRate(light)(t)?.commands.redisPerMessage ?? Number.NaN,
    2,
    { ratio: false },
  );
  row(
    '1:1 Mongo CPU µs/msg @500/s (marginal)',
    (t) => cpuOf(atRate(500)(t), ['mongo'], 'marginalMicrosPerMessage'),
    0,
  );
  row(
    '1:1 Redis CPU µs/msg @500/s (marginal)',
    (t) => cpuOf(atRate(500)(t), ['redis'], 'marginalMicrosPerMessage'),
    0,
  );
  row(
    '1:1 worker CPU µs/msg @500/s (marginal)',
    (t) => cpuOf(atRate(500)(t), ['worker'], 'marginalMicrosPerMessage'),
    0,
    { ratio: false },
  );
  row('fan-out deliveries/s', (t) => t.fanOut?.best?.deliveredPerSec ?? Number.NaN, 0, {
    target: '≥ 1.0× pers, ≥ 0.8× relay',
    met: (o, p, r) => o >= p && o >= 0.8 * r,
  });
  row('fan-out msgs/s', (t) => t.fanOut?.best?.sentPerSec ?? Number.NaN, 0);
  row(
    'fan-out node CPU µs/delivery (marginal)',
    (t) => cpuOf(t.fanOut?.best, NODES, 'marginalMicrosPerDelivery'),
    1,
  );
  row(`light 1:1 p50 ms (${light}/s)`, (t) => t.oneToOne?.light?.latency.p50 ?? Number.NaN, 2, {
    target: '≤ 1.5× relay',
    met: (o, _p, r) => o <= 1.5 * r,
  });
  row('light 1:1 p99 ms', (t) => t.oneToOne?.light?.latency.p99 ?? Number.NaN, 2, {
    target: '≤ 3× relay',
    met: (o, _p, r) => o <= 3 * r,
  });
  row('connects/s', (t) => t.storm?.connectsPerSec ?? Number.NaN, 0, {
    target: '≥ 1000',
    met: (o) => o >= 1000,
  });
  for (const level of report.ours.storm?.levels ?? []) {
    const kib = (t: TargetResults) =>
      t.storm?.levels.find((l) => l.connections === level.connections)?.kibPerConnection ??
      Number.NaN;
    row(`KiB per idle connection @${level.connections}`, kib, 1, {
      target: '≤ 40',
      met: (o) => o <= 40,
    });
  }
  const sync = report.ours.sync;
  if (sync) {
    row(
      `sync of ${sync.missed} missed, ms`,
      (t) => (t.sync?.complete ? t.sync.totalMs : Number.NaN),
      0,
      { ratio: false, target: '< 1000', met: (o) => o < 1000 },
    );
  }
  return rows;
}

export function renderSummary(report: BenchReport, light?: number): string {
  const rows = summaryRows(report, light);
  return formatTable(
    ['metric', 'ours', 'persisted', 'relay', 'ours/pers', 'ours/relay', 'target', 'met'],
    rows.map((row) => [
      row.metric,
      num(row.ours, row.digits),
      num(row.persisted, row.digits),
      num(row.relay, row.digits),
      row.ratio ? num(row.ours / row.persisted, 2) : '-',
      row.ratio ? num(row.ours / row.relay, 2) : '-',
      row.target ?? '',
      row.pass === undefined ? '' : row.pass ? 'yes' : 'NO',
    ]),
  );
}

/** Every step of a message scenario: throughput, latency, and CPU per process. */
export function renderSteps(result: MessagingResult): string {
  const steps = [...(result.light ? [result.light] : []), ...result.fixed, ...result.steps];
  const names = [...new Set(steps.flatMap((s) => Object.keys(s.cpu)))];
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
      'mongo/msg',
      'redis/msg',
      'sent/msg',
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
      num(s.commands.mongoPerMessage, 2),
      num(s.commands.redisPerMessage, 2),
      num(s.commands.redisSentPerMessage, 2),
      s === result.light ? 'light' : result.fixed.includes(s) ? 'fixed' : s.passed ? 'ok' : 'FAIL',
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
