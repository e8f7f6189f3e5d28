import { Queue, type ConnectionOptions } from 'bullmq';
import { DEFAULT_QUEUE_PREFIX, QUEUES } from './names.js';
import { offlineDeliveryJobOptions, type OfflineDeliveryRetryOptions } from './options.js';
import type { OfflineDeliveryJob } from './payloads.js';

export interface OfflineDeliveryProducerOptions extends OfflineDeliveryRetryOptions {
  /** An ioredis instance (shared, not closed by close()) or connection options. */
  connection: ConnectionOptions;
  /** @default 'bull' */
  prefix?: string;
}

export interface OfflineDeliveryProducer {
  /**
   * Adds the jobs in one round trip. The job id is the deliveryId, so a job whose id
   * already exists (queued, active, completed within 24 h, or dead-lettered) is not
   * added again: enqueueing twice never delivers twice.
   */
  enqueue(jobs: OfflineDeliveryJob[]): Promise<void>;
  /** Jobs not yet delivered (waiting + delayed + active) and dead letters (failed). */
  depth(): Promise<{ pending: number; failed: number }>;
  /** Idempotent. */
  close(): Promise<void>;
}

export function createOfflineDeliveryProducer(
  options: OfflineDeliveryProducerOptions,
): OfflineDeliveryProducer {
  const queue = new Queue<OfflineDeliveryJob>(QUEUES.offlineDelivery, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
  });
  const opts = offlineDeliveryJobOptions(options);
  let closing: Promise<void> | undefined;

  return {
    async enqueue(jobs) {
      if (jobs.length === 0) return;
      await queue.addBulk(
        jobs.map((data) => ({ name: data.type, data, opts: { ...opts, jobId: data.deliveryId } })),
      );
    },
    async depth() {
      const c = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'failed');
      const pending = (c.waiting ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
      return { pending, failed: c.failed ?? 0 };
    },
    close() {
      closing ??= queue.close();
      return closing;
    },
  };
}
