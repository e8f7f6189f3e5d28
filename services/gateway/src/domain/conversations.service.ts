import { AppError } from '@chat/core';
import type { Conversation, MemberRole, PatchConversationBody } from '@chat/protocol';
import {
  InvalidCursorError,
  type ConversationDoc,
  type MongoStore,
  type ObjectId,
} from '@chat/store';
import {
  conversationForEachMember,
  requireMember,
  toConversationDtos,
} from './conversation-views.js';
import { checkAvatarPatch, type Avatars } from './avatars.js';
import type { Fanout } from './fanout.js';
import { latestSeqOf, type CounterReader } from './send/latest-seq.js';
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
  /** Called after users were added to a group by someone else (notifications, issue 4). */
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

const canManage = (role: MemberRole): boolean => role === 'owner' || role === 'admin';

export function createConversationsService(options: ConversationsServiceOptions) {
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

  return {
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
      if (memberIds.length + 1 > options.groupMaxMembers) {
        throw AppError.validation({
          fields: [
            {
              path: '/memberIds',
              message: `A group has at most ${options.groupMaxMembers} members`,
            },
          ],
        });
      }
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
      if (count + userIds.length > options.groupMaxMembers) {
        throw AppError.validation({
          fields: [
            { path: '/userIds', message: `A group has at most ${options.groupMaxMembers} members` },
          ],
        });
      }
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
}
