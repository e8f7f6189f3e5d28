import {
  DEFAULT_OFFLINE_DELIVERY_BACKOFF_MS,
  DEFAULT_QUEUE_PREFIX,
  offlineDeliveryBackoffMs,
  QUEUES,
  type OfflineDeliveryJob,
  type PresenceSweepJob,
} from '@chat/jobs';
import { Worker, type Job, type MinimalJob } from 'bullmq';
import type { RedisClient } from '@chat/redis';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config.js';
import type { WorkerMetrics } from './metrics.js';
import type { DeliveryResult } from './processors/offline-delivery.processor.js';
import type { SweepResult } from './processors/presence-sweep.processor.js';

export interface Workers {
  /** Stops taking jobs and waits for the active ones to finish. Idempotent. */
  close(): Promise<void>;
}

/** Dead letter = the job reached the failed state: no attempt left, or unrecoverable. */
function isDeadLetter(job: Job, err: Error): boolean {
  return (
    job.finishedOn !== undefined ||
    err.name === 'UnrecoverableError' ||
    job.attemptsMade >= (job.opts.attempts ?? 1)
  );
}

export function createWorkers(deps: {
  config: WorkerConfig;
  /** Needs `maxRetriesPerRequest: null` (BullMQ blocking commands); BullMQ duplicates it. */
  connection: RedisClient;
  logger: Logger;
  metrics: WorkerMetrics;
  deliver: (job: Job<OfflineDeliveryJob>) => Promise<DeliveryResult>;
  sweep: () => Promise<SweepResult>;
}): Workers {
  const { config, connection, logger, metrics } = deps;
  const prefix = config.queuePrefix ?? DEFAULT_QUEUE_PREFIX;

  const delivery = new Worker<OfflineDeliveryJob, DeliveryResult>(
    QUEUES.offlineDelivery,
    deps.deliver,
    {
      connection,
      prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.lockDurationMs,
      settings: {
        // Custom so that WEBHOOK_BACKOFF_MS also applies to jobs queued before a restart.
        backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) => {
          const jobBase = (job?.opts.backoff as { delay?: number } | undefined)?.delay;
          return offlineDeliveryBackoffMs(
            attemptsMade,
            config.webhook.backoffMs ?? jobBase ?? DEFAULT_OFFLINE_DELIVERY_BACKOFF_MS,
          );
        },
      },
    },
  );
  delivery.on('failed', (job, err) => {
    if (job === undefined || !isDeadLetter(job, err)) return;
    metrics.deadLetters.inc();
    logger.error(
      {
        queue: QUEUES.offlineDelivery,
        jobId: job.id,
        deliveryId: job.data.deliveryId,
        attempts: job.attemptsMade,
        err: err.message,
      },
      'offline delivery dead-lettered',
    );
  });

  const sweeper = new Worker<PresenceSweepJob, SweepResult>(
    QUEUES.presenceSweep,
    () => deps.sweep(),
    {
      connection,
      prefix,
      concurrency: 1,
    },
  );
  sweeper.on('failed', (job, err) => {
    logger.error({ queue: QUEUES.presenceSweep, jobId: job?.id, err }, 'presence sweep failed');
  });

  for (const worker of [delivery, sweeper]) {
    // Without a listener BullMQ errors (e.g. Redis down) would be unhandled 'error' events.
    worker.on('error', (err) => logger.error({ err, queue: worker.name }, 'worker error'));
  }

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= Promise.all([delivery.close(), sweeper.close()]).then(() => undefined);
      return closing;
    },
  };
}
