import { AppError } from '@chat/core';
import type { AttachmentDoc, MongoStore, ObjectId } from '@chat/store';
import { hex, oid } from './ids.js';

/** The public, stable path of an avatar (signed file links expire; an avatar must not). */
export const avatarPath = (attachmentId: string): string => `/avatars/${attachmentId}`;

export type Avatars = ReturnType<typeof createAvatars>;

/**
 * A patch either sets an avatar from an upload or removes it (`avatarUrl: null`), not both.
 * A literal `/avatars/…` link is refused: it would make /avatars serve an upload that passed
 * none of the checks of `fromUpload` (someone else's image, seen in a chat, made public).
 */
export function checkAvatarPatch(patch: {
  avatarAttachmentId?: string;
  avatarUrl?: string | null;
}): void {
  if (patch.avatarAttachmentId !== undefined && patch.avatarUrl !== undefined) {
    throw AppError.validation({
      fields: [{ path: '/avatarUrl', message: 'Set an avatar or remove it, not both' }],
    });
  }
  if (typeof patch.avatarUrl === 'string' && patch.avatarUrl.startsWith(avatarPath(''))) {
    throw AppError.validation({
      fields: [{ path: '/avatarUrl', message: 'Use avatarAttachmentId for an uploaded photo' }],
    });
  }
}

export interface AvatarsOptions {
  store: MongoStore;
  /**
   * Largest image accepted as an avatar. The bytes are kept as uploaded (no image library is
   * installed to crop or resize them), so this cap is what keeps avatars cheap. @default 2 MiB
   */
  maxBytes?: number;
}

/**
 * Avatars of users (PATCH /api/users/me) and group photos (PATCH /api/conversations/:id), both
 * taken from one of the caller's own image uploads and served at /avatars/<id> without a
 * signature (an <img> sends no token), but only while a user or an open group shows it.
 */
export function createAvatars({ store, maxBytes = 2 * 1024 * 1024 }: AvatarsOptions) {
  return {
    /** The avatar URL of the caller's upload, after the checks every avatar must pass. */
    async fromUpload(uploaderId: ObjectId, attachmentHex: string): Promise<string> {
      const att = await store.attachments.findById(oid(attachmentHex, 'avatarAttachmentId'));
      // Someone else's upload is as unknown as a missing one.
      if (!att || !att.uploaderId.equals(uploaderId))
        throw AppError.notFound('Attachment not found');
      if (att.kind !== 'image') throw AppError.unsupportedMediaType('An avatar must be an image');
      if (att.size > maxBytes)
        throw AppError.payloadTooLarge(`Avatars may be at most ${maxBytes} bytes`, { maxBytes });
      return avatarPath(hex(att._id));
    },

    /** The attachment behind /avatars/:id, only while it is somebody's avatar or a group's photo. */
    async servable(attachmentHex: string): Promise<AttachmentDoc> {
      const url = avatarPath(attachmentHex);
      const inUse =
        (await store.users.isAvatarInUse(url)) || (await store.conversations.isAvatarInUse(url));
      if (!inUse) throw AppError.notFound('Avatar not found');
      const att = await store.attachments.findById(oid(attachmentHex));
      if (!att || att.kind !== 'image') throw AppError.notFound('Avatar not found');
      return att;
    },
  };
}
