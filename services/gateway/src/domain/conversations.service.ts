import { AppError } from '@chat/core';
import type { Conversation, PatchConversationBody } from '@chat/protocol';
import {
  InvalidCursorError,
  type ConversationDoc,
  type MongoStore,
  type ObjectId,
} from '@chat/store';
import { checkAvatarPatch, type Avatars } from './avatars.js';
import { createConversationContext } from './conversation-context.js';
import { requireMember, toConversationDtos } from './conversation-views.js';
import { createGroupMembers } from './group-members.js';
import type { Fanout } from './fanout.js';
import type { CounterReader } from './send/latest-seq.js';
import { hex, oid } from './ids.js';
import type { PostSystemMessage } from './system-messages.js';

export interface ConversationsServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  /** Members per group, owner included. @default 200 */
  groupMaxMembers: number;
  /**
   * Who may send into the conversation changed (members, closed): called after the MongoDB
   * write and before the change is answered, so no node admits a send on what it cached
   * before (send/membership-cache.ts).
   */
  onAccessChanged?: (conversationId: ObjectId) => Promise<void>;
  /** The Redis seq counters: DTOs count what MongoDB's written-behind seq does not have yet. */
  counters?: CounterReader;
  /** Called after users were added to a group by someone else (notifications). */
  onMembersAdded?: (input: {
    conversation: ConversationDoc;
    addedBy: ObjectId;
    userIds: ObjectId[];
  }) => Promise<void>;
  /** Stores and fans out the system message of a change (system-messages.ts). */
  postSystemMessage?: PostSystemMessage;
  /** Group photos from the caller's own image upload (avatars.ts). */
  avatars: Avatars;
}

export type ConversationsService = ReturnType<typeof createConversationsService>;

/** Direct conversations, groups and their lifecycle; membership changes in group-members.ts. */
export function createConversationsService(options: ConversationsServiceOptions) {
  const { store, fanout } = options;
  const ctx = createConversationContext(options);
  const { announce, viewOf, requireUsers, requireManager, requireGroupSize, postSystem } = ctx;

  return {
    ...createGroupMembers(options, ctx),

    async openDirect(
      userHex: string,
      otherHex: string,
    ): Promise<{ conversation: Conversation; created: boolean }> {
      const userId = oid(userHex);
      const otherId = oid(otherHex, 'userId');
      if (userId.equals(otherId)) {
        throw AppError.validation({
          fields: [{ path: '/userId', message: 'Cannot open a direct conversation with yourself' }],
        });
      }
      if (!(await store.users.findById(otherId))) throw AppError.notFound('User not found');
      if (await store.blocks.isBlockedEitherWay(userId, otherId))
        throw AppError.forbidden('Blocked');
      const { conversation, created } = await store.conversations.getOrCreateDirect(
        userId,
        otherId,
      );
      // Idempotent, so concurrent callers on several nodes may all run it safely.
      const added = await store.memberships.addMany(conversation._id, [
        { userId, role: 'member' },
        { userId: otherId, role: 'member' },
      ]);
      if (added.length > 0) {
        await fanout.joinConversation(added.map(hex), hex(conversation._id));
        await announce(conversation);
      }
      return { conversation: await viewOf(conversation, userId), created };
    },

    async createGroup(
      ownerHex: string,
      input: { title: string; memberIds: string[] },
    ): Promise<Conversation> {
      const ownerId = oid(ownerHex);
      const memberIds = [...new Set(input.memberIds)]
        .filter((id) => id !== ownerHex)
        .map((id) => oid(id, 'memberIds'));
      requireGroupSize(memberIds.length + 1, '/memberIds');
      await requireUsers(memberIds);
      const title = input.title.trim();
      if (!title)
        throw AppError.validation({
          fields: [{ path: '/title', message: 'Title must not be blank' }],
        });
      const conversation = await store.conversations.createGroup({ title, createdBy: ownerId });
      await store.memberships.addMany(conversation._id, [
        { userId: ownerId, role: 'owner' },
        ...memberIds.map((userId) => ({ userId, role: 'member' as const })),
      ]);
      await fanout.joinConversation([ownerHex, ...memberIds.map(hex)], hex(conversation._id));
      await announce(conversation);
      if (memberIds.length > 0)
        await options.onMembersAdded?.({ conversation, addedBy: ownerId, userIds: memberIds });
      return viewOf(conversation, ownerId);
    },

    async list(userHex: string, query: { limit?: number; cursor?: string }) {
      try {
        const page = await store.conversations.listForUser(oid(userHex), query);
        const conversations = await toConversationDtos(store, page.items, options.counters);
        return page.nextCursor ? { conversations, nextCursor: page.nextCursor } : { conversations };
      } catch (err) {
        if (err instanceof InvalidCursorError) {
          throw AppError.validation({ fields: [{ path: '/cursor', message: 'Invalid cursor' }] });
        }
        throw err;
      }
    },

    async get(userHex: string, conversationHex: string): Promise<Conversation> {
      const view = await requireMember(store, oid(conversationHex), oid(userHex));
      const [dto] = await toConversationDtos(store, [view], options.counters);
      if (!dto) throw AppError.notFound('Conversation not found');
      return dto;
    },

    /** Title and group photo (owner/admin); each real change gets its system line. */
    async patch(userHex: string, conversationHex: string, patch: PatchConversationBody) {
      const actorId = oid(userHex);
      const view = await requireManager(oid(conversationHex), actorId);
      const title = patch.title?.trim();
      if (patch.title !== undefined && !title) {
        throw AppError.validation({
          fields: [{ path: '/title', message: 'Title must not be blank' }],
        });
      }
      checkAvatarPatch(patch);
      const avatarUrl =
        patch.avatarAttachmentId !== undefined
          ? await options.avatars.fromUpload(actorId, patch.avatarAttachmentId)
          : patch.avatarUrl;
      const updated = await store.conversations.patch(view.conversation._id, { title, avatarUrl });
      if (!updated) throw AppError.notFound('Conversation not found');
      await announce(updated);
      if (title !== undefined && title !== view.conversation.title)
        await postSystem(updated._id, { type: 'renamed', actorId, title });
      if (avatarUrl !== undefined && updated.avatarUrl !== view.conversation.avatarUrl) {
        await postSystem(updated._id, {
          type: 'avatar_changed',
          actorId,
          ...(updated.avatarUrl ? { avatarUrl: updated.avatarUrl } : {}),
        });
      }
      return viewOf(updated, actorId);
    },

    /** The owner closes a group: history stays stored but is no longer served. */
    async close(userHex: string, conversationHex: string): Promise<void> {
      const actorId = oid(userHex);
      const view = await requireMember(store, oid(conversationHex), actorId);
      if (view.conversation.type !== 'group' || view.membership.role !== 'owner') {
        throw AppError.forbidden('Only the owner may delete a group');
      }
      const memberIds = (await store.memberships.listMemberIds(view.conversation._id)).map(hex);
      if (!(await store.conversations.close(view.conversation._id)))
        throw AppError.notFound('Conversation not found');
      // Closed for sends, but members still get this before `conversation:removed`.
      await postSystem(view.conversation._id, { type: 'closed', actorId });
      await options.onAccessChanged?.(view.conversation._id);
      const conversationId = hex(view.conversation._id);
      await fanout.leaveConversation(memberIds, conversationId);
      fanout.toUsers(memberIds, 'conversation:removed', { conversationId });
    },
  };
}
