/** Queue names shared by producers (gateway) and the worker. */
export const QUEUES = {
  offlineDelivery: 'offline-delivery',
  presenceSweep: 'presence-sweep',
} as const;

/** BullMQ key prefix. Tests pass their own to isolate. @default 'bull' */
export const DEFAULT_QUEUE_PREFIX = 'bull';

/** The job scheduler id of the repeatable presence sweep (one per cluster, upserted). */
export const PRESENCE_SWEEP_SCHEDULER_ID = 'presence-sweep';
