import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageEvent } from '@chat/protocol';
import type { BenchCluster } from '../cluster.js';
import { connectSocket, mapLimit, openDirect, registerUser, runOpenLoop, type BenchSocket, type BenchUser } from '../load.js';
import { cpuBetween, snapshotCpu, summarize, type LatencySummary } from '../stats.js';

export interface OneToOneOptions {
  /** Users (= sockets); an even number, half of them partners of the other half. */
  clients: number;
  /** Offered rates in msgs/s, one step each, tried in order. */
  rates: number[];
  stepSeconds: number;
  /** How long after a step's last send late deliveries and acks still count. @default 3000 */
  drainMs?: number;
  /** A step fails above this delivery p99. @default 100 */
  p99LimitMs?: number;
  /** A step fails below this delivered share. @default 0.99 */
  minDeliveredRatio?: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface ProcessCpu {
  /** Share of one core during the send window, %. */
  percentOfCore: number;
  /** CPU time from the window's start to the end of the drain, per delivered message, µs. */
  microsPerDelivered: number;
}

export interface StepResult {
  offeredRate: number;
  windowSeconds: number;
  sent: number;
  sentPerSec: number;
  delivered: number;
  /** message:new events that arrived during the send window, per second. */
  deliveredPerSec: number;
  deliveredRatio: number;
  acked: number;
  ackedPerSec: number;
  ackErrors: Record<string, number>;
  /** Due time → partner's message:new, ms. */
  latency: LatencySummary;
  /** Due time → successful ack, ms. */
  ackLatency: LatencySummary;
  generatorMaxLagMs: number;
  cpu: Record<string, ProcessCpu>;
  passed: boolean;
  failReasons: string[];
}

export interface OneToOneResult {
  scenario: 'one-to-one';
  setup: { users: number; pairs: number; nodes: number; registerMs: number; conversationsMs: number; connectMs: number };
  steps: StepResult[];
}

interface Client {
  user: BenchUser;
  socket: BenchSocket;
  conversationId: string;
}

interface StepTracker {
  index: number;
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
function messageText(step: number, seq: number, dueAtMs: number): string {
  const head = `bench ${step}:${seq}:${dueAtMs.toFixed(3)} `;
  return head.padEnd(TEXT_BYTES, 'lorem ipsum dolor sit amet ');
}

async function setUp(cluster: BenchCluster, count: number, log: (line: string) => void) {
  const nodes = cluster.gateways;
  const tag = Date.now().toString(36).slice(-6);
  // Pair p is (2p, 2p+1); its two users live on neighbouring nodes, so with ≥ 2 nodes
  // every message crosses the Redis adapter.
  const nodeOf = (i: number): string => {
    const pair = Math.floor(i / 2);
    return nodes[(pair + (i % 2)) % nodes.length]?.url ?? '';
  };
  let t = performance.now();
  // scrypt makes registration CPU-bound; a few in flight keep both nodes busy without timeouts.
  const users = await mapLimit(Array.from({ length: count }, (_, i) => i), 8, (i) => registerUser(nodeOf(i), `b${tag}_${i}`));
  const registerMs = performance.now() - t;
  log(`registered ${users.length} users in ${(registerMs / 1000).toFixed(1)} s`);

  t = performance.now();
  const pairs = Array.from({ length: count / 2 }, (_, p) => p);
  const conversationIds = await mapLimit(pairs, 16, (p) => openDirect(users[2 * p] as BenchUser, users[2 * p + 1] as BenchUser));
  const conversationsMs = performance.now() - t;
  log(`opened ${conversationIds.length} direct conversations in ${(conversationsMs / 1000).toFixed(1)} s`);

  t = performance.now();
  const sockets = await mapLimit(users, 20, (user) => connectSocket(user));
  const connectMs = performance.now() - t;
  log(`connected ${sockets.length} websocket clients in ${(connectMs / 1000).toFixed(1)} s`);

  const clients: Client[] = users.map((user, i) => ({
    user,
    socket: sockets[i] as BenchSocket,
    conversationId: conversationIds[Math.floor(i / 2)] ?? '',
  }));
  return { clients, registerMs, conversationsMs, connectMs };
}

/** Warm-up, then rate steps until one fails; every socket is closed at the end. */
export async function runOneToOne(cluster: BenchCluster, options: OneToOneOptions): Promise<OneToOneResult> {
  const { log } = options;
  if (options.clients < 2 || options.clients % 2 !== 0) throw new Error('--clients must be an even number ≥ 2');
  const drainMs = options.drainMs ?? 3000;
  const p99LimitMs = options.p99LimitMs ?? 100;
  const minDeliveredRatio = options.minDeliveredRatio ?? 0.99;
  const { clients, registerMs, conversationsMs, connectMs } = await setUp(cluster, options.clients, log);

  const trackers = new Map<number, StepTracker>();
  let deliveriesInWindow = 0;
  let unparsed = 0;
  for (const client of clients) {
    client.socket.on('message:new', ({ message }: MessageEvent) => {
      // The sender's own sockets may get the event too; only the partner's copy counts.
      if (message.senderId === client.user.userId) return;
      const now = performance.now();
      const match = MARKER.exec(message.text ?? '');
      const tracker = match ? trackers.get(Number(match[1])) : undefined;
      if (!match || !tracker) {
        unparsed += 1;
        return;
      }
      tracker.delivered += 1;
      tracker.latencies.push(now - Number(match[3]));
      deliveriesInWindow += 1;
    });
  }

  const runStep = async (index: number, rate: number, seconds: number): Promise<StepResult> => {
    const tracker: StepTracker = { index, sent: 0, delivered: 0, acked: 0, ackErrors: {}, latencies: [], ackLatencies: [] };
    trackers.set(index, tracker);
    const processes = cluster.processes();
    const cpuStart = await snapshotCpu(processes);
    deliveriesInWindow = 0;
    let ackedInWindow = 0;
    let inWindow = true;
    const loop = await runOpenLoop({
      ratePerSec: rate,
      durationMs: seconds * 1000,
      signal: options.signal,
      // More than 3 s of backlog: the cluster is past saturation, waiting adds nothing.
      shouldStop: () => tracker.sent - tracker.delivered > rate * 3,
      fire: (dueAt, seq) => {
        const client = clients[seq % clients.length] as Client;
        tracker.sent += 1;
        client.socket.emit(
          'message:send',
          { conversationId: client.conversationId, clientMsgId: `s${index}-${seq}`, text: messageText(index, seq, dueAt) },
          (response) => {
            if (response.ok) {
              tracker.acked += 1;
              tracker.ackLatencies.push(performance.now() - dueAt);
              if (inWindow) ackedInWindow += 1;
            } else {
              const code = response.error.code;
              tracker.ackErrors[code] = (tracker.ackErrors[code] ?? 0) + 1;
            }
          },
        );
      },
    });
    inWindow = false;
    const windowDelivered = deliveriesInWindow;
    const cpuWindowEnd = await snapshotCpu(processes);
    const drainDeadline = performance.now() + drainMs;
    const errorCount = (): number => Object.values(tracker.ackErrors).reduce((a, b) => a + b, 0);
    while (performance.now() < drainDeadline && !options.signal?.aborted) {
      if (tracker.delivered + errorCount() >= tracker.sent && tracker.acked + errorCount() >= tracker.sent) break;
      await sleep(10);
    }
    const cpuDrainEnd = await snapshotCpu(processes);

    const windowSeconds = loop.elapsedMs / 1000;
    const windowCpu = cpuBetween(cpuStart, cpuWindowEnd);
    const totalCpu = cpuBetween(cpuStart, cpuDrainEnd);
    const cpu: Record<string, ProcessCpu> = {};
    for (const [name, usage] of windowCpu) {
      const total = totalCpu.get(name)?.cpuMicros ?? usage.cpuMicros;
      cpu[name] = {
        percentOfCore: usage.percentOfCore,
        microsPerDelivered: tracker.delivered > 0 ? total / tracker.delivered : Number.NaN,
      };
    }
    const latency = summarize(tracker.latencies);
    const deliveredRatio = tracker.sent > 0 ? tracker.delivered / tracker.sent : 0;
    const failReasons: string[] = [];
    if (options.signal?.aborted) failReasons.push('aborted (signal or time budget)');
    else if (loop.stoppedEarly) failReasons.push('stopped early: backlog over 3 s of sends');
    if (!(latency.p99 <= p99LimitMs)) failReasons.push(`p99 ${latency.p99.toFixed(1)} ms > ${p99LimitMs} ms`);
    if (deliveredRatio < minDeliveredRatio) failReasons.push(`delivered ${(deliveredRatio * 100).toFixed(2)} % < ${minDeliveredRatio * 100} %`);
    trackers.delete(index);
    return {
      offeredRate: rate,
      windowSeconds,
      sent: tracker.sent,
      sentPerSec: tracker.sent / windowSeconds,
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
      passed: failReasons.length === 0,
      failReasons,
    };
  };

  const steps: StepResult[] = [];
  try {
    // JIT, connection pools and Mongo's first index pages warm up here, not in step 1.
    const warmRate = Math.max(20, Math.floor((options.rates[0] ?? 100) / 2));
    const warm = await runStep(0, warmRate, 2);
    log(`warm-up: ${warm.delivered}/${warm.sent} delivered at ${warmRate} msgs/s, p99 ${warm.latency.p99.toFixed(1)} ms`);
    for (const [i, rate] of options.rates.entries()) {
      if (options.signal?.aborted) break;
      log(`step ${i + 1}/${options.rates.length}: ${rate} msgs/s for ${options.stepSeconds} s`);
      const step = await runStep(i + 1, rate, options.stepSeconds);
      steps.push(step);
      log(
        `  sent ${step.sent}, delivered ${step.delivered} (${(step.deliveredRatio * 100).toFixed(2)} %), p99 ${step.latency.p99.toFixed(1)} ms` +
          (step.passed ? '' : ` → FAILED: ${step.failReasons.join('; ')}`),
      );
      if (!step.passed) break;
    }
  } finally {
    for (const client of clients) client.socket.close();
  }
  if (unparsed > 0) log(`note: ${unparsed} message:new events could not be matched to a step`);
  return {
    scenario: 'one-to-one',
    setup: { users: clients.length, pairs: clients.length / 2, nodes: cluster.gateways.length, registerMs, conversationsMs, connectMs },
    steps,
  };
}
