import { mapLimit } from '../load.js';
import { bestPassing, nextRate } from '../search.js';
import type { Target, TargetSocket } from '../target.js';
import { TrafficDriver, type StepResult, type TrafficPlan } from '../traffic.js';

export interface SearchSettings {
  startRate: number;
  maxRate: number;
  bisectSteps: number;
  stepSeconds: number;
  drainMs: number;
  /** A failing step is tried once more before it counts as failed. @default true */
  confirmFailures?: boolean;
}

export interface MessagingOptions {
  clients: number;
  search: SearchSettings;
  /** A fixed low-rate step before the search (scenario 5, light load); 0 skips it. */
  lightRate?: number;
  lightSeconds?: number;
  /**
   * Steps at these offered rates whatever they pass, run for every target, so CPU and commands
   * per message compare at the same load (batching changes them with the rate). @default []
   */
  fixedRates?: readonly number[];
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface MessagingResult {
  scenario: 'one-to-one' | 'fan-out';
  target: Target['name'];
  setup: {
    users: number;
    rooms: number;
    recipientsPerMessage: number;
    nodes: number;
    prepareMs: number;
    connectMs: number;
  };
  /** CPU µs per second per process with every socket connected and no traffic. */
  idleMicrosPerSec: Record<string, number>;
  /** First attempts of steps that failed and were tried again (the retry is in `steps`). */
  retriedFailures: StepResult[];
  light?: StepResult;
  /** One step per `fixedRates` entry, in that order. */
  fixed: StepResult[];
  steps: StepResult[];
  best?: StepResult;
}

interface Shape {
  scenario: MessagingResult['scenario'];
  /** Users per room (2 for 1:1). */
  roomSize: number;
}

/**
 * Users are spread over the nodes so that the members of every room sit on different nodes
 * (every message crosses the Redis adapter); senders take turns round-robin over the users.
 */
async function runMessaging(
  target: Target,
  shape: Shape,
  options: MessagingOptions,
): Promise<MessagingResult> {
  const { log, search } = options;
  const nodes = target.nodes.length;
  const roomSize = shape.roomSize;
  const rooms = Math.max(1, Math.floor(options.clients / roomSize));
  const users = rooms * roomSize;
  const roomOf = (i: number): number => Math.floor(i / roomSize);
  let t = performance.now();
  const prepared = await target.prepare({
    users,
    nodeOf: (i) => roomOf(i) + (i % roomSize),
    directs:
      roomSize === 2 ? Array.from({ length: rooms }, (_, r) => [2 * r, 2 * r + 1] as const) : [],
    groups:
      roomSize === 2
        ? []
        : Array.from({ length: rooms }, (_, r) =>
            Array.from({ length: roomSize }, (_, m) => r * roomSize + m),
          ),
  });
  const prepareMs = performance.now() - t;
  const roomIds = roomSize === 2 ? prepared.directIds : prepared.groupIds;
  log(
    `${target.name}/${shape.scenario}: ${users} users, ${rooms} rooms prepared in ${(prepareMs / 1000).toFixed(1)} s`,
  );

  t = performance.now();
  const sockets: TargetSocket[] = [];
  try {
    const connected = await mapLimit(prepared.users, 50, async (user) => {
      const socket = await target.connect(user);
      sockets.push(socket);
      return socket;
    });
    const connectMs = performance.now() - t;
    log(
      `${target.name}/${shape.scenario}: ${connected.length} sockets connected in ${(connectMs / 1000).toFixed(1)} s`,
    );
    const driver = new TrafficDriver(
      () => target.processes(),
      () => target.commandCounts(),
    );
    connected.forEach((socket, i) => driver.listen(socket, prepared.users[i]?.userId ?? ''));
    // Sender k: user k mod users, so consecutive messages come from different rooms and nodes.
    const plan: TrafficPlan = {
      senderOf: (k) => {
        const i = k % users;
        return { socket: connected[i] as TargetSocket, roomId: roomIds[roomOf(i)] ?? '' };
      },
      recipientsPerMessage: roomSize - 1,
    };

    // JIT, pools and index pages warm up here; not reported. At least as long as the
    // light-load step (V8 optimizes a function only after many calls), and long enough for
    // every user to send once: a room's first send fills per-node caches (who may send there,
    // its seq counter), and a step that met rooms for the first time measured that one-off
    // cost (the fixed 500/s step did a MongoDB find per message).
    const warmRate = Math.max(20, options.lightRate || Math.floor(search.startRate / 2));
    const warm = await driver.step(
      plan,
      warmRate,
      Math.min(30, Math.max(options.lightSeconds ?? 5, Math.ceil(users / warmRate))),
      search.drainMs,
      options.signal,
    );
    log(
      `  warm-up: ${warm.delivered}/${warm.expected} delivered, p99 ${warm.latency.p99.toFixed(1)} ms`,
    );
    await driver.settle(target.acks, 500, 30_000, options.signal);
    const idle = await driver.measureIdle(2, options.signal);
    log(
      `  idle CPU with ${connected.length} sockets: ${[...idle].map(([n, us]) => `${n} ${(us / 10_000).toFixed(1)} %`).join(', ')}`,
    );
    let light: StepResult | undefined;
    if ((options.lightRate ?? 0) > 0 && !options.signal?.aborted) {
      await driver.settle(target.acks, 500, 30_000, options.signal);
      light = await driver.step(
        plan,
        options.lightRate ?? 0,
        options.lightSeconds ?? 5,
        search.drainMs,
        options.signal,
      );
      log(
        `  light load ${light.rate}/s: p50 ${light.latency.p50.toFixed(2)} ms, p99 ${light.latency.p99.toFixed(2)} ms`,
      );
    }
    /** One step at `rate` once the cluster worked off the previous one. */
    const settledStep = async (rate: number): Promise<StepResult> => {
      if (!(await driver.settle(target.acks, 500, 30_000, options.signal)))
        log('  note: the cluster did not settle within 30 s after the previous step');
      return driver.step(plan, rate, search.stepSeconds, search.drainMs, options.signal);
    };
    const fixed: StepResult[] = [];
    for (const rate of options.fixedRates ?? []) {
      if (options.signal?.aborted) break;
      const step = await settledStep(rate);
      fixed.push(step);
      log(
        `  fixed ${rate}/s: p99 ${step.latency.p99.toFixed(1)} ms, mongo ${step.commands.mongoPerMessage.toFixed(2)} cmds/msg, redis ${step.commands.redisPerMessage.toFixed(2)} calls/msg`,
      );
    }
    const steps: StepResult[] = [];
    const retried: StepResult[] = [];
    for (
      let rate = nextRate(steps, search);
      rate !== undefined && !options.signal?.aborted;
      rate = nextRate(steps, search)
    ) {
      let step = await settledStep(rate);
      if (!step.passed && (search.confirmFailures ?? true) && !options.signal?.aborted) {
        // On a shared machine one burst of someone else's work can fail a step: a rate counts
        // as failed only when a second try fails too (both are kept in the JSON).
        log(`  ${rate} msgs/s failed (${step.failReasons.join('; ')}); trying once more`);
        const retry = await settledStep(rate);
        retried.push(step);
        step = retry;
      }
      steps.push(step);
      log(
        `  ${rate} msgs/s: sent ${step.sentPerSec.toFixed(0)}/s, delivered ${step.deliveredPerSec.toFixed(0)}/s (${(step.deliveredRatio * 100).toFixed(2)} %), ` +
          `p99 ${step.latency.p99.toFixed(1)} ms${step.passed ? '' : ` → FAIL: ${step.failReasons.join('; ')}`}`,
      );
    }
    if (driver.unparsed > 0)
      log(`  note: ${driver.unparsed} messages could not be matched to a step`);
    const best = bestPassing(steps);
    return {
      scenario: shape.scenario,
      target: target.name,
      setup: { users, rooms, recipientsPerMessage: roomSize - 1, nodes, prepareMs, connectMs },
      idleMicrosPerSec: Object.fromEntries(idle),
      retriedFailures: retried,
      ...(light ? { light } : {}),
      fixed,
      steps,
      ...(best ? { best } : {}),
    };
  } finally {
    for (const socket of sockets) socket.close();
  }
}

/** Scenario 1 (+5): 1:1 between users on different nodes; ours persists and acks every message. */
export const runOneToOne = (target: Target, options: MessagingOptions): Promise<MessagingResult> =>
  runMessaging(target, { scenario: 'one-to-one', roomSize: 2 }, options);

/** Scenario 2: group fan-out, `groupSize` members per group spread over the nodes. */
export const runFanOut = (
  target: Target,
  options: MessagingOptions & { groupSize: number },
): Promise<MessagingResult> =>
  runMessaging(target, { scenario: 'fan-out', roomSize: options.groupSize }, options);
