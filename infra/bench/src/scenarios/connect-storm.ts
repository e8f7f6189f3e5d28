import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../load.js';
import { cpuBetween, snapshotCpu, type WatchedProcess } from '../stats.js';
import type { BenchUserRef, Target, TargetSocket } from '../target.js';

export interface ConnectStormOptions {
  /** Cumulative connection counts at which memory is measured, e.g. [1000, 5000]. */
  levels: number[];
  /** Members per group: every storm user joins one group room (plus its own user room). @default 50 */
  groupSize?: number;
  /** Handshakes in flight. @default 100 */
  concurrency?: number;
  /** Wait after a level for the nodes' memory to settle. @default 2000 */
  settleMs?: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface StormLevel {
  connections: number;
  /** Handshakes of this batch (auth, presence, room joins, `session` received) per second. */
  connectsPerSec: number;
  /** Node CPU per handshake in this batch, µs (sum over nodes). */
  nodeMicrosPerConnect: number;
  /** Sum of the nodes' VmRSS, KiB. */
  rssKiB: number;
  /** (rss − rss before any client) / connections. */
  kibPerConnection: number;
}

export interface ConnectStormResult {
  scenario: 'connect-storm';
  target: Target['name'];
  baselineRssKiB: number;
  levels: StormLevel[];
  /** All handshakes / their total time. */
  connectsPerSec: number;
}

/** VmRSS of a process in KiB from /proc/<pid>/status; 0 once it is gone. */
export async function readRssKiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const sumRss = async (processes: readonly WatchedProcess[]): Promise<number> =>
  (await Promise.all(processes.map((p) => readRssKiB(p.pid)))).reduce((a, b) => a + b, 0);

/**
 * Scenario 3: connection storm and memory per idle connection. Users (in groups spread over the
 * nodes) connect as fast as `concurrency` handshakes in flight allow; after each level the
 * sockets stay idle and the nodes' RSS is compared with the RSS before the first client.
 */
export async function runConnectStorm(
  target: Target,
  options: ConnectStormOptions,
): Promise<ConnectStormResult> {
  const { log } = options;
  const groupSize = options.groupSize ?? 50;
  const total = Math.max(...options.levels);
  const groups = Math.ceil(total / groupSize);
  const prepared = await target.prepare({
    users: total,
    nodeOf: (i) => i,
    directs: [],
    groups: Array.from({ length: groups }, (_, g) =>
      Array.from(
        { length: Math.min(groupSize, total - g * groupSize) },
        (_, m) => g * groupSize + m,
      ),
    ),
  });
  log(`${target.name}/connect-storm: ${total} users in ${groups} groups prepared`);
  const nodeProcs = target.nodeProcesses();
  await sleep(options.settleMs ?? 2000);
  const baselineRssKiB = await sumRss(nodeProcs);
  const sockets: TargetSocket[] = [];
  const levels: StormLevel[] = [];
  let done = 0;
  let totalMs = 0;
  try {
    for (const level of [...options.levels].sort((a, b) => a - b)) {
      if (options.signal?.aborted) break;
      const batch: BenchUserRef[] = prepared.users.slice(done, level);
      const cpuStart = await snapshotCpu(nodeProcs);
      const t = performance.now();
      await mapLimit(batch, options.concurrency ?? 100, async (user) => {
        sockets.push(await target.connect(user));
      });
      const ms = performance.now() - t;
      const cpu = cpuBetween(cpuStart, await snapshotCpu(nodeProcs));
      const nodeMicros = [...cpu.values()].reduce((a, c) => a + c.cpuMicros, 0);
      totalMs += ms;
      done = level;
      await sleep(options.settleMs ?? 2000);
      const rssKiB = await sumRss(nodeProcs);
      const result: StormLevel = {
        connections: level,
        connectsPerSec: batch.length / (ms / 1000),
        nodeMicrosPerConnect: batch.length > 0 ? nodeMicros / batch.length : Number.NaN,
        rssKiB,
        kibPerConnection: (rssKiB - baselineRssKiB) / level,
      };
      levels.push(result);
      log(
        `  ${level} connections: ${result.connectsPerSec.toFixed(0)} connects/s, ${result.kibPerConnection.toFixed(1)} KiB/connection, ` +
          `${result.nodeMicrosPerConnect.toFixed(0)} µs node CPU/connect`,
      );
    }
  } finally {
    for (const socket of sockets) socket.close();
  }
  return {
    scenario: 'connect-storm',
    target: target.name,
    baselineRssKiB,
    levels,
    connectsPerSec: done / (totalMs / 1000),
  };
}
