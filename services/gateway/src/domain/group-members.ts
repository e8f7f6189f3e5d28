import { AppError } from '@chat/core';
import type { Conversation } from '@chat/protocol';
import type { ObjectId } from '@chat/store';
import type { ConversationContext } from './conversation-context.js';
import { requireMember } from './conversation-views.js';
import type { ConversationsServiceOptions } from './conversations.service.js';
import { hex, oid } from './ids.js';
import { latestSeqOf } from './send/latest-seq.js';

/**
 * Who is in a group and with which role: add, remove (or leave) and promote. Every change that
 * alters who may send calls onAccessChanged after the MongoDB write and before it is answered.
 */
export function createGroupMembers(options: ConversationsServiceOptions, ctx: ConversationContext) {
  const { store, fanout } = options;
  const { announce, viewOf, requireUsers, requireManager, requireGroupSize, postSystem } = ctx;

  /** When the owner leaves, the longest-standing admin (else member) becomes owner. */
  /**
   * When the owner leaves, the longest-standing admin (else member) becomes owner. Returns the
   * new owner, or undefined when nobody is left.
   */
  async function handOverOwnership(conversationId: ObjectId): Promise<ObjectId | undefined> {
    const members = await store.memberships.listMembers(conversationId);
    const heir = members.find((m) => m.role === 'admin') ?? members[0];
    if (!heir) return undefined;
    await store.memberships.setRole(conversationId, heir.userId, 'owner');
    return heir.userId;
  }

  return {
    async addMembers(
      userHex: string,
      conversationHex: string,
      userHexes: string[],
    ): Promise<Conversation> {
      const actorId = oid(userHex);
      const { conversation } = await requireManager(oid(conversationHex), actorId);
      const userIds = [...new Set(userHexes)].map((id) => oid(id, 'userIds'));
      await requireUsers(userIds);
      const count = await store.memberships.countMembers(conversation._id);
      requireGroupSize(count + userIds.length, '/userIds');
      // New members start "caught up": old history is readable but not unread.
      const startSeq = await latestSeqOf(conversation, options.counters);
      const added = await store.memberships.addMany(
        conversation._id,
        userIds.map((id) => ({ userId: id, role: 'member' as const, startSeq })),
      );
      if (added.length > 0) {
        await options.onAccessChanged?.(conversation._id);
        await fanout.joinConversation(added.map(hex), hex(conversation._id));
        await store.conversations.touchActivity(conversation._id);
        await announce(conversation);
        await postSystem(conversation._id, { type: 'member_added', actorId, userIds: added });
        await options.onMembersAdded?.({ conversation, addedBy: actorId, userIds: added });
      }
      return viewOf(conversation, actorId);
    },

    /** Owner/admin removes someone; any member may remove itself (leave). */
    async removeMember(userHex: string, conversationHex: string, targetHex: string): Promise<void> {
      const actorId = oid(userHex);
      const targetId = oid(targetHex, 'userId');
      const leaving = actorId.equals(targetId);
      const view = leaving
        ? await requireMember(store, oid(conversationHex), actorId)
        : await requireManager(oid(conversationHex), actorId);
      const { conversation } = view;
      if (conversation.type !== 'group')
        throw AppError.forbidden('Cannot leave a direct conversation');
      const target = leaving
        ? view.membership
        : await store.memberships.find(conversation._id, targetId);
      if (!target) throw AppError.notFound('Not a member');
      if (
        !leaving &&
        (target.role === 'owner' || (target.role === 'admin' && view.membership.role !== 'owner'))
      ) {
        throw AppError.forbidden(
          'Only the owner may remove an admin, and nobody removes the owner',
        );
      }
      await store.memberships.remove(conversation._id, targetId);
      await options.onAccessChanged?.(conversation._id);
      await fanout.leaveConversation([targetHex], hex(conversation._id));
      fanout.toUsers([targetHex], 'conversation:removed', {
        conversationId: hex(conversation._id),
      });
      const heir = target.role === 'owner' ? await handOverOwnership(conversation._id) : undefined;
      await store.conversations.touchActivity(conversation._id);
      await announce(conversation);
      // After the leave: the member who is gone gets `conversation:removed`, not this line.
      await postSystem(
        conversation._id,
        leaving
          ? { type: 'member_left', actorId }
          : { type: 'member_removed', actorId, userIds: [targetId] },
      );
      // Who holds the group now, right after the owner's "left" line.
      if (heir)
        await postSystem(conversation._id, {
          type: 'role_changed',
          actorId,
          userIds: [heir],
          role: 'owner',
        });
    },

    async setRole(
      userHex: string,
      conversationHex: string,
      targetHex: string,
      role: 'admin' | 'member',
    ) {
      const actorId = oid(userHex);
      const view = await requireMember(store, oid(conversationHex), actorId);
      if (view.conversation.type !== 'group' || view.membership.role !== 'owner') {
        throw AppError.forbidden('Only the owner may change roles');
      }
      const targetId = oid(targetHex, 'userId');
      if (targetId.equals(actorId))
        throw AppError.forbidden('The owner cannot change their own role');
      const before = await store.memberships.find(view.conversation._id, targetId);
      const updated = await store.memberships.setRole(view.conversation._id, targetId, role);
      if (!before || !updated) throw AppError.notFound('Not a member');
      await announce(view.conversation);
      if (before.role !== role) {
        await postSystem(view.conversation._id, {
          type: 'role_changed',
          actorId,
          userIds: [targetId],
          role,
        });
      }
      return viewOf(view.conversation, actorId);
    },
  };
}
