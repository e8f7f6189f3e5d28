import { AppError } from '@chat/core';
import type { PatchMeBody, User } from '@chat/protocol';
import { toUserDto, type MongoStore } from '@chat/store';
import type { Fanout } from './fanout.js';
import { checkAvatarPatch, type Avatars } from './avatars.js';
import { hex, oid } from './ids.js';

export type ProfileService = ReturnType<typeof createProfileService>;

export interface ProfileServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  avatars: Avatars;
}

/**
 * Display name and avatar (docs/PROTOCOL.md#section-7). The avatar is one of the caller's own image uploads
 * (avatars.ts). Contacts (everyone sharing a conversation) get `user:updated` through their
 * conversation rooms.
 */
export function createProfileService({ store, fanout, avatars }: ProfileServiceOptions) {
  return {
    async update(userHex: string, patch: PatchMeBody): Promise<User> {
      checkAvatarPatch(patch);
      const userId = oid(userHex);
      const avatarUrl =
        patch.avatarAttachmentId !== undefined
          ? await avatars.fromUpload(userId, patch.avatarAttachmentId)
          : undefined;
      const displayName = patch.displayName?.trim();
      if (patch.displayName !== undefined && !displayName) {
        throw AppError.validation({
          fields: [{ path: '/displayName', message: 'Display name cannot be blank' }],
        });
      }
      let doc = await store.users.updateProfile(userId, {
        ...(displayName ? { displayName } : {}),
        ...(avatarUrl ? { avatarUrl } : {}),
      });
      if (patch.avatarUrl === null) doc = await store.users.clearAvatar(userId);
      if (!doc) throw AppError.notFound('User not found');
      const user = toUserDto(doc);
      const conversations = await store.memberships.listConversationIdsOfUser(userId);
      fanout.toConversations(conversations.map(hex), 'user:updated', { user });
      return user;
    },
  };
}
