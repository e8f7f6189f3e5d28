import { Type, type Static } from '@sinclair/typebox';
import { IsoDateString, ObjectIdString, Seq } from './ids.js';
import { LIMITS } from './limits.js';

// Server → client shapes of PROTOCOL §2. They are not closed (no additionalProperties:
// false) so clients tolerate fields added later; fastify's serializer drops unknown ones.

export const PublicUser = Type.Object({
  id: ObjectIdString,
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Optional(Type.String()),
});
export type PublicUser = Static<typeof PublicUser>;

export const User = Type.Object({
  id: ObjectIdString,
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Optional(Type.String()),
  createdAt: IsoDateString,
});
export type User = Static<typeof User>;

/** `presence` of `GET /api/users/:id`. */
export const UserPresence = Type.Object({
  online: Type.Boolean(),
  lastSeen: Type.Optional(IsoDateString),
});
export type UserPresence = Static<typeof UserPresence>;

export const UserWithPresence = Type.Object({
  id: ObjectIdString,
  username: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Optional(Type.String()),
  createdAt: IsoDateString,
  presence: UserPresence,
});
export type UserWithPresence = Static<typeof UserWithPresence>;

/** Presence of one user: `presence` event and `presence:query` ack entries. */
export const Presence = Type.Object({
  userId: ObjectIdString,
  online: Type.Boolean(),
  lastSeen: Type.Optional(IsoDateString),
  /** Number of live connections of the user across the cluster. */
  devices: Type.Integer({ minimum: 0 }),
});
export type Presence = Static<typeof Presence>;

export const MemberRole = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('member'),
]);
export type MemberRole = Static<typeof MemberRole>;

export const Member = Type.Object({
  userId: ObjectIdString,
  role: MemberRole,
  joinedAt: IsoDateString,
  user: PublicUser,
  /** That member's cursors (PROTOCOL §7), so ticks are right after a reload. */
  readSeq: Seq,
  deliveredSeq: Seq,
});
export type Member = Static<typeof Member>;

export const ConversationType = Type.Union([Type.Literal('direct'), Type.Literal('group')]);
export type ConversationType = Static<typeof ConversationType>;

/**
 * `lastMessage.kind`: `text` when the message has text; otherwise the kind of its first
 * attachment; `deleted` for a delete-for-everyone tombstone. Lets a list show "📷 Photo".
 */
export const LastMessageKind = Type.Union([
  Type.Literal('text'),
  Type.Literal('image'),
  Type.Literal('video'),
  Type.Literal('audio'),
  Type.Literal('file'),
  Type.Literal('deleted'),
]);
export type LastMessageKind = Static<typeof LastMessageKind>;

export const LastMessage = Type.Object({
  id: ObjectIdString,
  seq: Seq,
  senderId: ObjectIdString,
  text: Type.Optional(Type.String()),
  kind: LastMessageKind,
  createdAt: IsoDateString,
});
export type LastMessage = Static<typeof LastMessage>;

export const Conversation = Type.Object({
  id: ObjectIdString,
  type: ConversationType,
  title: Type.Optional(Type.String()),
  avatarUrl: Type.Optional(Type.String()),
  members: Type.Array(Member),
  createdAt: IsoDateString,
  lastMessage: Type.Optional(LastMessage),
  /** Latest message seq of the conversation (0 when empty). */
  seq: Seq,
  /** The caller's own read cursor. */
  readSeq: Seq,
  /** The caller's own unread count = seq − readSeq. */
  unreadCount: Type.Integer({ minimum: 0 }),
  /** The caller's own mute (PROTOCOL §7): an ISO time, or "forever"; absent when not muted. */
  mutedUntil: Type.Optional(Type.Union([IsoDateString, Type.Literal('forever')])),
});
export type Conversation = Static<typeof Conversation>;

export const AttachmentKind = Type.Union([
  Type.Literal('image'),
  Type.Literal('video'),
  Type.Literal('audio'),
  Type.Literal('file'),
]);
export type AttachmentKind = Static<typeof AttachmentKind>;

export const Attachment = Type.Object({
  id: ObjectIdString,
  name: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.String(),
  kind: AttachmentKind,
  /** Signed, expiring `/files/<id>/<name>?exp=..&sig=..` link. */
  url: Type.String(),
});
export type Attachment = Static<typeof Attachment>;

export const Reaction = Type.Object({
  emoji: Type.String({ minLength: 1, maxLength: LIMITS.emojiMaxChars }),
  count: Type.Integer({ minimum: 0 }),
  userIds: Type.Array(ObjectIdString),
});
export type Reaction = Static<typeof Reaction>;

export const ReplyPreview = Type.Object({
  id: ObjectIdString,
  seq: Seq,
  senderId: ObjectIdString,
  text: Type.Optional(Type.String()),
});
export type ReplyPreview = Static<typeof ReplyPreview>;

export const Message = Type.Object({
  id: ObjectIdString,
  conversationId: ObjectIdString,
  seq: Seq,
  senderId: ObjectIdString,
  clientMsgId: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  attachments: Type.Array(Attachment),
  replyTo: Type.Optional(ReplyPreview),
  reactions: Type.Array(Reaction),
  createdAt: IsoDateString,
  editedAt: Type.Optional(IsoDateString),
  /** Present (true) only on delete-for-everyone tombstones, which carry no text/attachments. */
  deleted: Type.Optional(Type.Literal(true)),
});
export type Message = Static<typeof Message>;

export const Notification = Type.Object({
  id: ObjectIdString,
  type: Type.String(),
  title: Type.String(),
  body: Type.Optional(Type.String()),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  read: Type.Boolean(),
  createdAt: IsoDateString,
});
export type Notification = Static<typeof Notification>;
