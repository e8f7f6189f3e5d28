import { Type, type Static } from '@sinclair/typebox';
import { DisplayName } from './fields.js';
import { ObjectIdString } from './ids.js';
import { User } from './models.js';

// Profile of docs/PROTOCOL.md#section-7.
const closed = { additionalProperties: false } as const;

/** `avatarAttachmentId` (your own image upload) sets the avatar; `avatarUrl: null` removes it. */
export const PatchMeBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    avatarAttachmentId: Type.Optional(ObjectIdString),
    avatarUrl: Type.Optional(Type.Null()),
  },
  { ...closed, minProperties: 1 },
);
export type PatchMeBody = Static<typeof PatchMeBody>;

/** `user:updated` (docs/PROTOCOL.md#section-7): to the users who share a conversation with them. */
export const UserUpdatedEvent = Type.Object({ user: User });
export type UserUpdatedEvent = Static<typeof UserUpdatedEvent>;

export const AvatarParams = Type.Object({ id: ObjectIdString }, closed);
export type AvatarParams = Static<typeof AvatarParams>;
