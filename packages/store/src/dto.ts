import { LIMITS } from '@chat/protocol';
import type {
  Attachment,
  Conversation,
  LastMessage,
  LastMessageKind,
  Member,
  Message,
  MessageKind,
  Notification,
  PublicUser,
  Reaction,
  SystemEvent,
  User,
} from '@chat/protocol';
import type { ObjectId } from 'mongodb';
import type { ReactionSummary } from './reactions.js';
import type {
  AttachmentDoc,
  AttachmentKind,
  ConversationDoc,
  LastMessagePreview,
  MembershipDoc,
  MessageDoc,
  NotificationDoc,
  SystemEventDoc,
  UserDoc,
} from './types.js';
import { MUTED_FOREVER } from './types.js';
import { compact } from './util.js';

// Mappers from stored documents to the PROTOCOL.md JSON shapes: ids become hex
// strings, Dates ISO strings, absent optionals stay absent (never null).

const iso = (d: Date): string => d.toISOString();
const hex = (id: ObjectId): string => id.toHexString();

export function toUserDto(doc: UserDoc): User {
  return compact<User>({
    id: hex(doc._id),
    username: doc.username,
    displayName: doc.displayName,
    createdAt: iso(doc.createdAt),
    avatarUrl: doc.avatarUrl,
  });
}

export function toPublicUserDto(doc: UserDoc): PublicUser {
  return compact<PublicUser>({
    id: hex(doc._id),
    username: doc.username,
    displayName: doc.displayName,
    avatarUrl: doc.avatarUrl,
  });
}

/** `url` is signed by the caller (the store knows no signing key). */
export function toAttachmentDto(doc: AttachmentDoc, url: string): Attachment {
  return { id: hex(doc._id), name: doc.name, size: doc.size, mime: doc.mime, kind: doc.kind, url };
}

export function toReactionDtos(summaries: readonly ReactionSummary[] | undefined): Reaction[] {
  return (summaries ?? []).map((r) => ({
    emoji: r.emoji,
    count: r.count,
    userIds: r.userIds.map(hex),
  }));
}

export interface MessageDtoOptions {
  /** As returned by `messages.reactionsOf(ids)` (keyed by message id hex). */
  reactionsOf?: ReadonlyMap<string, readonly ReactionSummary[]>;
  /** Resolves stored attachment ids to DTOs with fresh signed URLs; unknown ids are dropped. */
  attachmentsOf?: (ids: readonly ObjectId[]) => Attachment[];
}

/** docs/PROTOCOL.md#section-7 `kind`: like `lastMessage.kind`, a message with text is `text`, files only `file`. */
function messageKindOf(doc: Pick<MessageDoc, 'kind' | 'text' | 'attachmentIds'>): MessageKind {
  if (doc.kind === 'system') return 'system';
  return doc.text === undefined && doc.attachmentIds.length > 0 ? 'file' : 'text';
}

function toSystemEventDto(event: SystemEventDoc): SystemEvent {
  const out: SystemEvent = { type: event.type, actorId: hex(event.actorId) };
  if (event.userIds) out.userIds = event.userIds.map(hex);
  if (event.title !== undefined) out.title = event.title;
  if (event.role !== undefined) out.role = event.role;
  if (event.avatarUrl !== undefined) out.avatarUrl = event.avatarUrl;
  return out;
}

export function toMessageDto(doc: MessageDoc, opts: MessageDtoOptions = {}): Message {
  const out: Message = {
    id: hex(doc._id),
    conversationId: hex(doc.conversationId),
    seq: doc.seq,
    senderId: hex(doc.senderId),
    kind: messageKindOf(doc),
    attachments: [],
    reactions: [],
    createdAt: iso(doc.createdAt),
  };
  if (doc.clientMsgId !== undefined) out.clientMsgId = doc.clientMsgId;
  if (doc.system) out.system = toSystemEventDto(doc.system);
  if (doc.replyTo) {
    out.replyTo = {
      id: hex(doc.replyTo.id),
      seq: doc.replyTo.seq,
      senderId: hex(doc.replyTo.senderId),
    };
    if (doc.replyTo.text !== undefined) out.replyTo.text = doc.replyTo.text;
  }
  if (doc.editedAt) out.editedAt = iso(doc.editedAt);
  // Tombstones carry no content, whatever the document still holds.
  if (doc.deletedAt) {
    out.deleted = true;
    return out;
  }
  if (doc.text !== undefined) out.text = doc.text;
  if (doc.mentions && doc.mentions.length > 0) out.mentions = doc.mentions.map(hex);
  if (doc.attachmentIds.length > 0 && opts.attachmentsOf)
    out.attachments = opts.attachmentsOf(doc.attachmentIds);
  out.reactions = toReactionDtos(opts.reactionsOf?.get(hex(doc._id)));
  return out;
}

/** `lastMessage.kind` for a new message (PROTOCOL: text, else first attachment's kind). */
export function previewKindOf(
  text: string | undefined,
  attachmentKinds: readonly AttachmentKind[],
): LastMessageKind {
  if (text !== undefined && text.length > 0) return 'text';
  return attachmentKinds[0] ?? 'file';
}

/** The start of a text as list previews and reply quotes keep it. */
export const quoteOf = (text: string): string => text.slice(0, LIMITS.previewMaxChars);

/**
 * The one place a conversation's list preview of a message is built (sends and system
 * messages); edits and deletes revise its text with quoteOf or mark it deleted.
 */
export function lastMessagePreviewOf(
  message: Pick<MessageDoc, '_id' | 'seq' | 'senderId' | 'kind' | 'text' | 'createdAt'>,
  attachmentKinds: readonly AttachmentKind[],
): LastMessagePreview {
  const preview: LastMessagePreview = {
    id: message._id,
    seq: message.seq,
    senderId: message.senderId,
    kind: message.kind === 'system' ? 'system' : previewKindOf(message.text, attachmentKinds),
    createdAt: message.createdAt,
  };
  if (message.text !== undefined) preview.text = quoteOf(message.text);
  return preview;
}

function toLastMessageDto(conv: ConversationDoc): LastMessage | undefined {
  const lm = conv.lastMessage;
  if (!lm) return undefined;
  const out: LastMessage = {
    id: hex(lm.id),
    seq: lm.seq,
    senderId: hex(lm.senderId),
    kind: lm.kind,
    createdAt: iso(lm.createdAt),
  };
  if (lm.text !== undefined) out.text = lm.text;
  return out;
}

export function toMemberDto(membership: MembershipDoc, user: UserDoc | undefined): Member {
  const userId = hex(membership.userId);
  return {
    userId,
    role: membership.role,
    joinedAt: iso(membership.joinedAt),
    readSeq: membership.readSeq,
    // Reading implies having received (cursors are moved separately and may disagree).
    deliveredSeq: Math.max(membership.deliveredSeq, membership.readSeq),
    // A member whose user record is gone still renders (deleted accounts).
    user: user
      ? toPublicUserDto(user)
      : { id: userId, username: 'deleted', displayName: 'Deleted user' },
  };
}

export interface ConversationDtoInput {
  conversation: ConversationDoc;
  /** All members of the conversation. */
  members: readonly MembershipDoc[];
  /** Users of those members, keyed by id hex. */
  usersById: ReadonlyMap<string, UserDoc>;
  /** The caller's own membership (readSeq); absent → readSeq 0. */
  viewer?: MembershipDoc;
}

export function toConversationDto(input: ConversationDtoInput): Conversation {
  const { conversation: c, viewer } = input;
  const readSeq = Math.min(viewer?.readSeq ?? 0, c.seq);
  const out: Conversation = {
    id: hex(c._id),
    type: c.type,
    members: input.members.map((m) => toMemberDto(m, input.usersById.get(hex(m.userId)))),
    createdAt: iso(c.createdAt),
    seq: c.seq,
    readSeq,
    unreadCount: Math.max(0, c.seq - readSeq),
  };
  if (c.title !== undefined) out.title = c.title;
  if (c.avatarUrl !== undefined) out.avatarUrl = c.avatarUrl;
  // The caller's own mute (docs/PROTOCOL.md#section-7); one that ran out is simply not there.
  const muted = viewer?.mutedUntil;
  if (muted && muted.getTime() > Date.now())
    out.mutedUntil = muted.getTime() >= MUTED_FOREVER.getTime() ? 'forever' : iso(muted);
  const lm = toLastMessageDto(c);
  if (lm) out.lastMessage = lm;
  return out;
}

export function toNotificationDto(doc: NotificationDoc): Notification {
  return compact<Notification>({
    id: hex(doc._id),
    type: doc.type,
    title: doc.title,
    read: doc.read,
    createdAt: iso(doc.createdAt),
    body: doc.body,
    data: doc.data,
  });
}
