import type { JobsOptions } from 'bullmq';

/**
 * The backoff type of offline-delivery jobs. It is not a BullMQ built-in on purpose:
 * the worker registers it (see {@link offlineDeliveryBackoffMs}) so that its
 * WEBHOOK_BACKOFF_MS can override the base delay of jobs already queued.
 */
export const OFFLINE_DELIVERY_BACKOFF_TYPE = 'chat-exponential';

export interface OfflineDeliveryRetryOptions {
  /** Total tries including the first. 8 tries at base 1 s span ≈ 2 min before the dead letter. @default 8 */
  attempts?: number;
  /** Delay before the 2nd try; doubles for each further one. @default 1_000 */
  backoffMs?: number;
}

export const DEFAULT_OFFLINE_DELIVERY_ATTEMPTS = 8;
export const DEFAULT_OFFLINE_DELIVERY_BACKOFF_MS = 1_000;
/** Completed jobs are the delivery record and keep their id taken, so a re-enqueue within a day is ignored. */
export const COMPLETED_RETENTION_S = 24 * 3600;
/** Dead letters stay inspectable for a week. */
export const FAILED_RETENTION_S = 7 * 24 * 3600;

export function offlineDeliveryJobOptions(retry: OfflineDeliveryRetryOptions = {}): JobsOptions {
  return {
    attempts: retry.attempts ?? DEFAULT_OFFLINE_DELIVERY_ATTEMPTS,
    backoff: {
      type: OFFLINE_DELIVERY_BACKOFF_TYPE,
      delay: retry.backoffMs ?? DEFAULT_OFFLINE_DELIVERY_BACKOFF_MS,
    },
    removeOnComplete: { age: COMPLETED_RETENTION_S },
    removeOnFail: { age: FAILED_RETENTION_S },
  };
}

/**
 * Delay before the next try after `attemptsMade` failed ones: base · 2^(n−1), minus up
 * to 20 % jitter so many jobs failing together (receiver down) do not retry in lockstep.
 * Still strictly growing: 0.8 · 2 > 1.
 */
export function offlineDeliveryBackoffMs(
  attemptsMade: number,
  baseMs: number,
  random = Math.random,
): number {
  const full = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.round(full * (1 - 0.2 * random()));
}
