import { AppError, type Logger } from '@chat/core';
import { randomUUID } from 'node:crypto';
import type { MongoStore } from '@chat/store';
import type { TypingState } from '@chat/presence';
import { requireMember } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { oid } from './ids.js';

export interface TypingServiceOptions {
  store: MongoStore;
  /** The throttle and latest-start token in Redis, shared by every node. */
  state: TypingState;
  fanout: Fanout;
  logger: Logger;
  /** A `start` is relayed at most once per (user, conversation) in this window, cluster-wide. @default 2_500 */
  throttleMs: number;
  /** A `start` with no newer start/stop turns into `stop` after this. @default 6_000 */
  expireMs: number;
}

export type TypingService = ReturnType<typeof createTypingService>;

/** The active key outlives the expiry so the owning node can still read it when its timer fires. */
const ACTIVE_MARGIN_MS = 5000;

/**
 * typing:start / typing:stop (docs/PROTOCOL.md#section-3). Both live in Redis so a user typing on two
 * devices behind two nodes is throttled and expired once: every start writes its own
 * token, and only the node whose token is still there when its timer fires relays `stop`.
 */
export function createTypingService(options: TypingServiceOptions) {
  const { store, state, fanout, logger } = options;
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
      if (!(await state.isLatest(conversationId, userId, token))) return;
      await state.clear(conversationId, userId);
      relay(userId, conversationId, 'stop');
    } catch (err) {
      // Redis is unreachable (or this node is closing): the adapter could not publish a stop
      // either, and clients expire a start by themselves after 6 s (docs/PROTOCOL.md#section-3).
      logger.warn({ err, userId, conversationId }, 'typing: expiry check failed');
    }
  }

  return {
    async start(userId: string, conversationId: string): Promise<void> {
      await requireMemberOrForbidden(userId, conversationId);
      const token = randomUUID();
      const relayed = await state.start(conversationId, userId, token, {
        throttleMs: options.throttleMs,
        activeMs: options.expireMs + ACTIVE_MARGIN_MS,
      });
      armExpiry(userId, conversationId, token);
      if (relayed) relay(userId, conversationId, 'start');
    },

    async stop(userId: string, conversationId: string): Promise<void> {
      await requireMemberOrForbidden(userId, conversationId);
      // Clearing the throttle lets a start right after this stop through at once.
      const removed = await state.clear(conversationId, userId);
      const pending = clearExpiry(`${conversationId}:${userId}`);
      // Nothing active and no automatic stop due: the others already show "not typing".
      if (removed || pending) relay(userId, conversationId, 'stop');
    },

    close(): void {
      for (const timer of expiryTimers.values()) clearTimeout(timer);
      expiryTimers.clear();
    },
  };
}
