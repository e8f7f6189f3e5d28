import { AppError } from '@chat/core';
import type { Message, SearchResponse } from '@chat/protocol';
import {
  decodeActivityCursor,
  encodeActivityCursor,
  termsOf,
  type MessageDoc,
  type MongoStore,
} from '@chat/store';
import { hex, oid } from './ids.js';

export type SearchService = ReturnType<typeof createSearchService>;

/** Words of a query that count: more only narrow a result that is already tiny. */
const MAX_QUERY_TERMS = 8;

/**
 * `GET /api/search` (docs/PROTOCOL.md#section-7): every word of the query, across the caller's conversations,
 * newest first, with the visibility rules of history: only conversations the caller is a member
 * of now (a removed member's old ones are gone with the membership), not closed groups, nothing
 * before their hiddenBefore, nothing they deleted for themselves, no tombstones.
 * Cost: the caller's memberships (2 reads, batched), their conversations (1, for closed groups),
 * one indexed message query (search-terms.ts), and the DTOs' attachments/reactions.
 */
export function createSearchService({
  store,
  toDtos,
}: {
  store: MongoStore;
  toDtos: (docs: readonly MessageDoc[]) => Promise<Message[]>;
}) {
  return {
    async search(
      userHex: string,
      input: { q: string; limit: number; cursor?: string },
    ): Promise<SearchResponse> {
      const terms = termsOf(input.q, MAX_QUERY_TERMS);
      // Punctuation only: nothing is indexed under it, so nothing can match.
      if (terms.length === 0) return { results: [] };
      let before: { createdAt: Date; id: MessageDoc['_id'] } | undefined;
      if (input.cursor !== undefined) {
        // Same opaque (time, id) shape as the conversation list's cursor.
        const decoded = decodeActivityCursor(input.cursor);
        if (!decoded)
          throw AppError.validation({ fields: [{ path: '/cursor', message: 'Invalid cursor' }] });
        before = { createdAt: decoded.lastActivityAt, id: decoded.id };
      }
      const userId = oid(userHex);
      const ids = await store.memberships.listConversationIdsOfUser(userId);
      const [memberships, conversations] = await Promise.all([
        store.memberships.findForUser(userId, ids),
        store.conversations.findByIds(ids),
      ]);
      const open = new Set(conversations.filter((c) => !c.closedAt).map((c) => hex(c._id)));
      const scopes = memberships
        .filter((m) => open.has(hex(m.conversationId)))
        .map((m) => ({
          conversationId: m.conversationId,
          ...(m.hiddenBefore !== undefined ? { hiddenBefore: m.hiddenBefore } : {}),
        }));
      const page = await store.messages.searchAcross({
        terms,
        scopes,
        viewerId: userId,
        limit: input.limit,
        ...(before ? { before } : {}),
      });
      const dtos = await toDtos(page.messages);
      const last = page.messages.at(-1);
      return {
        results: dtos.map((message) => ({ message, conversationId: message.conversationId })),
        ...(page.hasMore && last
          ? { nextCursor: encodeActivityCursor({ lastActivityAt: last.createdAt, id: last._id }) }
          : {}),
      };
    },
  };
}
