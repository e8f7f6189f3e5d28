import { setTimeout as sleep } from 'node:timers/promises';
import { runOpenLoop } from './load.js';
import { cpuBetween, snapshotCpu, summarize, type WatchedProcess } from './stats.js';
import { diffCounts, total, type CommandCounts } from './command-counts.js';
import type { TargetSocket } from './target.js';
import {
  DEFAULT_LIMITS,
  type ProcessCpu,
  type StepCommands,
  type StepLimits,
  type StepResult,
} from './step-result.js';

export type { StepResult } from './step-result.js';

/** A message's sender for each index k of a step; every message has the same number of recipients. */
export interface TrafficPlan {
  senderOf(k: number): { socket: TargetSocket; roomId: string };
  recipientsPerMessage: number;
}

interface StepTracker {
  sent: number;
  delivered: number;
  acked: number;
  ackErrors: Record<string, number>;
  latencies: number[];
  ackLatencies: number[];
}

const TEXT_BYTES = 100;
const MARKER = /^bench (\d+):(\d+):(\d+\.\d{3}) /;

/** ~100 bytes of text; the step, sequence and due time travel inside it (one clock: this process). */
export function messageText(step: number, seq: number, dueAtMs: number): string {
  return `bench ${step}:${seq}:${dueAtMs.toFixed(3)} `.padEnd(
    TEXT_BYTES,
    'lorem ipsum dolor sit amet ',
  );
}

/**
 * Drives open-loop message steps over a set of connected sockets. Every socket's incoming
 * messages are matched to their step by the marker in the text; a sender's own copy (ours
 * echoes to the sender's sockets) does not count.
 */
export class TrafficDriver {
  private readonly trackers = new Map<number, StepTracker>();
  private inWindow = 0;
  private nextStep = 1;
  /** Sends whose ack has not come back yet (acking targets), across steps. */
  private unacked = 0;
  private lastArrivalAt = 0;
  /** CPU µs per second each process uses with the sockets connected and no traffic. */
  private idleMicrosPerSec = new Map<string, number>();
  private idleRedisSentPerSec = 0;
  unparsed = 0;

  constructor(
    private readonly processes: () => WatchedProcess[],
    private readonly commandCounts: () => Promise<CommandCounts>,
    private readonly limits: StepLimits = DEFAULT_LIMITS,
  ) {}

  listen(socket: TargetSocket, userId: string): void {
    socket.onMessage(({ senderId, text }) => {
      if (senderId === userId) return;
      const now = performance.now();
      this.lastArrivalAt = now;
      const match = MARKER.exec(text);
      const tracker = match ? this.trackers.get(Number(match[1])) : undefined;
      if (!match || !tracker) {
        this.unparsed += 1;
        return;
      }
      tracker.delivered += 1;
      tracker.latencies.push(now - Number(match[3]));
      this.inWindow += 1;
    });
  }

  /**
   * Waits until the cluster has worked off what earlier steps left behind (every ack back and
   * no delivery for `quietMs`), so a failed step's backlog does not land in the next step.
   * Returns false when it did not settle within `maxMs`.
   */
  async settle(
    acks: boolean,
    quietMs = 500,
    maxMs = 30_000,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const deadline = performance.now() + maxMs;
    while (performance.now() < deadline && !signal?.aborted) {
      const now = performance.now();
      if ((!acks || this.unacked <= 0) && now - this.lastArrivalAt >= quietMs) return true;
      await sleep(50);
    }
    return false;
  }

  /** Measures every process's CPU with no traffic, the base the marginal costs subtract. */
  async measureIdle(seconds: number, signal?: AbortSignal): Promise<Map<string, number>> {
    const processes = this.processes();
    const countsBefore = await this.commandCounts();
    const before = await snapshotCpu(processes);
    await sleep(seconds * 1000, undefined, signal ? { signal } : {}).catch(() => undefined);
    const after = await snapshotCpu(processes);
    const countsAfter = await this.commandCounts();
    const wallSeconds = (after.atMs - before.atMs) / 1000;
    this.idleRedisSentPerSec =
      ((countsAfter.redisSent ?? 0) - (countsBefore.redisSent ?? 0)) / wallSeconds;
    this.idleMicrosPerSec = new Map(
      [...cpuBetween(before, after)].map(([name, usage]) => [name, usage.cpuMicros / wallSeconds]),
    );
    return this.idleMicrosPerSec;
  }

  async step(
    plan: TrafficPlan,
    rate: number,
    seconds: number,
    drainMs: number,
    signal?: AbortSignal,
  ): Promise<StepResult> {
    const index = this.nextStep++;
    const tracker: StepTracker = {
      sent: 0,
      delivered: 0,
      acked: 0,
      ackErrors: {},
      latencies: [],
      ackLatencies: [],
    };
    this.trackers.set(index, tracker);
    const processes = this.processes();
    const fanout = plan.recipientsPerMessage;
    const countsStart = await this.commandCounts();
    const cpuStart = await snapshotCpu(processes);
    this.inWindow = 0;
    let ackedInWindow = 0;
    let windowOpen = true;
    const loop = await runOpenLoop({
      ratePerSec: rate,
      durationMs: seconds * 1000,
      ...(signal ? { signal } : {}),
      // More than 3 s of deliveries outstanding: past saturation, waiting adds nothing.
      shouldStop: () => tracker.sent * fanout - tracker.delivered > rate * fanout * 3,
      fire: (dueAt, seq) => {
        const { socket, roomId } = plan.senderOf(seq);
        tracker.sent += 1;
        this.unacked += 1;
        socket.send(roomId, `s${index}-${seq}`, messageText(index, seq, dueAt), (ok, code) => {
          this.unacked -= 1;
          if (ok) {
            tracker.acked += 1;
            tracker.ackLatencies.push(performance.now() - dueAt);
            if (windowOpen) ackedInWindow += 1;
          } else {
            const key = code ?? 'UNKNOWN';
            tracker.ackErrors[key] = (tracker.ackErrors[key] ?? 0) + 1;
          }
        });
      },
    });
    windowOpen = false;
    const windowDelivered = this.inWindow;
    const cpuWindowEnd = await snapshotCpu(processes);
    const errorCount = (): number => Object.values(tracker.ackErrors).reduce((a, b) => a + b, 0);
    const drainDeadline = performance.now() + drainMs;
    while (performance.now() < drainDeadline && !signal?.aborted) {
      const expected = (tracker.sent - errorCount()) * fanout;
      if (tracker.delivered >= expected) break;
      await sleep(10);
    }
    const cpuDrainEnd = await snapshotCpu(processes);
    const countsEnd = await this.commandCounts();
    this.trackers.delete(index);

    const windowSeconds = loop.elapsedMs / 1000;
    const windowCpu = cpuBetween(cpuStart, cpuWindowEnd);
    const totalCpu = cpuBetween(cpuStart, cpuDrainEnd);
    const cpu: Record<string, ProcessCpu> = {};
    const totalSeconds = (cpuDrainEnd.atMs - cpuStart.atMs) / 1000;
    for (const [name, usage] of windowCpu) {
      const total = totalCpu.get(name)?.cpuMicros ?? usage.cpuMicros;
      const marginal = Math.max(0, total - (this.idleMicrosPerSec.get(name) ?? 0) * totalSeconds);
      cpu[name] = {
        percentOfCore: usage.percentOfCore,
        microsPerMessage: tracker.sent > 0 ? total / tracker.sent : Number.NaN,
        microsPerDelivery: tracker.delivered > 0 ? total / tracker.delivered : Number.NaN,
        marginalMicrosPerMessage: tracker.sent > 0 ? marginal / tracker.sent : Number.NaN,
        marginalMicrosPerDelivery:
          tracker.delivered > 0 ? marginal / tracker.delivered : Number.NaN,
      };
    }
    const perMessage = (n: number): number => (tracker.sent > 0 ? n / tracker.sent : Number.NaN);
    const mongo = diffCounts(countsStart.mongo, countsEnd.mongo);
    const redis = diffCounts(countsStart.redis, countsEnd.redis);
    const commands: StepCommands = {
      mongoPerMessage: perMessage(total(mongo)),
      redisPerMessage: perMessage(total(redis)),
      ...(countsStart.redisSent !== undefined && countsEnd.redisSent !== undefined
        ? {
            redisSentPerMessage: perMessage(countsEnd.redisSent - countsStart.redisSent),
            redisSentMarginalPerMessage: perMessage(
              Math.max(
                0,
                countsEnd.redisSent -
                  countsStart.redisSent -
                  this.idleRedisSentPerSec * totalSeconds,
              ),
            ),
          }
        : {}),
      mongo,
      redis,
    };
    const expected = tracker.sent * fanout;
    const latency = summarize(tracker.latencies);
    const deliveredRatio = expected > 0 ? tracker.delivered / expected : 0;
    const sentPerSec = tracker.sent / windowSeconds;
    const failReasons: string[] = [];
    if (signal?.aborted) failReasons.push('aborted (signal or time budget)');
    else if (loop.stoppedEarly) failReasons.push('stopped early: backlog over 3 s of deliveries');
    if (!(latency.p99 <= this.limits.p99Ms))
      failReasons.push(`p99 ${latency.p99.toFixed(1)} ms > ${this.limits.p99Ms} ms`);
    if (deliveredRatio < this.limits.minDeliveredRatio) {
      failReasons.push(
        `delivered ${(deliveredRatio * 100).toFixed(2)} % < ${this.limits.minDeliveredRatio * 100} %`,
      );
    }
    if (sentPerSec < rate * this.limits.minSentRatio) {
      failReasons.push(
        `sent ${sentPerSec.toFixed(0)}/s < ${this.limits.minSentRatio * 100} % of offered`,
      );
    }
    return {
      rate,
      windowSeconds,
      sent: tracker.sent,
      sentPerSec,
      expected,
      delivered: tracker.delivered,
      deliveredPerSec: windowDelivered / windowSeconds,
      deliveredRatio,
      acked: tracker.acked,
      ackedPerSec: ackedInWindow / windowSeconds,
      ackErrors: tracker.ackErrors,
      latency,
      ackLatency: summarize(tracker.ackLatencies),
      generatorMaxLagMs: loop.maxLagMs,
      cpu,
      commands,
      passed: failReasons.length === 0,
      failReasons,
    };
  }
}
