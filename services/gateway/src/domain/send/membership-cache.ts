import { AppError } from '@chat/core';
import type { ConversationType, MongoStore, ObjectId } from '@chat/store';
import type { SendState } from '@chat/send-state';
import { hex } from '../ids.js';

/** What a node needs to know to let a user send into a conversation. */
export interface SendAccess {
  conversationId: ObjectId;
  type: ConversationType;
  memberIds: ReadonlySet<string>;
  /** Group closed by its owner, or the conversation is gone. */
  closed: boolean;
  /** Direct only: either member blocks the other. */
  blocked: boolean;
  /** The membership version (Redis) this entry was loaded at. */
  version: string;
}

/** Entries kept; each is a few hundred bytes (a group's member ids). Oldest first out. */
const MAX_ENTRIES = 20_000;

/**
 * Who may send where, answered from memory. An entry is loaded from MongoDB after reading the
 * conversation's membership version from Redis, and every send script compares that version
 * with the current one (@chat/send-state SEND_LUA): a membership change, a closed group or a
 * block bumps the version before it is answered (`invalidate`), so from then on no node
 * admits a send on an older entry. The send that finds its entry stale reloads it and retries.
 *
 * Safety rule: the version must be read BEFORE the members, so that a change landing between
 * the two reads shows up as a newer version, never as an old version with new members missing.
 *
 * Redis forgetting the version (restart, older snapshot) is handled by `clear()` on every
 * Redis reconnect (create-io wires it): a restored old version could otherwise match an entry
 * loaded before a change.
 */
export function createMembershipCache(deps: {
  store: MongoStore;
  sendState: Pick<SendState, 'versionOf' | 'bumpVersion'>;
}) {
  const { store, sendState } = deps;
  const entries = new Map<string, SendAccess>();

  function remember(entry: SendAccess): SendAccess {
    const key = hex(entry.conversationId);
    entries.delete(key);
    if (entries.size >= MAX_ENTRIES) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, entry);
    return entry;
  }

  async function load(conversationId: ObjectId): Promise<SendAccess> {
    const version = await sendState.versionOf(hex(conversationId));
    const conversation = await store.conversations.findById(conversationId);
    if (!conversation) {
      return {
        conversationId,
        type: 'group',
        memberIds: new Set(),
        closed: true,
        blocked: false,
        version,
      };
    }
    // A direct conversation's two members are its key, forever; a group's are read.
    const memberIds =
      conversation.directKey !== undefined
        ? conversation.directKey.split(':')
        : (await store.memberships.listMemberIds(conversationId)).map(hex);
    return remember({
      conversationId,
      type: conversation.type,
      memberIds: new Set(memberIds),
      closed: conversation.closedAt !== undefined,
      blocked: conversation.blocked === true,
      version,
    });
  }

  return {
    /** The cached entry, if any; its version is checked by the send script. */
    peek: (conversationId: ObjectId): SendAccess | undefined => entries.get(hex(conversationId)),

    /** A fresh entry from MongoDB (a miss, a stale version, or a refusal worth double-checking). */
    load,

    /** NOT_FOUND unless the sender is a member of an open conversation; FORBIDDEN when blocked. */
    check(access: SendAccess, senderHex: string): void {
      if (access.closed || !access.memberIds.has(senderHex))
        throw AppError.notFound('Conversation not found');
      if (access.blocked) throw AppError.forbidden('Blocked');
    },

    /** Who may send there changed: every node's entry is refused from now on. */
    async invalidate(conversationId: ObjectId): Promise<void> {
      entries.delete(hex(conversationId));
      await sendState.bumpVersion(hex(conversationId));
    },

    /** Drops every entry (Redis reconnected: its versions may have gone back). */
    clear(): void {
      entries.clear();
    },
  };
}

export type MembershipCache = ReturnType<typeof createMembershipCache>;
