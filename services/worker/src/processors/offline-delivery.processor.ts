import { createHmac } from 'node:crypto';
import type { OfflineDeliveryJob } from '@chat/jobs';
import {
  WEBHOOK_DELIVERY_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_SIGNATURE_PREFIX,
} from '@chat/protocol';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { WorkerConfig } from '../config.js';
import type { WorkerMetrics } from '../metrics.js';

export type DeliveryResult = { delivered: true; status: number } | { skipped: true };

/** The receiver's answer that retrying cannot change (see isPermanent). */
export class WebhookRejectedError extends UnrecoverableError {
  constructor(readonly status: number) {
    super(`webhook answered ${status}`);
  }
}

/**
 * 4xx means the receiver understood and refused this request; sending the same bytes
 * again gets the same answer, so we dead-letter at once instead of retrying for minutes.
 * Exceptions: 408 (timeout), 425 (too early) and 429 (rate limited) are temporary.
 * 5xx and network errors are retried.
 */
export function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}

export function signBody(secret: string, body: string): string {
  return WEBHOOK_SIGNATURE_PREFIX + createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export function createOfflineDeliveryProcessor(deps: {
  webhook: WorkerConfig['webhook'];
  logger: Logger;
  metrics: WorkerMetrics;
}): (job: Job<OfflineDeliveryJob>) => Promise<DeliveryResult> {
  const { webhook, logger, metrics } = deps;
  let warnedSkip = false;

  return async (job) => {
    const { deliveryId } = job.data;
    const attempt = job.attemptsMade + 1;
    if (webhook.url === undefined || webhook.secret === undefined) {
      if (!warnedSkip) {
        warnedSkip = true;
        logger.warn('NOTIFY_WEBHOOK_URL is not set: offline deliveries are completed as skipped');
      }
      metrics.deliveries.inc({ outcome: 'skipped' });
      return { skipped: true };
    }
    // The exact bytes that are signed are the bytes sent.
    const body = JSON.stringify(job.data);
    const lastAllowed = webhook.attempts !== undefined && attempt >= webhook.attempts;
    let failure: Error;
    try {
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'chat-worker',
          [WEBHOOK_SIGNATURE_HEADER]: signBody(webhook.secret, body),
          [WEBHOOK_DELIVERY_ID_HEADER]: deliveryId,
        },
        body,
        signal: AbortSignal.timeout(webhook.timeoutMs),
      });
      // Drain so the keep-alive socket returns to the pool.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        metrics.deliveries.inc({ outcome: 'delivered' });
        logger.debug({ deliveryId, attempt, status: res.status }, 'offline delivery posted');
        return { delivered: true, status: res.status };
      }
      if (isPermanent(res.status)) {
        metrics.deliveries.inc({ outcome: 'permanent' });
        throw new WebhookRejectedError(res.status);
      }
      failure = new Error(`webhook answered ${res.status}`);
    } catch (err) {
      if (err instanceof WebhookRejectedError) throw err;
      failure = new Error(
        `webhook request failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    metrics.deliveries.inc({ outcome: 'failed' });
    logger.warn({ deliveryId, attempt, err: failure.message }, 'offline delivery attempt failed');
    // WEBHOOK_ATTEMPTS lower than the job's own attempts: stop here.
    if (lastAllowed)
      throw new UnrecoverableError(
        `${failure.message} (attempt ${attempt} of ${webhook.attempts})`,
      );
    throw failure;
  };
}
