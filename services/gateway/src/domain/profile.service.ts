import { AppError } from '@chat/core';
import type { PatchMeBody, User } from '@chat/protocol';
import { toUserDto, type MongoStore } from '@chat/store';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';

export type ProfileService = ReturnType<typeof createProfileService>;

/** The public, stable path of an avatar (signed file links expire; an avatar must not). */
export const avatarPath = (attachmentId: string): string => `/avatars/${attachmentId}`;

export interface ProfileServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  /**
   * Largest image accepted as an avatar. The bytes are kept as uploaded (no image library is
   * installed to crop or resize them), so this cap is what keeps avatars cheap. @default 2 MiB
   */
  avatarMaxBytes?: number;
}

/**
 * Display name and avatar (PROTOCOL §7). The avatar is one of the caller's own image uploads;
 * it is then served at /avatars/<id> without a signature, but only while it is somebody's avatar.
 * Contacts (everyone sharing a conversation) get `user:updated` through their conversation rooms.
 */
export function createProfileService({
  store,
  fanout,
  avatarMaxBytes = 2 * 1024 * 1024,
}: ProfileServiceOptions) {
  return {
    async update(userHex: string, patch: PatchMeBody): Promise<User> {
      if (patch.avatarAttachmentId !== undefined && patch.avatarUrl === null) {
        throw AppError.validation({
          fields: [{ path: '/avatarUrl', message: 'Set an avatar or remove it, not both' }],
        });
      }
      const userId = oid(userHex);
      let avatarUrl: string | undefined;
      if (patch.avatarAttachmentId !== undefined) {
        const att = await store.attachments.findById(oid(patch.avatarAttachmentId));
        // Someone else's upload is as unknown as a missing one.
        if (!att || !att.uploaderId.equals(userId)) throw AppError.notFound('Attachment not found');
        if (att.kind !== 'image') throw AppError.unsupportedMediaType('An avatar must be an image');
        if (att.size > avatarMaxBytes)
          throw AppError.payloadTooLarge(`Avatars may be at most ${avatarMaxBytes} bytes`, {
            maxBytes: avatarMaxBytes,
          });
        avatarUrl = avatarPath(hex(att._id));
      }
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

    /** The attachment id behind /avatars/:id, only while it is somebody's avatar. */
    async avatarAttachment(attachmentHex: string) {
      if (!(await store.users.isAvatarInUse(avatarPath(attachmentHex))))
        throw AppError.notFound('Avatar not found');
      const att = await store.attachments.findById(oid(attachmentHex));
      if (!att || att.kind !== 'image') throw AppError.notFound('Avatar not found');
      return att;
    },
  };
}
