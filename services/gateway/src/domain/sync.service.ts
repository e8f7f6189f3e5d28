import type { Conversation, Message } from '@chat/protocol';
import type { ConversationDoc, MembershipDoc, MessageDoc, MongoStore, ObjectId } from '@chat/store';
import { toConversationDtos } from './conversation-views.js';
import { withLatestSeqs, type CounterReader } from './send/latest-seq.js';
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
   * Addition to docs/PROTOCOL.md#section-3: cursors naming conversations the user no longer belongs to
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
  /** The Redis seq counters: `seq` counts what MongoDB's written-behind copy does not have yet. */
  counters?: CounterReader;
}

export type SyncService = ReturnType<typeof createSyncService>;

/** Up to this many cursors, pages are read before the membership check answers (see sync). */
const EARLY_PAGE_CURSORS = 4;

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
      options.counters,
    );
  }

  /** The page after `seq` as this member may see it (messages before hiddenBefore never). */
  function pageFor(
    conversationId: ObjectId,
    userId: ObjectId,
    seq: number,
    limit: number,
    hiddenBefore: number | undefined,
  ) {
    return store.messages.history(conversationId, {
      viewerId: userId,
      after: seq,
      limit,
      ...(hiddenBefore !== undefined ? { hiddenBefore } : {}),
    });
  }

  return {
    async sync(
      userHex: string,
      input: { cursors: Array<{ conversationId: string; seq: number }>; limit?: number },
    ): Promise<SyncResult> {
      const userId = oid(userHex);
      const limit = input.limit ?? options.defaultLimit;
      const cursors = new Map(input.cursors.map((c) => [c.conversationId, c.seq]));
      const cursorIds = [...cursors.keys()].map((id) => oid(id, 'conversationId'));
      // A client paging through one or a few conversations (the catch-up loop) gets its pages
      // read alongside the membership check instead of after it: one round trip less per page.
      // The reads are dropped unless the membership allows them, and bounded, so a client
      // naming many conversations it is not in cannot make the server read their messages.
      const early =
        cursors.size <= EARLY_PAGE_CURSORS
          ? new Map(
              [...cursors].map(([id, seq]) => {
                const page = pageFor(oid(id, 'conversationId'), userId, seq, limit, undefined);
                page.catch(() => undefined); // awaited below or dropped
                return [id, page] as const;
              }),
            )
          : new Map<string, ReturnType<typeof pageFor>>();
      const [memberships, allMine, conversations] = await Promise.all([
        store.memberships.findForUser(userId, cursorIds),
        store.memberships.listConversationIdsOfUser(userId),
        store.conversations
          .findByIds(cursorIds)
          .then((found) => withLatestSeqs(found, options.counters)),
      ]);
      const mine = new Map<string, MembershipDoc>(
        memberships.map((m) => [hex(m.conversationId), m]),
      );
      const open = new Map<string, ConversationDoc>(
        conversations
          .filter((c) => !c.closedAt && mine.has(hex(c._id)))
          .map((c) => [hex(c._id), c]),
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
          const { hiddenBefore } = membership;
          // The early read did not know hiddenBefore: usable only when it hides nothing here.
          const read =
            hiddenBefore === undefined || hiddenBefore <= seq
              ? early.get(conversationId)
              : undefined;
          return [
            (async () => {
              const page = await (read ??
                pageFor(conversation._id, userId, seq, limit, hiddenBefore));
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
