import { createEnvReader, type Env } from '@chat/core';
import { readQueuePrefix, readRedisConfig, type RedisConfig } from '@chat/redis';
import type { LevelWithSilent } from 'pino';

export interface WorkerConfig {
  /** REDIS_URL or REDIS_CLUSTER_NODES (+ REDIS_ADAPTER, TLS); must match the gateway's. */
  redis: RedisConfig;
  /** Prefix of the send path's keys, the hand-off stream among them; must match the gateway's. */
  redisPrefix: string;
  handoff: {
    /** Entries per read. */
    batch: number;
    /** An entry whose message is not stored yet is looked at again after this long. */
    retryAfterMs: number;
    /** An entry whose message never got stored is dropped after this long. */
    giveUpAfterMs: number;
    /** After a small batch, wait this long for more entries before reading again. */
    coalesceMs: number;
  };
  /** `sharded` (MONGO_SHARDED) is read for parity with the gateway; the worker's reads name their ids either way. */
  mongo: { url: string; dbName: string; sharded: boolean };
  webhook: {
    /** Without it deliveries complete as "skipped" (logged once). */
    url?: string;
    secret?: string;
    /** Caps the tries of each job (it cannot raise the producer's `attempts`). */
    attempts?: number;
    /** Overrides the base delay of the exponential backoff of queued jobs. */
    backoffMs?: number;
    timeoutMs: number;
  };
  presence: { sweepIntervalMs: number; ttlMs?: number; prefix?: string };
  /** BullMQ key prefix; must match the gateway's. */
  queuePrefix?: string;
  /** Jobs processed in parallel per queue. */
  concurrency: number;
  /**
   * How long a job stays locked to a worker that stopped renewing it (crash) before
   * another worker takes it over; also the stalled-check interval. BullMQ's default.
   */
  lockDurationMs: number;
  logLevel: LevelWithSilent;
  metricsPort?: number;
  /** Hard limit for the graceful shutdown (finish the current jobs) before exiting anyway. */
  shutdownTimeoutMs: number;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Pure: pass process.env from main.ts. Throws one ConfigError naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  const r = createEnvReader(env);
  const webhookUrl = r.url('NOTIFY_WEBHOOK_URL', {
    optional: true,
    protocols: ['http:', 'https:'],
  });
  const secret = r.str('NOTIFY_WEBHOOK_SECRET', { optional: true });
  if (webhookUrl !== undefined && secret === undefined) {
    r.problem(
      'NOTIFY_WEBHOOK_SECRET',
      'is required when NOTIFY_WEBHOOK_URL is set (deliveries are signed)',
    );
  }
  const redis = readRedisConfig(r);
  const config: WorkerConfig = {
    redis,
    redisPrefix: r.str('REDIS_PREFIX', { default: 'chat:' }),
    handoff: {
      batch: r.int('HANDOFF_BATCH', { default: 500, min: 1, max: 10_000 }),
      retryAfterMs: r.int('HANDOFF_RETRY_MS', { default: 250, min: 10, max: 60_000 }),
      giveUpAfterMs: r.int('HANDOFF_GIVE_UP_MS', { default: 120_000, min: 1_000, max: 86_400_000 }),
      coalesceMs: r.int('HANDOFF_COALESCE_MS', { default: 50, min: 0, max: 10_000 }),
    },
    mongo: {
      url: r.str('MONGO_URL'),
      dbName: r.str('MONGO_DB', { default: 'chat' }),
      sharded: r.bool('MONGO_SHARDED', { default: false }),
    },
    webhook: {
      url: webhookUrl,
      secret,
      attempts: r.int('WEBHOOK_ATTEMPTS', { optional: true, min: 1, max: 100 }),
      backoffMs: r.int('WEBHOOK_BACKOFF_MS', { optional: true, min: 1, max: 3_600_000 }),
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', { default: 10_000, min: 100, max: 300_000 }),
    },
    presence: {
      sweepIntervalMs: r.int('PRESENCE_SWEEP_INTERVAL_MS', {
        default: 10_000,
        min: 100,
        max: 3_600_000,
      }),
      ttlMs: r.int('PRESENCE_TTL_MS', { optional: true, min: 1_000, max: 3_600_000 }),
      prefix: r.str('PRESENCE_PREFIX', { optional: true }),
    },
    queuePrefix: readQueuePrefix(r, redis.topology),
    concurrency: r.int('WORKER_CONCURRENCY', { default: 16, min: 1, max: 1_000 }),
    lockDurationMs: r.int('WORKER_LOCK_DURATION_MS', { default: 30_000, min: 500, max: 600_000 }),
    logLevel: r.oneOf('LOG_LEVEL', LEVELS, { default: 'info' }),
    metricsPort: r.int('METRICS_PORT', { optional: true, min: 0, max: 65_535 }),
    shutdownTimeoutMs: r.int('WORKER_SHUTDOWN_TIMEOUT_MS', {
      default: 30_000,
      min: 100,
      max: 600_000,
    }),
  };
  r.done();
  return config;
}
