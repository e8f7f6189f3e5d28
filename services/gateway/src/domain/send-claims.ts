import type { Logger } from '@chat/core';
import type { Redis } from 'ioredis';

/**
 * How long a clientMsgId is remembered. A client resends after a lost ack within seconds to
 * minutes (the SDK's outbox retries on reconnect); a later resend is still answered correctly,
 * only more slowly (see below). 15 minutes of sends at 1,000 msgs/s is about 70 MB of Redis.
 */
export const SEND_CLAIM_TTL_MS = 15 * 60_000;

export interface SendClaims {
  /**
   * True when no node has seen this (sender, clientMsgId) within the TTL, so the send may skip
   * the MongoDB idempotency lookup. False means "maybe a resend": look it up.
   */
  isFirst(senderId: string, clientMsgId: string): Promise<boolean>;
}

/**
 * The fast path of DESIGN decision 3's idempotency: one `SET NX` in Redis instead of a MongoDB
 * read per send (a MongoDB command costs the driver 200–400 µs of CPU here; docs/SCALING.md).
 *
 * Redis is only a hint; the unique index on (senderId, clientMsgId) stays the truth:
 * - "first" although the message exists (Redis lost its data, or the TTL passed): the insert
 *   fails on the index and the stored message is answered, leaving one unused seq, the same
 *   gap a resend racing on two nodes leaves;
 * - "not first" for a send that never stored (it failed, was refused or is in flight
 *   elsewhere): the lookup finds nothing and the send goes on as new;
 * - Redis unreachable: "not first", so the lookup runs as before.
 */
export function createSendClaims(deps: {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
}): SendClaims {
  const { redis, keyPrefix, logger } = deps;
  return {
    async isFirst(senderId, clientMsgId) {
      try {
        const set = await redis.set(
          `${keyPrefix}sent:${senderId}:${clientMsgId}`,
          '1',
          'PX',
          SEND_CLAIM_TTL_MS,
          'NX',
        );
        return set === 'OK';
      } catch (err) {
        logger.debug({ err }, 'send claim unavailable; looking the clientMsgId up in MongoDB');
        return false;
      }
    },
  };
}
