import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OneToOneResult, StepResult } from './scenarios/one-to-one.js';

/** Right-aligned columns under a header, separated by two spaces. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const num = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function throughputRow(step: StepResult): string[] {
  const errors = Object.values(step.ackErrors).reduce((a, b) => a + b, 0);
  return [
    num(step.offeredRate),
    num(step.sentPerSec),
    num(step.deliveredPerSec),
    num(step.ackedPerSec),
    num(step.deliveredRatio * 100, 2),
    String(errors),
    num(step.latency.p50, 1),
    num(step.latency.p95, 1),
    num(step.latency.p99, 1),
    num(step.latency.p999, 1),
    num(step.ackLatency.p99, 1),
    num(step.generatorMaxLagMs, 1),
    step.passed ? 'ok' : 'FAIL',
  ];
}

export function renderOneToOne(result: OneToOneResult): string {
  const latencyTable = formatTable(
    ['offered/s', 'sent/s', 'deliv/s', 'acked/s', 'deliv%', 'errors', 'p50ms', 'p95ms', 'p99ms', 'p99.9ms', 'ack99ms', 'lagms', 'result'],
    result.steps.map(throughputRow),
  );
  const names = [...new Set(result.steps.flatMap((s) => Object.keys(s.cpu)))];
  const cpuTable = formatTable(
    ['offered/s', ...names.map((n) => `${n} %`), ...names.map((n) => `${n} µs/msg`)],
    result.steps.map((s) => [
      num(s.offeredRate),
      ...names.map((n) => num(s.cpu[n]?.percentOfCore ?? Number.NaN)),
      ...names.map((n) => num(s.cpu[n]?.microsPerDelivered ?? Number.NaN)),
    ]),
  );
  const failed = result.steps.filter((s) => !s.passed);
  const passed = result.steps.filter((s) => s.passed);
  const best = passed.at(-1);
  const summary = best
    ? `highest passing step: ${best.offeredRate} msgs/s (p99 ${num(best.latency.p99, 1)} ms, ${num(best.deliveredRatio * 100, 2)} % delivered)`
    : 'no step passed';
  return [
    `one-to-one: ${result.setup.pairs} pairs (${result.setup.users} users) across ${result.setup.nodes} gateway node(s), websocket`,
    '',
    latencyTable,
    '',
    'CPU (% of one core during the send window; µs of CPU per delivered message, window + drain)',
    cpuTable,
    '',
    summary,
    ...failed.map((s) => `step ${s.offeredRate} msgs/s failed: ${s.failReasons.join('; ')}`),
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
