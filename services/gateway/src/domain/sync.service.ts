import type { Conversation, Message } from '@chat/protocol';
import type { ConversationDoc, MembershipDoc, MessageDoc, MongoStore, ObjectId } from '@chat/store';
import { toConversationDtos } from './conversation-views.js';
import { hex, oid } from './ids.js';

export interface SyncResult {
  conversations: Array<{
    conversationId: string;
    messages: Message[];
    hasMore: boolean;
    seq: number;
    readSeq: number;
  }>;
  /** Conversations of the user that the client did not name in its cursors (joined meanwhile). */
  changed: Conversation[];
  /**
   * Addition to PROTOCOL §3: cursors naming conversations the user no longer belongs to
   * (removed, left, or the group was closed while the client was away).
   */
  removed: string[];
}

export interface SyncServiceOptions {
  store: MongoStore;
  toMessageDtos: (docs: MessageDoc[]) => Promise<Message[]>;
  /** Messages per conversation. @default 100 */
  defaultLimit: number;
  /** Most conversations reported in `changed`. @default 100 */
  maxChanged: number;
}

export type SyncService = ReturnType<typeof createSyncService>;

/**
 * Catch-up after any outage: for each cursor the messages after it (oldest first), plus
 * conversations the client does not know yet. A client that calls this after every
 * reconnect misses nothing, because seq is the only order and history is kept.
 */
export function createSyncService(options: SyncServiceOptions) {
  const { store } = options;

  /** The user's open conversations among `ids`, as DTOs (none to load: no query). */
  async function conversationsNew(
    userId: ObjectId,
    ids: readonly ObjectId[],
  ): Promise<Conversation[]> {
    if (ids.length === 0) return [];
    const [found, memberships] = await Promise.all([
      store.conversations.findByIds(ids),
      store.memberships.findForUser(userId, ids),
    ]);
    const byConversation = new Map(memberships.map((m) => [hex(m.conversationId), m]));
    return toConversationDtos(
      store,
      found.flatMap((conversation) => {
        const membership = byConversation.get(hex(conversation._id));
        return !conversation.closedAt && membership ? [{ conversation, membership }] : [];
      }),
    );
  }

  return {
    async sync(
      userHex: string,
      input: { cursors: Array<{ conversationId: string; seq: number }>; limit?: number },
    ): Promise<SyncResult> {
      const userId = oid(userHex);
      const limit = input.limit ?? options.defaultLimit;
      const cursors = new Map(input.cursors.map((c) => [c.conversationId, c.seq]));
      const [memberships, allMine] = await Promise.all([
        store.memberships.findForUser(
          userId,
          [...cursors.keys()].map((id) => oid(id, 'conversationId')),
        ),
        store.memberships.listConversationIdsOfUser(userId),
      ]);
      const conversations = await store.conversations.findByIds(
        memberships.map((m) => m.conversationId),
      );
      const open = new Map<string, ConversationDoc>(
        conversations.filter((c) => !c.closedAt).map((c) => [hex(c._id), c]),
      );
      const mine = new Map<string, MembershipDoc>(
        memberships.map((m) => [hex(m.conversationId), m]),
      );

      // Conversations the client has no cursor for load alongside the pages, not after them.
      const unknownIds = allMine.filter((id) => !cursors.has(hex(id))).slice(0, options.maxChanged);
      const changedPromise = conversationsNew(userId, unknownIds);
      changedPromise.catch(() => undefined); // awaited below; a page failure must not leave it unhandled
      const results = await Promise.all(
        [...cursors].flatMap(([conversationId, seq]) => {
          const conversation = open.get(conversationId);
          const membership = mine.get(conversationId);
          if (!conversation || !membership) return [];
          return [
            (async () => {
              const page = await store.messages.history(conversation._id, {
                viewerId: userId,
                after: seq,
                limit,
                ...(membership.hiddenBefore !== undefined
                  ? { hiddenBefore: membership.hiddenBefore }
                  : {}),
              });
              return {
                conversationId,
                messages: await options.toMessageDtos(page.messages),
                hasMore: page.hasMore,
                seq: conversation.seq,
                readSeq: Math.min(membership.readSeq, conversation.seq),
              };
            })(),
          ];
        }),
      );
      const removed = [...cursors.keys()].filter((id) => !open.has(id) || !mine.has(id));

      const changed = await changedPromise;
      return { conversations: results, changed, removed };
    },
  };
}
