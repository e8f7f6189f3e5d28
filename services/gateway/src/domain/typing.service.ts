import { AppError, type Logger } from '@chat/core';
import { randomUUID } from 'node:crypto';
import type { MongoStore } from '@chat/store';
import { hashTag, type RedisClient } from '@chat/redis';
import { requireMember } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { oid } from './ids.js';

export interface TypingServiceOptions {
  store: MongoStore;
  redis: RedisClient;
  fanout: Fanout;
  logger: Logger;
  /** Prefix of the typing keys (the gateway's REDIS_PREFIX). */
  keyPrefix: string;
  /** A `start` is relayed at most once per (user, conversation) in this window, cluster-wide. @default 2_500 */
  throttleMs: number;
  /** A `start` with no newer start/stop turns into `stop` after this. @default 6_000 */
  expireMs: number;
}

export type TypingService = ReturnType<typeof createTypingService>;

/**
 * Every Redis key of the typing relay, built in one place. Both keys of a (conversation,
 * user) carry the conversation's hash tag `{c:<id>}` (as the send path's keys do): the MULTI
 * and the DEL below touch both, which a Redis Cluster allows only within one slot.
 */
function typingKeys(prefix: string) {
  const conv = (conversationId: string) => `${prefix}${hashTag(`c:${conversationId}`)}`;
  return {
    /** Exists while a relayed `start` must not be repeated (SET NX PX throttle). */
    throttle: (conversationId: string, userId: string) =>
      `${conv(conversationId)}:typing:throttle:${userId}`,
    /** Token of the latest start while the user counts as typing; the node that wrote it owns the automatic stop. */
    active: (conversationId: string, userId: string) =>
      `${conv(conversationId)}:typing:active:${userId}`,
  };
}

/** The active key outlives the expiry so the owning node can still read it when its timer fires. */
const ACTIVE_MARGIN_MS = 5000;

/**
 * typing:start / typing:stop (PROTOCOL §3). Both live in Redis so a user typing on two
 * devices behind two nodes is throttled and expired once: every start writes its own
 * token, and only the node whose token is still there when its timer fires relays `stop`.
 */
export function createTypingService(options: TypingServiceOptions) {
  const { store, redis, fanout, logger } = options;
  const keys = typingKeys(options.keyPrefix);
  const expiryTimers = new Map<string, NodeJS.Timeout>();

  async function requireMemberOrForbidden(userId: string, conversationId: string): Promise<void> {
    try {
      await requireMember(store, oid(conversationId, 'conversationId'), oid(userId));
    } catch (err) {
      // The issue asks FORBIDDEN here (requireMember's NOT_FOUND hides existence for reads).
      if (err instanceof AppError && err.code === 'NOT_FOUND')
        throw AppError.forbidden('Not a member of this conversation');
      throw err;
    }
  }

  function relay(userId: string, conversationId: string, state: 'start' | 'stop'): void {
    fanout.toConversations(
      [conversationId],
      'typing',
      { conversationId, userId, state },
      { exceptUsers: [userId] },
    );
  }

  /** Returns whether an automatic stop was still pending here. */
  function clearExpiry(timerKey: string): boolean {
    const timer = expiryTimers.get(timerKey);
    if (timer) clearTimeout(timer);
    return expiryTimers.delete(timerKey);
  }

  function armExpiry(userId: string, conversationId: string, token: string): void {
    const timerKey = `${conversationId}:${userId}`;
    clearExpiry(timerKey);
    const timer = setTimeout(() => {
      expiryTimers.delete(timerKey);
      void expire(userId, conversationId, token);
    }, options.expireMs);
    timer.unref();
    expiryTimers.set(timerKey, timer);
  }

  async function expire(userId: string, conversationId: string, token: string): Promise<void> {
    try {
      // Another token: a newer start (maybe on another node) owns the stop now. None: an
      // explicit stop came, or Redis lost it (clients expire a start themselves, §3).
      if ((await redis.get(keys.active(conversationId, userId))) !== token) return;
      await redis.del(keys.active(conversationId, userId), keys.throttle(conversationId, userId));
      relay(userId, conversationId, 'stop');
    } catch (err) {
      // Redis is unreachable (or this node is closing): the adapter could not publish a stop
      // either, and clients expire a start by themselves after 6 s (PROTOCOL §3).
      logger.warn({ err, userId, conversationId }, 'typing: expiry check failed');
    }
  }

  return {
    async start(userId: string, conversationId: string): Promise<void> {
      await requireMemberOrForbidden(userId, conversationId);
      const token = randomUUID();
      const results = await redis
        .multi()
        .set(
          keys.throttle(conversationId, userId),
          '1',
          'PX',
          Math.max(1, options.throttleMs),
          'NX',
        )
        .set(keys.active(conversationId, userId), token, 'PX', options.expireMs + ACTIVE_MARGIN_MS)
        .exec();
      const relayed = results?.[0]?.[1] === 'OK';
      armExpiry(userId, conversationId, token);
      if (relayed) relay(userId, conversationId, 'start');
    },

    async stop(userId: string, conversationId: string): Promise<void> {
      await requireMemberOrForbidden(userId, conversationId);
      // Clearing the throttle lets a start right after this stop through at once.
      const removed = await redis.del(
        keys.active(conversationId, userId),
        keys.throttle(conversationId, userId),
      );
      const pending = clearExpiry(`${conversationId}:${userId}`);
      // Nothing active and no automatic stop due: the others already show "not typing".
      if (removed > 0 || pending) relay(userId, conversationId, 'stop');
    },

    close(): void {
      for (const timer of expiryTimers.values()) clearTimeout(timer);
      expiryTimers.clear();
    },
  };
}
