import { AppError } from '@chat/core';
import type { ConversationDoc, MembershipDoc, MongoStore, ObjectId } from '@chat/store';
import { requireMember } from './conversation-views.js';
import { hex, oid } from './ids.js';

/** The parts of a conversation that never change after it is created. */
export interface ConversationKind {
  type: ConversationDoc['type'];
  /** Direct only: `<id>:<id>` of its two members. */
  directKey?: string;
}

export interface SendAccess {
  conversationId: ObjectId;
  kind: ConversationKind;
  /** Read on a first send; later sends read it only when a reply needs it. */
  membership?: MembershipDoc;
  /** A group's members, read to check the sender: the offline hand-off needs them too. */
  memberIds?: ObjectId[];
}

/** Entries kept; each is a few dozen bytes. Oldest first out. */
const MAX_KINDS = 50_000;

/**
 * Who may send where, in as few Mongo commands as the rules allow (each costs 200–400 µs of
 * driver CPU here). Direct conversations never change members and are never closed
 * (conversations.service refuses both), so once a node has seen one, its key answers
 * "is the sender a member" without a read. A group's member ids are read on every send (one
 * read serves the check and the offline hand-off). What can
 * change on the conversation document itself (a group closed, a block between the two members
 * of a direct one) is refused by allocateSeq, whose filter only matches writable conversations.
 */
export function createSendAccess(store: MongoStore) {
  const kinds = new Map<string, ConversationKind>();

  function remember(conversation: ConversationDoc): ConversationKind {
    const kind: ConversationKind =
      conversation.directKey === undefined
        ? { type: conversation.type }
        : { type: conversation.type, directKey: conversation.directKey };
    if (kinds.size >= MAX_KINDS) {
      const oldest = kinds.keys().next();
      if (!oldest.done) kinds.delete(oldest.value);
    }
    kinds.set(hex(conversation._id), kind);
    return kind;
  }

  return {
    /** NOT_FOUND unless the sender is a member (closed and blocked: see allocateSeq). */
    async check(conversationId: ObjectId, senderId: ObjectId): Promise<SendAccess> {
      const known = kinds.get(hex(conversationId));
      if (known?.type === 'direct') {
        if (!known.directKey?.split(':').includes(hex(senderId)))
          throw AppError.notFound('Conversation not found');
        return { conversationId, kind: known };
      }
      if (known) {
        // One read answers both "is the sender a member" and "who gets it" (offline hand-off).
        const memberIds = await store.memberships.listMemberIds(conversationId);
        if (!memberIds.some((id) => id.equals(senderId)))
          throw AppError.notFound('Conversation not found');
        return { conversationId, kind: known, memberIds };
      }
      const view = await requireMember(store, conversationId, senderId);
      return { conversationId, kind: remember(view.conversation), membership: view.membership };
    },

    /** The sender's membership (reply visibility needs its hiddenBefore). */
    async membershipOf(access: SendAccess, senderId: ObjectId): Promise<MembershipDoc> {
      if (access.membership) return access.membership;
      const membership = await store.memberships.find(access.conversationId, senderId);
      if (!membership) throw AppError.notFound('Conversation not found');
      return membership;
    },

    /** Member ids for the offline hand-off; a direct conversation's two are in its key. */
    async memberIds(access: SendAccess): Promise<ObjectId[]> {
      const { kind } = access;
      if (access.memberIds) return access.memberIds;
      if (kind.type === 'direct' && kind.directKey)
        return kind.directKey.split(':').map((id) => oid(id));
      return store.memberships.listMemberIds(access.conversationId);
    },
  };
}
