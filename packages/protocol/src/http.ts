import { Type, type Static } from '@sinclair/typebox';
import { LIMITS } from './limits.js';
import {
  AttachmentIds,
  ClientMsgId,
  ConversationTitle,
  DisplayName,
  MessageText,
  Password,
  SeqInput,
  Username,
  UrlString,
} from './fields.js';
import { withIgnoredKeys } from './markers.js';
import { DeviceName } from './sessions.js';
import { Attachment, Conversation, Message, Notification, User } from './models.js';
import { ObjectIdString } from './ids.js';

// Request schemas of docs/PROTOCOL.md#section-2. All closed (additionalProperties: false).
// Query strings: integers/booleans here rely on fastify's ajv `coerceTypes` (its default);
// `default` values are applied by ajv `useDefaults` (also a fastify default).
const closed = { additionalProperties: false } as const;

// ---- auth ----
export const RegisterBody = Type.Object(
  {
    username: Username,
    password: Password,
    displayName: Type.Optional(DisplayName),
    deviceName: Type.Optional(DeviceName),
  },
  closed,
);
export type RegisterBody = Static<typeof RegisterBody>;

// Login is deliberately loose (no username pattern, no password minimum): any mismatch is
// a 401 with the same message, never a 400 that reveals the rules were not met.
export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: LIMITS.usernameMaxChars * 2 }),
    password: Type.String({ minLength: 1, maxLength: LIMITS.passwordMaxChars }),
    deviceName: Type.Optional(DeviceName),
  },
  closed,
);
export type LoginBody = Static<typeof LoginBody>;

/** `refreshToken` (docs/PROTOCOL.md#section-7): opaque, rotated by `POST /api/auth/refresh`. */
export const AuthResponse = Type.Object({
  user: User,
  accessToken: Type.String(),
  refreshToken: Type.String(),
});
export type AuthResponse = Static<typeof AuthResponse>;

// ---- params ----
export const IdParams = Type.Object({ id: ObjectIdString }, closed);
export type IdParams = Static<typeof IdParams>;

export const MemberParams = Type.Object({ id: ObjectIdString, userId: ObjectIdString }, closed);
export type MemberParams = Static<typeof MemberParams>;

// ---- users ----
export const UserSearchQuery = Type.Object(
  {
    query: Type.String({ maxLength: LIMITS.userSearchQueryMaxChars }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.userSearchLimitMax,
        default: LIMITS.userSearchLimitDefault,
      }),
    ),
  },
  closed,
);
export type UserSearchQuery = Static<typeof UserSearchQuery>;

export const UserSearchResponse = Type.Object({ users: Type.Array(User) });
export type UserSearchResponse = Static<typeof UserSearchResponse>;

/** `GET /api/users/me/blocks`: whom the caller blocked, most recent first. */
export const BlockedUsersResponse = Type.Object({ users: Type.Array(User) });
export type BlockedUsersResponse = Static<typeof BlockedUsersResponse>;

// ---- conversations ----
export const DirectConversationBody = Type.Object({ userId: ObjectIdString }, closed);
export type DirectConversationBody = Static<typeof DirectConversationBody>;

export const GroupConversationBody = Type.Object(
  {
    title: ConversationTitle,
    // Hard cap; the service enforces the configured group size (default 200 incl. the owner).
    memberIds: Type.Array(ObjectIdString, { maxItems: LIMITS.groupMembersMax, uniqueItems: true }),
  },
  closed,
);
export type GroupConversationBody = Static<typeof GroupConversationBody>;

export const ListConversationsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.conversationsLimitMax,
        default: LIMITS.conversationsLimitDefault,
      }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorMaxChars })),
  },
  closed,
);
export type ListConversationsQuery = Static<typeof ListConversationsQuery>;

export const ListConversationsResponse = Type.Object({
  conversations: Type.Array(Conversation),
  nextCursor: Type.Optional(Type.String()),
});
export type ListConversationsResponse = Static<typeof ListConversationsResponse>;

/**
 * `avatarAttachmentId` (the caller's own image upload) sets the group photo, served at
 * `/avatars/<id>`; `avatarUrl: null` removes it. An `avatarUrl` string is the v1 form (an
 * http(s) or same-origin link), kept for compatibility.
 */
export const PatchConversationBody = Type.Object(
  {
    title: Type.Optional(ConversationTitle),
    avatarUrl: Type.Optional(Type.Union([UrlString, Type.Null()])),
    avatarAttachmentId: Type.Optional(ObjectIdString),
  },
  { ...closed, minProperties: 1 },
);
export type PatchConversationBody = Static<typeof PatchConversationBody>;

export const AddMembersBody = Type.Object(
  {
    userIds: Type.Array(ObjectIdString, {
      minItems: 1,
      maxItems: LIMITS.groupMembersMax,
      uniqueItems: true,
    }),
  },
  closed,
);
export type AddMembersBody = Static<typeof AddMembersBody>;

export const PatchMemberBody = Type.Object(
  { role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) },
  closed,
);
export type PatchMemberBody = Static<typeof PatchMemberBody>;

// ---- messages ----
/** `before` → newest first; `after` → oldest first (catch-up). Both at once: the service rejects. */
export const HistoryQuery = Type.Object(
  {
    before: Type.Optional(SeqInput),
    after: Type.Optional(SeqInput),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.historyLimitMax,
        default: LIMITS.historyLimitDefault,
      }),
    ),
  },
  closed,
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const HistoryResponse = Type.Object({
  messages: Type.Array(Message),
  hasMore: Type.Boolean(),
});
export type HistoryResponse = Static<typeof HistoryResponse>;

/** `senderId`/`userId` are dropped by createValidator (docs/PROTOCOL.md#section-1: ignored), see markers.ts. */
export const PostMessageBody = withIgnoredKeys(
  Type.Object(
    {
      clientMsgId: ClientMsgId,
      text: Type.Optional(MessageText),
      attachmentIds: Type.Optional(AttachmentIds),
      replyToId: Type.Optional(ObjectIdString),
    },
    closed,
  ),
  ['senderId', 'userId'],
);
export type PostMessageBody = Static<typeof PostMessageBody>;

export const SearchMessagesQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: LIMITS.messageSearchQueryMaxChars }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.messageSearchLimitMax,
        default: LIMITS.messageSearchLimitDefault,
      }),
    ),
  },
  closed,
);
export type SearchMessagesQuery = Static<typeof SearchMessagesQuery>;

export const SearchMessagesResponse = Type.Object({ messages: Type.Array(Message) });
export type SearchMessagesResponse = Static<typeof SearchMessagesResponse>;

// ---- uploads ----
export const UploadResponse = Type.Object({ attachment: Attachment });
export type UploadResponse = Static<typeof UploadResponse>;

// ---- notifications ----
export const NotificationsListQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean()),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.notificationsLimitMax,
        default: LIMITS.notificationsLimitDefault,
      }),
    ),
  },
  closed,
);
export type NotificationsListQuery = Static<typeof NotificationsListQuery>;

export const NotificationsListResponse = Type.Object({ notifications: Type.Array(Notification) });
export type NotificationsListResponse = Static<typeof NotificationsListResponse>;

/** `{ ids }` or `{ all: true }`, never both. */
export const NotificationsReadBody = Type.Union([
  Type.Object(
    {
      ids: Type.Array(ObjectIdString, {
        minItems: 1,
        maxItems: LIMITS.notificationsReadMaxIds,
        uniqueItems: true,
      }),
    },
    closed,
  ),
  Type.Object({ all: Type.Literal(true) }, closed),
]);
export type NotificationsReadBody = Static<typeof NotificationsReadBody>;

/** Service-token only (docs/PROTOCOL.md#section-5). */
export const PostNotificationBody = Type.Object(
  {
    userId: ObjectIdString,
    type: Type.String({
      minLength: 1,
      maxLength: LIMITS.notificationTypeMaxChars,
      pattern: '^[A-Za-z0-9_.:-]+$',
    }),
    title: Type.String({ minLength: 1, maxLength: LIMITS.notificationTitleMaxChars }),
    body: Type.Optional(Type.String({ maxLength: LIMITS.notificationBodyMaxChars })),
    data: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        maxProperties: LIMITS.notificationDataMaxProperties,
      }),
    ),
  },
  closed,
);
export type PostNotificationBody = Static<typeof PostNotificationBody>;
