import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import {
  clockTicksPerSecond,
  cpuBetween,
  parseProcStatBusyTicks,
  parseProcStatTicks,
  percentile,
  snapshotCpu,
  summarize,
} from './stats.js';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns a value that really occurred, never an interpolation', () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 99.9)).toBe(100);
  });

  it('maps p0 to the minimum and p100 to the maximum', () => {
    expect(percentile([3, 5, 9], 0)).toBe(3);
    expect(percentile([3, 5, 9], 100)).toBe(9);
  });

  it('handles a single sample and the empty array', () => {
    expect(percentile([42], 99.9)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('rejects percentiles outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });

  it('p99.9 of 10 000 samples is the 9 990th value', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    expect(percentile(values, 99.9)).toBe(9989);
  });
});

describe('summarize', () => {
  it('sorts numerically (not as strings) before ranking', () => {
    const s = summarize([100, 9, 20, 3, 1000]);
    expect(s.count).toBe(5);
    expect(s.p50).toBe(20);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(226.4);
  });

  it('one slow outlier in 1 000 shows in p99.9 but not in p99', () => {
    const values = [...Array.from({ length: 999 }, () => 5), 500];
    const s = summarize(values);
    expect(s.p99).toBe(5);
    expect(s.p999).toBe(5);
    expect(s.max).toBe(500);
    const two = summarize([...Array.from({ length: 998 }, () => 5), 500, 500]);
    expect(two.p999).toBe(500);
  });

  it('reports NaN for no samples', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(s.p99).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('parseProcStatTicks', () => {
  it('adds utime and stime, counting fields after the last parenthesis', () => {
    // A command name with spaces and ')' must not shift the fields.
    const stat =
      '1234 (node a) b) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 11 0 100 1000000 5000 0 0';
    expect(parseProcStatTicks(stat)).toBe(325);
  });

  it('throws on a malformed line', () => {
    expect(() => parseProcStatTicks('garbage')).toThrow();
  });
});

describe('cpuBetween', () => {
  it('turns CPU deltas into % of one core over the wall time', () => {
    const before = {
      atMs: 0,
      micros: new Map<string, number | undefined>([
        ['a', 1_000_000],
        ['gone', 5],
      ]),
    };
    const after = {
      atMs: 2000,
      micros: new Map<string, number | undefined>([
        ['a', 2_000_000],
        ['gone', undefined],
      ]),
    };
    const usage = cpuBetween(before, after);
    expect(usage.get('a')).toEqual({ cpuMicros: 1_000_000, percentOfCore: 50 });
    expect(usage.has('gone')).toBe(false);
  });
});

describe('machine CPU outside the watched processes', () => {
  it('counts user, nice, system, irq and softirq; not idle, iowait or steal', () => {
    const stat = 'cpu  100 3 50 9000 7 2 5 400 0 0\ncpu0 50 1 25 4500 3 1 2 200 0 0\n';
    expect(parseProcStatBusyTicks(stat)).toBe(100 + 3 + 50 + 2 + 5);
    expect(() => parseProcStatBusyTicks('intr 1 2 3\n')).toThrow();
  });

  it('reports what the machine spent beyond the watched processes as `other`', async () => {
    const machineMicros = async () =>
      (parseProcStatBusyTicks(await readFile('/proc/stat', 'utf8')) * 1e6) / clockTicksPerSecond();
    // This test's own process is watched: its busy loop is `me`, the rest of the machine `other`.
    // The machine is read outside and inside the snapshots' interval, so the snapshots' total
    // must lie between the two readings whatever else the (possibly loaded) machine runs.
    const me = [{ name: 'me', pid: process.pid }];
    const outerBefore = await machineMicros();
    const before = await snapshotCpu(me);
    const innerBefore = await machineMicros();
    const cpuStart = process.cpuUsage();
    const spent = () => {
      const { user, system } = process.cpuUsage(cpuStart);
      return user + system;
    };
    while (spent() < 200_000) Math.sqrt(Math.random());
    const innerAfter = await machineMicros();
    const after = await snapshotCpu(me);
    const outerAfter = await machineMicros();
    const usage = cpuBetween(before, after);
    const mine = usage.get('me')?.cpuMicros ?? 0;
    const other = usage.get('other')?.cpuMicros;
    expect(mine).toBeGreaterThan(150_000);
    expect(other).toBeDefined();
    const tick = 1e6 / clockTicksPerSecond();
    const total = mine + (other ?? 0);
    expect(total).toBeLessThanOrEqual(outerAfter - outerBefore + 6 * tick);
    expect(total).toBeGreaterThanOrEqual(innerAfter - innerBefore - 6 * tick);
  });
});
