import type { Conversation } from '@chat/protocol';
import {
  toConversationDto,
  type ConversationDoc,
  type MembershipDoc,
  type MongoStore,
  type UserDoc,
} from '@chat/store';
import { AppError } from '@chat/core';
import type { ObjectId } from '@chat/store';
import { hex } from './ids.js';
import { withLatestSeqs, type CounterReader } from './send/latest-seq.js';

export interface MemberView {
  conversation: ConversationDoc;
  membership: MembershipDoc;
}

/**
 * Access rule shared by every conversation-scoped request: the conversation exists, is
 * open, and the caller is a member. Anything else is NOT_FOUND, so outsiders cannot
 * even learn that a conversation exists (docs/PROTOCOL.md#section-1).
 */
export async function requireMember(
  store: MongoStore,
  conversationId: ObjectId,
  userId: ObjectId,
): Promise<MemberView> {
  const [conversation, membership] = await Promise.all([
    store.conversations.findById(conversationId),
    store.memberships.find(conversationId, userId),
  ]);
  if (!conversation || conversation.closedAt || !membership)
    throw AppError.notFound('Conversation not found');
  return { conversation, membership };
}

/**
 * Builds conversation DTOs for one viewer with two extra queries in total (members of
 * every listed conversation, then their users), not two per conversation.
 */
export async function toConversationDtos(
  store: MongoStore,
  views: readonly MemberView[],
  counters?: CounterReader,
): Promise<Conversation[]> {
  if (views.length === 0) return [];
  const ids = views.map((v) => v.conversation._id);
  const [members, latest] = await Promise.all([
    store.memberships.listMembersOf(ids),
    withLatestSeqs(
      views.map((v) => v.conversation),
      counters,
    ),
  ]);
  const byConversation = new Map<string, MembershipDoc[]>();
  for (const m of members) {
    const key = hex(m.conversationId);
    const list = byConversation.get(key);
    if (list) list.push(m);
    else byConversation.set(key, [m]);
  }
  const users = await store.users.findByIds([
    ...new Map(members.map((m) => [hex(m.userId), m.userId])).values(),
  ]);
  const usersById = new Map<string, UserDoc>(users.map((u) => [hex(u._id), u]));
  return views.map((v, i) =>
    toConversationDto({
      conversation: latest[i] ?? v.conversation,
      members: byConversation.get(hex(v.conversation._id)) ?? [],
      usersById,
      viewer: v.membership,
    }),
  );
}

/** The same conversation as each member sees it (their own readSeq/unreadCount). */
export async function conversationForEachMember(
  store: MongoStore,
  stored: ConversationDoc,
  counters?: CounterReader,
): Promise<Array<{ userId: string; conversation: Conversation }>> {
  const [members, [conversation = stored]] = await Promise.all([
    store.memberships.listMembers(stored._id),
    withLatestSeqs([stored], counters),
  ]);
  const users = await store.users.findByIds(members.map((m) => m.userId));
  const usersById = new Map<string, UserDoc>(users.map((u) => [hex(u._id), u]));
  return members.map((viewer) => ({
    userId: hex(viewer.userId),
    conversation: toConversationDto({ conversation, members, usersById, viewer }),
  }));
}
