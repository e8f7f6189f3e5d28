import { Type, type Static } from '@sinclair/typebox';
import { IsoDateString, ObjectIdString, Seq } from './ids.js';
import { LIMITS } from './limits.js';

// Server → client shapes of docs/PROTOCOL.md#section-2. They are not closed (no additionalProperties:
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
  /** That member's cursors (docs/PROTOCOL.md#section-7), so ticks are right after a reload. */
  readSeq: Seq,
  deliveredSeq: Seq,
});
export type Member = Static<typeof Member>;

export const ConversationType = Type.Union([Type.Literal('direct'), Type.Literal('group')]);
export type ConversationType = Static<typeof ConversationType>;

/**
 * `lastMessage.kind`: `text` when the message has text; otherwise the kind of its first
 * attachment; `deleted` for a delete-for-everyone tombstone; `system` for a system message
 * (docs/PROTOCOL.md#section-7). Lets a list show "📷 Photo".
 */
export const LastMessageKind = Type.Union([
  Type.Literal('text'),
  Type.Literal('image'),
  Type.Literal('video'),
  Type.Literal('audio'),
  Type.Literal('file'),
  Type.Literal('deleted'),
  Type.Literal('system'),
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
  /** The caller's own mute (docs/PROTOCOL.md#section-7): an ISO time, or "forever"; absent when not muted. */
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

/** `text` (has text), `file` (attachments only), `system` (a membership/group change). */
export const MessageKind = Type.Union([
  Type.Literal('text'),
  Type.Literal('file'),
  Type.Literal('system'),
]);
export type MessageKind = Static<typeof MessageKind>;

export const SystemEventType = Type.Union([
  Type.Literal('member_added'),
  Type.Literal('member_removed'),
  Type.Literal('member_left'),
  Type.Literal('renamed'),
  Type.Literal('role_changed'),
  Type.Literal('closed'),
  Type.Literal('avatar_changed'),
]);
export type SystemEventType = Static<typeof SystemEventType>;

/** What a system message records (docs/PROTOCOL.md#section-7). `actorId` did it; `userIds` it happened to. */
export const SystemEvent = Type.Object({
  type: SystemEventType,
  actorId: ObjectIdString,
  userIds: Type.Optional(Type.Array(ObjectIdString)),
  /** `renamed`: the new title. */
  title: Type.Optional(Type.String()),
  /** `role_changed`: the new role. */
  role: Type.Optional(MemberRole),
  /** `avatar_changed`: the new group photo; absent when it was removed. */
  avatarUrl: Type.Optional(Type.String()),
});
export type SystemEvent = Static<typeof SystemEvent>;

export const Message = Type.Object({
  id: ObjectIdString,
  conversationId: ObjectIdString,
  seq: Seq,
  /** For a system message: the member who made the change (= `system.actorId`). */
  senderId: ObjectIdString,
  kind: MessageKind,
  clientMsgId: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  /** Members named by `@username` in the text, resolved when it was sent. */
  mentions: Type.Optional(Type.Array(ObjectIdString)),
  system: Type.Optional(SystemEvent),
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
