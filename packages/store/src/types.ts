import type { LastMessageKind } from '@chat/protocol';
import type { ObjectId } from 'mongodb';

/**
 * Stored document shapes. Repositories take and return these (real ObjectIds and
 * Dates); the `to*Dto` mappers in dto.ts turn them into the PROTOCOL.md JSON shapes.
 * Optional fields are omitted, never stored as null.
 */

export interface UserDoc {
  _id: ObjectId;
  username: string;
  /** Unique (case-insensitive identity); also the prefix-search key. */
  usernameLower: string;
  displayName: string;
  displayNameLower: string;
  avatarUrl?: string;
  passwordHash?: string;
  /** `sub` of an external identity provider's token; unique when present. */
  externalSub?: string;
  createdAt: Date;
  lastSeenAt?: Date;
}

export interface BlockDoc {
  _id: ObjectId;
  blockerId: ObjectId;
  blockedId: ObjectId;
  createdAt: Date;
}

export type ConversationType = 'direct' | 'group';

/**
 * What the conversation list shows of the newest message. Written behind together with the
 * conversation's `seq` (conversation-activity-writer.ts), only ever by a newer seq, so it is
 * always the preview of the stored `seq`.
 */
export interface LastMessagePreview {
  id: ObjectId;
  seq: number;
  senderId: ObjectId;
  text?: string;
  /** `text`, the first attachment's kind, or `deleted` once deleted for everyone. */
  kind: LastMessageKind;
  createdAt: Date;
}

export interface ConversationDoc {
  _id: ObjectId;
  type: ConversationType;
  /** Direct only: `<smaller id hex>:<larger id hex>`; unique (partial index on type direct). */
  directKey?: string;
  title?: string;
  avatarUrl?: string;
  createdBy: ObjectId;
  createdAt: Date;
  /** Metadata changes (rename, avatar, close). */
  updatedAt: Date;
  /** Sort key of the conversation list: new messages and membership changes. */
  lastActivityAt: Date;
  /**
   * Latest stored message's seq as far as MongoDB knows (written behind, so it may trail the
   * Redis counter that hands seqs out by the write-behind delay); 0 before the first message.
   */
  seq: number;
  lastMessage?: LastMessagePreview;
  /** Group deleted by its owner: kept for history, no longer served or writable. */
  closedAt?: Date;
  /**
   * Direct only: set while either member blocks the other (the `blocks` collection is the
   * record; this copy is what the gateway's membership cache reads to refuse a blocked send).
   */
  blocked?: true;
}

export type MemberRole = 'owner' | 'admin' | 'member';

/**
 * One per (conversation, user) while the user is a member. Leaving or being removed
 * deletes the document: every access check is then "does the document exist", and a
 * re-join starts from fresh cursors.
 */
export interface MembershipDoc {
  _id: ObjectId;
  conversationId: ObjectId;
  userId: ObjectId;
  role: MemberRole;
  joinedAt: Date;
  readSeq: number;
  deliveredSeq: number;
  readAt?: Date;
  deliveredAt?: Date;
  /** Messages with seq <= hiddenBefore are not served to this member (e.g. joined later). */
  hiddenBefore?: number;
  /** Muted until then (docs/PROTOCOL.md#section-7); "forever" is MUTED_FOREVER. No offline webhook meanwhile. */
  mutedUntil?: Date;
}

/** "forever" as a date, so one range query (`mutedUntil > now`) answers "is it muted". */
export const MUTED_FOREVER = new Date('9999-12-31T23:59:59.999Z');

/** `attachment` when the message carries files; `system` for server-generated notices. */
export type MessageKind = 'text' | 'attachment' | 'system';

export interface ReplyToSnapshot {
  id: ObjectId;
  seq: number;
  senderId: ObjectId;
  text?: string;
}

export interface MessageEditDoc {
  /** The text as it was before this edit replaced it. */
  text: string;
  /** When that previous text was written (createdAt or the previous editedAt). */
  at: Date;
}

/** What a system message records (docs/PROTOCOL.md#section-7); ids are users. */
export type SystemEventType =
  | 'member_added'
  | 'member_removed'
  | 'member_left'
  | 'renamed'
  | 'role_changed'
  | 'closed'
  | 'avatar_changed';

export interface SystemEventDoc {
  type: SystemEventType;
  actorId: ObjectId;
  userIds?: ObjectId[];
  title?: string;
  role?: 'owner' | 'admin' | 'member';
  /** `avatar_changed`: the new group photo (absent: removed). */
  avatarUrl?: string;
}

export interface MessageDoc {
  _id: ObjectId;
  conversationId: ObjectId;
  seq: number;
  senderId: ObjectId;
  /** Unique per sender when present (idempotent sends). */
  clientMsgId?: string;
  kind: MessageKind;
  text?: string;
  attachmentIds: ObjectId[];
  replyTo?: ReplyToSnapshot;
  /** Members named by `@username` when it was sent (bounded by the group size). */
  mentions?: ObjectId[];
  /** `kind: 'system'` only: the change it records. */
  system?: SystemEventDoc;
  createdAt: Date;
  editedAt?: Date;
  /** Previous versions, oldest first; capped at MAX_KEPT_EDITS. */
  edits?: MessageEditDoc[];
  /** Delete for everyone: content removed, tombstone kept so seq has no holes. */
  deletedAt?: Date;
  /** "Delete for me": bounded by the member count, see messages.repository.ts. */
  hiddenFor?: ObjectId[];
  /** Distinct emoji currently reserved on the message (≤ 20); the reactions live in `reactions`. */
  reactionEmojis?: string[];
  /** Search words of `text` (search-terms.ts); absent when there are none or it was deleted. */
  terms?: string[];
}

export interface ReactionDoc {
  _id: ObjectId;
  messageId: ObjectId;
  conversationId: ObjectId;
  userId: ObjectId;
  emoji: string;
  createdAt: Date;
}

export type AttachmentKind = 'image' | 'video' | 'audio' | 'file';

export interface AttachmentDoc {
  _id: ObjectId;
  uploaderId: ObjectId;
  name: string;
  size: number;
  mime: string;
  kind: AttachmentKind;
  /** Where the bytes are (file path/object key); never sent to clients. */
  storageKey: string;
  createdAt: Date;
  /** First time a message referenced it; unused uploads can be swept. */
  usedAt?: Date;
}

export interface NotificationDoc {
  _id: ObjectId;
  userId: ObjectId;
  type: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
  read: boolean;
  createdAt: Date;
  readAt?: Date;
  deliveredAt?: Date;
}

/** Minimal pino-compatible logger; packages get one injected (STYLE.md). */
export interface StoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Sharded mode only (MONGO_SHARDED): "this sender used this clientMsgId for that
 * conversation", the cross-conversation idempotency rule under the messages shard key
 * (client-msg-ids.ts). Never deleted, like the messages it stands for.
 */
export interface ClientMsgIdDoc {
  /** Field order matters (MongoDB compares embedded documents field by field): always s, c. */
  _id: { s: ObjectId; c: string };
  conversationId: ObjectId;
  /** The message the first attempt stored or was about to store (ops/debugging; not relied on). */
  messageId: ObjectId;
}
