import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest value such that at least
 * `p` % of the samples are ≤ it. No interpolation, so every reported number is a latency
 * that really happened. NaN for an empty array.
 */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (p < 0 || p > 100 || Number.isNaN(p))
    throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return Number.NaN;
  // The epsilon keeps float noise (99.9 / 100 * 10_000 = 9990.000000000002) from skipping a rank.
  const rank = Math.max(1, Math.ceil((p / 100) * n - 1e-9));
  return sortedAscending[Math.min(rank, n) - 1] ?? Number.NaN;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const asArray = Array.from(sorted);
  let sum = 0;
  for (const v of asArray) sum += v;
  const n = asArray.length;
  return {
    count: n,
    mean: n === 0 ? Number.NaN : sum / n,
    p50: percentile(asArray, 50),
    p95: percentile(asArray, 95),
    p99: percentile(asArray, 99),
    p999: percentile(asArray, 99.9),
    max: n === 0 ? Number.NaN : (asArray[n - 1] ?? Number.NaN),
  };
}

/**
 * utime + stime (fields 14 and 15, in clock ticks) from the text of /proc/<pid>/stat.
 * The command name (field 2) may contain spaces and parentheses, so fields are counted
 * from the LAST ')'.
 */
export function parseProcStatTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc stat line');
  const rest = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field k is rest[k - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('malformed /proc stat line');
  return utime + stime;
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (USER_HZ); 100 on every mainstream Linux build. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (µs, user + system, all threads) a process has used so far; undefined once it is gone. */
export async function readProcessCpuMicros(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return (parseProcStatTicks(stat) * 1_000_000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

export interface WatchedProcess {
  name: string;
  pid: number;
}

export interface CpuSnapshot {
  atMs: number;
  micros: Map<string, number | undefined>;
}

/**
 * Busy CPU of the whole machine, all cores, from the first line of /proc/stat: user, nice,
 * system, irq and softirq (idle, iowait and steal are not this machine's work).
 */
export function parseProcStatBusyTicks(procStat: string): number {
  const line = procStat.slice(0, procStat.indexOf('\n'));
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 8) throw new Error('malformed /proc/stat');
  const [user, nice, system, , , irq, softirq] = fields.slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
}

async function readMachineBusyMicros(): Promise<number | undefined> {
  try {
    const ticks = parseProcStatBusyTicks(await readFile('/proc/stat', 'utf8'));
    return (ticks * 1_000_000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** The pseudo-process for CPU the machine spent outside the watched processes. */
export const OTHER_CPU = 'other';

/**
 * Every watched process's CPU, plus `other`: the machine's busy CPU minus theirs. A step with
 * a large `other` shared the machine with something else (another job, a test run), so its
 * throughput and latency say less about the cluster than its CPU per message does.
 */
export async function snapshotCpu(processes: readonly WatchedProcess[]): Promise<CpuSnapshot> {
  const [machine, ...values] = await Promise.all([
    readMachineBusyMicros(),
    ...processes.map((p) => readProcessCpuMicros(p.pid)),
  ]);
  const micros = new Map<string, number | undefined>();
  processes.forEach((p, i) => micros.set(p.name, values[i]));
  if (machine !== undefined && values.every((v) => v !== undefined)) {
    micros.set(
      OTHER_CPU,
      values.reduce<number>((rest, v) => rest - (v ?? 0), machine),
    );
  }
  return { atMs: performance.now(), micros };
}

export interface CpuUsage {
  /** CPU time used between the snapshots, µs. */
  cpuMicros: number;
  /** Share of one core over the wall time between the snapshots, %. */
  percentOfCore: number;
}

/** Per-process CPU between two snapshots; a process missing in either is left out. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, CpuUsage> {
  const wallMicros = (after.atMs - before.atMs) * 1000;
  const result = new Map<string, CpuUsage>();
  for (const [name, end] of after.micros) {
    const start = before.micros.get(name);
    if (start === undefined || end === undefined) continue;
    const cpuMicros = Math.max(0, end - start);
    result.set(name, {
      cpuMicros,
      percentOfCore: wallMicros > 0 ? (cpuMicros / wallMicros) * 100 : 0,
    });
  }
  return result;
}
