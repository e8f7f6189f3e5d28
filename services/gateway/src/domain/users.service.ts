import { AppError } from '@chat/core';
import type { User, UserWithPresence } from '@chat/protocol';
import { toUserDto, type MongoStore, type ObjectId } from '@chat/store';
import { hex, oid } from './ids.js';

/** Presence lookup; the Redis presence store implements it. */
export interface PresenceReader {
  query(
    userIds: string[],
  ): Promise<Array<{ userId: string; online: boolean; lastSeen?: string; devices: number }>>;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService({
  store,
  presence,
  onAccessChanged,
}: {
  store: MongoStore;
  presence?: PresenceReader;
  /** A block changes who may send into the pair's direct conversation (conversations.service). */
  onAccessChanged?: (conversationId: ObjectId) => Promise<void>;
}) {
  async function blockChanged(a: ObjectId, b: ObjectId): Promise<void> {
    const direct = await store.conversations.findDirect(a, b);
    if (direct) await onAccessChanged?.(direct._id);
  }

  return {
    async me(userHex: string): Promise<User> {
      const doc = await store.users.findById(oid(userHex));
      if (!doc) throw AppError.notFound('User not found');
      return toUserDto(doc);
    },

    async search(query: string, limit: number): Promise<{ users: User[] }> {
      const docs = await store.users.searchByPrefix(query, limit);
      return { users: docs.map(toUserDto) };
    },

    async get(userHex: string): Promise<UserWithPresence> {
      const doc = await store.users.findById(oid(userHex));
      if (!doc) throw AppError.notFound('User not found');
      const [state] = presence ? await presence.query([userHex]) : [];
      const lastSeen = state?.lastSeen ?? doc.lastSeenAt?.toISOString();
      return {
        ...toUserDto(doc),
        presence: { online: state?.online ?? false, ...(lastSeen ? { lastSeen } : {}) },
      };
    },

    /** Whom the user blocked, newest first (the web app shows its notice from this, on every device). */
    async blocked(userHex: string): Promise<{ users: User[] }> {
      const ids = await store.blocks.listBlockedBy(oid(userHex));
      const byId = new Map((await store.users.findByIds(ids)).map((u) => [hex(u._id), u]));
      const users = ids.flatMap((id) => {
        const doc = byId.get(hex(id));
        return doc ? [toUserDto(doc)] : [];
      });
      return { users };
    },

    async block(userHex: string, targetHex: string): Promise<void> {
      const target = oid(targetHex);
      if (target.equals(oid(userHex))) {
        throw AppError.validation({ fields: [{ path: '/id', message: 'Cannot block yourself' }] });
      }
      if (!(await store.users.findById(target))) throw AppError.notFound('User not found');
      await store.blocks.block(oid(userHex), target);
      await blockChanged(oid(userHex), target);
    },

    async unblock(userHex: string, targetHex: string): Promise<void> {
      await store.blocks.unblock(oid(userHex), oid(targetHex));
      await blockChanged(oid(userHex), oid(targetHex));
    },
  };
}
