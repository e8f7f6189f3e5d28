import { Type, type Static } from '@sinclair/typebox';
import type { ErrorCode } from './errors.js';
import { ObjectIdString, type IsoDateString } from './ids.js';
import { LIMITS } from './limits.js';
import {
  AttachmentIds,
  ClientMsgId,
  Emoji,
  HistoryLimit,
  MessageText,
  SeqInput,
  Token,
} from './fields.js';
import { tooLargeWhenExceeded, withIgnoredKeys } from './markers.js';
import type {
  Attachment,
  Conversation,
  Message,
  Notification,
  Presence,
  Reaction,
} from './models.js';

/** Client → server events (docs/PROTOCOL.md#section-3). All take an ack. */
export const ClientEvents = {
  MessageSend: 'message:send',
  MessageEdit: 'message:edit',
  MessageDelete: 'message:delete',
  MessageReact: 'message:react',
  ConversationRead: 'conversation:read',
  ConversationDelivered: 'conversation:delivered',
  TypingStart: 'typing:start',
  TypingStop: 'typing:stop',
  PresenceQuery: 'presence:query',
  Sync: 'sync',
  MessageHistory: 'message:history',
  FileUpload: 'file:upload',
  AuthRenew: 'auth:renew',
} as const;
export type ClientEventName = (typeof ClientEvents)[keyof typeof ClientEvents];

/** Server → client events (docs/PROTOCOL.md#section-3) plus `server:draining` (addition, see below). */
export const ServerEvents = {
  Session: 'session',
  MessageNew: 'message:new',
  MessageUpdated: 'message:updated',
  MessageReactions: 'message:reactions',
  Receipt: 'receipt',
  Typing: 'typing',
  Presence: 'presence',
  ConversationUpdated: 'conversation:updated',
  ConversationRemoved: 'conversation:removed',
  NotificationNew: 'notification:new',
  UserUpdated: 'user:updated',
  Error: 'error',
  ServerDraining: 'server:draining',
} as const;
export type ServerEventName = (typeof ServerEvents)[keyof typeof ServerEvents];

const closed = { additionalProperties: false } as const;
const conversationRef = { conversationId: ObjectIdString };

// ---- client → server payloads (validated with createValidator) ----

/** `senderId`/`userId` are dropped (docs/PROTOCOL.md#section-1: ignored); other unknown fields are rejected. */
export const MessageSendPayload = withIgnoredKeys(
  Type.Object(
    {
      conversationId: ObjectIdString,
      clientMsgId: ClientMsgId,
      text: Type.Optional(MessageText),
      attachmentIds: Type.Optional(AttachmentIds),
      replyToId: Type.Optional(ObjectIdString),
    },
    closed,
  ),
  ['senderId', 'userId'],
);
export type MessageSendPayload = Static<typeof MessageSendPayload>;

export const MessageEditPayload = withIgnoredKeys(
  Type.Object({ messageId: ObjectIdString, text: MessageText }, closed),
  ['senderId', 'userId'],
);
export type MessageEditPayload = Static<typeof MessageEditPayload>;

export const MessageDeletePayload = withIgnoredKeys(
  Type.Object(
    {
      messageId: ObjectIdString,
      scope: Type.Union([Type.Literal('me'), Type.Literal('everyone')]),
    },
    closed,
  ),
  ['senderId', 'userId'],
);
export type MessageDeletePayload = Static<typeof MessageDeletePayload>;

export const MessageReactPayload = withIgnoredKeys(
  Type.Object(
    {
      messageId: ObjectIdString,
      emoji: Emoji,
      op: Type.Union([Type.Literal('add'), Type.Literal('remove')]),
    },
    closed,
  ),
  ['senderId', 'userId'],
);
export type MessageReactPayload = Static<typeof MessageReactPayload>;

export const ConversationReadPayload = Type.Object({ ...conversationRef, seq: SeqInput }, closed);
export type ConversationReadPayload = Static<typeof ConversationReadPayload>;

export const ConversationDeliveredPayload = Type.Object(
  { ...conversationRef, seq: SeqInput },
  closed,
);
export type ConversationDeliveredPayload = Static<typeof ConversationDeliveredPayload>;

export const TypingPayload = Type.Object({ ...conversationRef }, closed);
export type TypingPayload = Static<typeof TypingPayload>;

export const PresenceQueryPayload = Type.Object(
  { userIds: Type.Array(ObjectIdString, { maxItems: LIMITS.presenceQueryMaxIds }) },
  closed,
);
export type PresenceQueryPayload = Static<typeof PresenceQueryPayload>;

export const SyncCursor = Type.Object({ ...conversationRef, seq: SeqInput }, closed);
export type SyncCursor = Static<typeof SyncCursor>;

export const SyncPayload = Type.Object(
  {
    cursors: Type.Array(SyncCursor, { maxItems: LIMITS.syncMaxCursors }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.syncLimitMax })),
  },
  closed,
);
export type SyncPayload = Static<typeof SyncPayload>;

export const MessageHistoryPayload = Type.Object(
  {
    ...conversationRef,
    before: Type.Optional(SeqInput),
    after: Type.Optional(SeqInput),
    limit: Type.Optional(HistoryLimit),
  },
  closed,
);
export type MessageHistoryPayload = Static<typeof MessageHistoryPayload>;

/** Small files over the socket; Socket.IO delivers binary as a Buffer (a Uint8Array) on the server. */
export const FileUploadPayload = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.fileNameMaxChars }),
    data: tooLargeWhenExceeded(Type.Uint8Array({ maxByteLength: LIMITS.socketFrameMaxBytes })),
  },
  closed,
);
export type FileUploadPayload = Static<typeof FileUploadPayload>;

export const AuthRenewPayload = Type.Object({ token: Token }, closed);
export type AuthRenewPayload = Static<typeof AuthRenewPayload>;

// ---- ack data (without `ok`) ----
export interface MessageAck {
  message: Message;
}
export type EmptyAck = Record<never, never>;
export interface MessageReactAck {
  reactions: Reaction[];
}
export interface ConversationReadAck {
  readSeq: number;
}
export interface ConversationDeliveredAck {
  deliveredSeq: number;
}
export interface PresenceQueryAck {
  presence: Presence[];
}
export interface SyncConversationResult {
  conversationId: string;
  /** Messages after the cursor's seq, oldest first. */
  messages: Message[];
  hasMore: boolean;
  seq: number;
  readSeq: number;
}
export interface SyncAck {
  conversations: SyncConversationResult[];
  /** Conversations the user joined or that changed since (new ones are not in `cursors`). */
  changed: Conversation[];
  /** Cursors naming conversations the user no longer belongs to (removed, left, closed). */
  removed: string[];
}
export interface MessageHistoryAck {
  messages: Message[];
  hasMore: boolean;
}
export interface FileUploadAck {
  attachment: Attachment;
}
export interface AuthRenewAck {
  /** New expiry, seconds since the epoch (JWT `exp`). */
  exp: number;
}

// ---- server → client payloads ----
export interface SessionEvent {
  userId: string;
  nodeId: string;
  serverTime: IsoDateString;
}
export interface MessageEvent {
  message: Message;
}
export interface MessageReactionsEvent {
  conversationId: string;
  messageId: string;
  reactions: Reaction[];
}
export interface ReceiptEvent {
  conversationId: string;
  userId: string;
  readSeq?: number;
  deliveredSeq?: number;
  at: IsoDateString;
}
export interface TypingEvent {
  conversationId: string;
  userId: string;
  state: 'start' | 'stop';
}
export type PresenceEvent = Presence;
export interface ConversationUpdatedEvent {
  conversation: Conversation;
}
export interface ConversationRemovedEvent {
  conversationId: string;
}
export interface NotificationNewEvent {
  notification: Notification;
}
/** Sent when a request emitted without an ack callback fails. */
export interface ErrorEvent {
  event: string;
  code: ErrorCode;
  message: string;
}
/**
 * Addition to docs/PROTOCOL.md#section-3: the node is shutting down (SIGTERM drain). The client should
 * reconnect after about `reconnectAfterMs` (jittered) and `sync`; nginx sends it to
 * another node. Clients that ignore it just see a disconnect and reconnect as usual.
 */
export interface ServerDrainingEvent {
  reconnectAfterMs: number;
}
