import { conversationKeyBase, rateLimitKeyPrefix } from '@chat/redis';

/**
 * Every Redis key of the send path, built in one place. The per-conversation keys share the
 * hash tag `{c:<conversationId>}`, so one script may touch all of them on a Redis Cluster; the
 * per-user budget and the hand-off stream live elsewhere and join the script only on a single
 * Redis (see send-state.ts).
 */
export interface SendKeys {
  /** String counter: the conversation's latest allocated seq (seeded from MongoDB when missing). */
  seq(conversationId: string): string;
  /** String: an opaque token that changes whenever who may send there changes (membership-cache.ts). */
  version(conversationId: string): string;
  /** String `<seq>:<messageId>` with a TTL: this (sender, clientMsgId) already took a seq here. */
  claim(conversationId: string, senderId: string, clientMsgId: string): string;
  /** Fixed-window message budget of one user (rate-limiter-flexible's key and format). */
  budget(userId: string): string;
  /** Stream of stored-or-storing messages for the worker's offline hand-off (handoff.ts). */
  handoff(): string;
}

export function createSendKeys(prefix: string): SendKeys {
  const conv = (id: string): string => conversationKeyBase(prefix, id);
  return {
    seq: (id) => `${conv(id)}:seq`,
    version: (id) => `${conv(id)}:mv`,
    claim: (id, senderId, clientMsgId) => `${conv(id)}:claim:${senderId}:${clientMsgId}`,
    budget: (userId) => `${rateLimitKeyPrefix(prefix, 'msg')}:${userId}`,
    handoff: () => `${prefix}handoff`,
  };
}
