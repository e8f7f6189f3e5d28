import type { RedisClient } from '@chat/redis';
import { createTypingKeys } from './keys.js';

/**
 * The Redis half of the typing relay: a cluster-wide throttle per (conversation, user) and the
 * token of the latest `start`. Every start writes its own token, so with a user typing on two
 * devices behind two nodes only the node whose token is still there relays the automatic stop.
 */
export interface TypingState {
  /**
   * Records a start with `token`; resolves true when it opened a new throttle window (relay it),
   * false when a start was already relayed within `throttleMs`.
   */
  start(
    conversationId: string,
    userId: string,
    token: string,
    options: { throttleMs: number; activeMs: number },
  ): Promise<boolean>;
  /** Whether `token` still belongs to the latest start (no newer start, no stop since). */
  isLatest(conversationId: string, userId: string, token: string): Promise<boolean>;
  /** Clears the start and its throttle; resolves true when there was something to clear. */
  clear(conversationId: string, userId: string): Promise<boolean>;
}

export function createTypingState(options: {
  redis: RedisClient;
  /** Prefix of the typing keys (the gateway's REDIS_PREFIX). */
  prefix: string;
}): TypingState {
  const { redis } = options;
  const keys = createTypingKeys(options.prefix);
  return {
    async start(conversationId, userId, token, { throttleMs, activeMs }) {
      const results = await redis
        .multi()
        .set(keys.throttle(conversationId, userId), '1', 'PX', Math.max(1, throttleMs), 'NX')
        .set(keys.active(conversationId, userId), token, 'PX', activeMs)
        .exec();
      return results?.[0]?.[1] === 'OK';
    },

    async isLatest(conversationId, userId, token) {
      return (await redis.get(keys.active(conversationId, userId))) === token;
    },

    async clear(conversationId, userId) {
      const removed = await redis.del(
        keys.active(conversationId, userId),
        keys.throttle(conversationId, userId),
      );
      return removed > 0;
    },
  };
}
