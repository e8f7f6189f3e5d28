import type { LatencySummary } from './stats.js';

/** What one traffic step measured, and the limits it passes or fails on. */

export interface ProcessCpu {
  /** Share of one core during the send window, %. */
  percentOfCore: number;
  /** CPU from the window's start to the end of the drain, per message sent, µs. */
  microsPerMessage: number;
  /** The same CPU per delivery (a fan-out message makes many), µs. */
  microsPerDelivery: number;
  /**
   * As microsPerMessage, minus what the process burns idle (heartbeats, timers, presence
   * refresh for the connected sockets; measured before the steps): the cost of a message
   * itself, comparable between steps at very different rates.
   */
  marginalMicrosPerMessage: number;
  marginalMicrosPerDelivery: number;
}

/** What the servers did for the messages of one step, counted by the servers. */
export interface StepCommands {
  /** MongoDB data commands per message sent. */
  mongoPerMessage: number;
  /** Redis calls per message sent, as INFO commandstats counts them (script internals included). */
  redisPerMessage: number;
  /** Redis commands the chat nodes sent per message (a script is one): round trips, at most. */
  redisSentPerMessage?: number;
  /**
   * As redisSentPerMessage, minus what the nodes send idle (presence heartbeat flushes, the
   * fan-out probe; measured before the steps): the round trips a send itself makes.
   */
  redisSentMarginalPerMessage?: number;
  mongo: Record<string, number>;
  redis: Record<string, number>;
}

export interface StepResult {
  rate: number;
  windowSeconds: number;
  sent: number;
  sentPerSec: number;
  /** Deliveries expected: sent × recipients per message. */
  expected: number;
  delivered: number;
  /** Deliveries that arrived during the send window, per second (throughput). */
  deliveredPerSec: number;
  deliveredRatio: number;
  acked: number;
  ackedPerSec: number;
  ackErrors: Record<string, number>;
  /** Due time → recipient's event, ms. */
  latency: LatencySummary;
  /** Due time → successful ack, ms (ours only). */
  ackLatency: LatencySummary;
  generatorMaxLagMs: number;
  cpu: Record<string, ProcessCpu>;
  commands: StepCommands;
  passed: boolean;
  failReasons: string[];
}

export interface StepLimits {
  /** @default 100 */
  p99Ms: number;
  /** @default 0.99 */
  minDeliveredRatio: number;
  /** @default 0.95 */
  minSentRatio: number;
}

export const DEFAULT_LIMITS: StepLimits = {
  p99Ms: 100,
  minDeliveredRatio: 0.99,
  minSentRatio: 0.95,
};
