import { LIMITS } from '@chat/protocol';
import type { Collection, Filter, ObjectId } from 'mongodb';
import { clampLimit, escapeRegex } from './regex.js';
import type { MessageDoc } from './types.js';

/** Finding messages by their words, always within what the viewer may see. */
export interface MessageSearch {
  /**
   * Search across conversations (docs/PROTOCOL.md#section-7): messages holding every word of `terms`
   * (search-terms.ts), newest first, within the given conversations and the viewer's
   * visibility (hidden for them, before their hiddenBefore, deleted). One indexed query:
   * (first word, conversation) pairs through the `terms_conversation` index.
   */
  searchAcross(input: {
    terms: readonly string[];
    scopes: readonly { conversationId: ObjectId; hiddenBefore?: number }[];
    viewerId: ObjectId;
    limit: number;
    /** Strictly older than this (createdAt, _id): the next page. */
    before?: { createdAt: Date; id: ObjectId };
  }): Promise<{ messages: MessageDoc[]; hasMore: boolean }>;
  /** Case-insensitive literal substring search (input regex-escaped), newest first. @default limit 20, max 50 (LIMITS) */
  search(
    conversationId: ObjectId,
    q: string,
    opts: { viewerId: ObjectId; limit?: number; hiddenBefore?: number },
  ): Promise<MessageDoc[]>;
}

/**
 * "Delete for me" is a `hiddenFor` array on the message: it can only hold members of
 * the conversation (≤ the group size limit), and keeping it on the message lets history
 * filter with `hiddenFor: { $ne: viewer }` inside the same indexed, limited query.
 * A separate collection would need an anti-join that breaks the limit+1 paging.
 */
function visibleTo(
  conversationId: ObjectId,
  viewerId: ObjectId,
  hiddenBefore?: number,
): Filter<MessageDoc> {
  const filter: Filter<MessageDoc> = { conversationId, hiddenFor: { $ne: viewerId } };
  return hiddenBefore !== undefined && hiddenBefore > 0
    ? { ...filter, seq: { $gt: hiddenBefore } }
    : filter;
}

export function createMessageSearch(collection: Collection<MessageDoc>): MessageSearch {
  return {
    async searchAcross({ terms, scopes, viewerId, limit, before }) {
      const [first, ...rest] = terms;
      if (first === undefined || scopes.length === 0) return { messages: [], hasMore: false };
      const hidden = scopes.filter((s) => (s.hiddenBefore ?? 0) > 0);
      const and: Filter<MessageDoc>[] = rest.map((t) => ({ terms: t }));
      if (hidden.length > 0) {
        and.push({
          $or: [
            { conversationId: { $nin: hidden.map((s) => s.conversationId) } },
            ...hidden.map((s) => ({
              conversationId: s.conversationId,
              seq: { $gt: s.hiddenBefore },
            })),
          ],
        });
      }
      if (before) {
        and.push({
          $or: [
            { createdAt: { $lt: before.createdAt } },
            { createdAt: before.createdAt, _id: { $lt: before.id } },
          ],
        });
      }
      // Top-level equalities on `terms` and `conversationId` are what both servers' planners
      // turn into index lookups; everything else filters the candidates.
      const filter: Filter<MessageDoc> = {
        terms: first,
        conversationId: { $in: scopes.map((s) => s.conversationId) },
        hiddenFor: { $ne: viewerId },
        deletedAt: { $exists: false },
        ...(and.length > 0 ? { $and: and } : {}),
      };
      const docs = await collection
        .find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray();
      return { messages: docs.slice(0, limit), hasMore: docs.length > limit };
    },

    async search(conversationId, q, opts) {
      const needle = q.trim();
      if (needle.length === 0) return [];
      return collection
        .find({
          ...visibleTo(conversationId, opts.viewerId, opts.hiddenBefore),
          deletedAt: { $exists: false },
          text: { $regex: escapeRegex(needle), $options: 'i' },
        })
        .sort({ seq: -1 })
        .limit(
          clampLimit(opts.limit, LIMITS.messageSearchLimitDefault, LIMITS.messageSearchLimitMax),
        )
        .toArray();
    },
  };
}
