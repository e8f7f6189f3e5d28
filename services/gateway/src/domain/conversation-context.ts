import { AppError } from '@chat/core';
import type { Conversation, MemberRole } from '@chat/protocol';
import type { ConversationDoc, ObjectId } from '@chat/store';
import {
  conversationForEachMember,
  requireMember,
  toConversationDtos,
} from './conversation-views.js';
import type { ConversationsServiceOptions } from './conversations.service.js';
import { hex } from './ids.js';
import type { PostSystemMessage } from './system-messages.js';

const canManage = (role: MemberRole): boolean => role === 'owner' || role === 'admin';

export type ConversationContext = ReturnType<typeof createConversationContext>;

/** What every conversation change needs: tell the members, answer the caller, check who acts. */
export function createConversationContext(options: ConversationsServiceOptions) {
  const { store, fanout } = options;
  const postSystem: PostSystemMessage = options.postSystemMessage ?? (async () => undefined);

  /** Tells every member (on every node) how the conversation looks now, each with their own cursors. */
  async function announce(conversation: ConversationDoc): Promise<void> {
    for (const { userId, conversation: dto } of await conversationForEachMember(
      store,
      conversation,
      options.counters,
    )) {
      fanout.toUsers([userId], 'conversation:updated', { conversation: dto });
    }
  }

  async function viewOf(conversation: ConversationDoc, userId: ObjectId): Promise<Conversation> {
    const membership = await store.memberships.find(conversation._id, userId);
    if (!membership) throw AppError.notFound('Conversation not found');
    const [dto] = await toConversationDtos(store, [{ conversation, membership }], options.counters);
    if (!dto) throw AppError.notFound('Conversation not found');
    return dto;
  }

  async function requireUsers(ids: readonly ObjectId[]): Promise<void> {
    const found = await store.users.findByIds(ids);
    if (found.length !== new Set(ids.map(hex)).size) {
      const known = new Set(found.map((u) => hex(u._id)));
      const missing = ids.map(hex).filter((id) => !known.has(id));
      throw new AppError('NOT_FOUND', 'User not found', { details: { userIds: missing } });
    }
  }

  async function requireManager(conversationId: ObjectId, actorId: ObjectId) {
    const view = await requireMember(store, conversationId, actorId);
    if (view.conversation.type !== 'group')
      throw AppError.forbidden('Only groups have members to manage');
    if (!canManage(view.membership.role))
      throw AppError.forbidden('Only the owner or an admin may do this');
    return view;
  }

  /** VALIDATION_FAILED at `path` when a group would exceed the configured size. */
  function requireGroupSize(members: number, path: string): void {
    if (members > options.groupMaxMembers) {
      throw AppError.validation({
        fields: [{ path, message: `A group has at most ${options.groupMaxMembers} members` }],
      });
    }
  }

  return { announce, viewOf, requireUsers, requireManager, requireGroupSize, postSystem };
}
