import { Queue, type ConnectionOptions } from 'bullmq';
import { DEFAULT_QUEUE_PREFIX, PRESENCE_SWEEP_SCHEDULER_ID, QUEUES } from './names.js';

export interface PresenceSweepScheduleOptions {
  connection: ConnectionOptions;
  /** @default 'bull' */
  prefix?: string;
  /** @default 10_000 */
  everyMs?: number;
}

/** Payload of the repeatable sweep job: nothing; the sweep reads Redis itself. */
export type PresenceSweepJob = Record<string, never>;

/**
 * Creates or updates the cluster-wide repeatable sweep (BullMQ job scheduler). Every
 * worker calls it at start; upsert makes that idempotent and only one job runs per tick
 * whatever the number of workers.
 */
export async function schedulePresenceSweep(options: PresenceSweepScheduleOptions): Promise<void> {
  const queue = new Queue<PresenceSweepJob>(QUEUES.presenceSweep, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
  });
  try {
    await queue.upsertJobScheduler(
      PRESENCE_SWEEP_SCHEDULER_ID,
      { every: options.everyMs ?? 10_000 },
      { name: 'sweep', data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
    );
  } finally {
    await queue.close();
  }
}
