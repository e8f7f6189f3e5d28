import { AppError } from '@chat/core';
import { checkMessageText, type Message } from '@chat/protocol';
import {
  DuplicateKeyError,
  ObjectId,
  previewKindOf,
  toAttachmentDto,
  toMessageDto,
  type AttachmentDoc,
  type InsertMessageInput,
  type MessageDoc,
  type MongoStore,
  type ReplyToSnapshot,
} from '@chat/store';
import { requireMember } from './conversation-views.js';
import { createSendAccess, type SendAccess } from './send-access.js';
import type { SendAdmission } from './send-admission.js';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';

/** Length of the text kept in conversation previews and reply snapshots. */
const PREVIEW_CHARS = 200;

export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
}

export interface HistoryInput {
  conversationId: string;
  before?: number;
  after?: number;
  limit?: number;
}

export interface SentMessage {
  message: Message;
  /** Members other than the sender; filled only when `onMessageSent` is set (it is the only reader). */
  recipientIds: string[];
  /** False when this was a resend of an already stored clientMsgId. */
  created: boolean;
}

export interface MessagesServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  /** Resolves attachment documents to DTOs with fresh signed URLs (uploads, issue 5). */
  attachmentUrl?: (doc: AttachmentDoc) => string;
  textMaxChars: number;
  attachmentsPerMessage: number;
  /**
   * The sender's message budget and the idempotency claim (one Redis round trip). Without it
   * nothing is rate limited and every send looks its clientMsgId up in MongoDB.
   */
  admission?: SendAdmission;
  /** Called after a new message was stored and broadcast (offline delivery). */
  onMessageSent?: (sent: SentMessage) => Promise<void>;
}

export type MessagesService = ReturnType<typeof createMessagesService>;

export function createMessagesService(options: MessagesServiceOptions) {
  const { store, fanout } = options;
  const sendAccess = createSendAccess(store);

  async function attachmentsById(docs: readonly MessageDoc[]): Promise<Map<string, AttachmentDoc>> {
    const ids = docs.flatMap((d) => (d.deletedAt ? [] : d.attachmentIds));
    if (ids.length === 0) return new Map();
    const found = await store.attachments.findByIds(ids);
    return new Map(found.map((a) => [hex(a._id), a]));
  }

  /** Attachment ids → DTOs with fresh signed URLs; unknown ids (or no signer) are dropped. */
  function resolveAttachments(byId: ReadonlyMap<string, AttachmentDoc>) {
    const url = options.attachmentUrl;
    return (ids: readonly ObjectId[]) =>
      ids.flatMap((id) => {
        const a = byId.get(hex(id));
        return a && url ? [toAttachmentDto(a, url(a))] : [];
      });
  }

  /** Message DTOs with reactions and freshly signed attachment URLs, in the given order. */
  async function toDtos(docs: readonly MessageDoc[]): Promise<Message[]> {
    if (docs.length === 0) return [];
    // A message without reactionEmojis has no reactions (store reactions.ts), and most pages
    // have none: then there is nothing to ask.
    const reacted = docs.filter((d) => (d.reactionEmojis?.length ?? 0) > 0).map((d) => d._id);
    const [reactionsOf, attachments] = await Promise.all([
      reacted.length > 0 ? store.messages.reactionsOf(reacted) : new Map(),
      attachmentsById(docs),
    ]);
    return docs.map((doc) =>
      toMessageDto(doc, {
        reactionsOf,
        attachmentsOf: resolveAttachments(attachments),
      }),
    );
  }

  /**
   * The DTO of a message this request just inserted: it cannot have reactions yet and its
   * attachments are already loaded, so the two lookups toDtos makes are skipped (hot path).
   */
  function newMessageDto(doc: MessageDoc, attachments: readonly AttachmentDoc[]): Message {
    return toMessageDto(doc, {
      attachmentsOf: resolveAttachments(new Map(attachments.map((a) => [hex(a._id), a]))),
    });
  }

  async function loadOwnAttachments(
    senderId: ObjectId,
    idHexes: readonly string[],
  ): Promise<AttachmentDoc[]> {
    if (idHexes.length === 0) return [];
    if (idHexes.length > options.attachmentsPerMessage) {
      throw AppError.payloadTooLarge(
        `At most ${options.attachmentsPerMessage} attachments per message`,
      );
    }
    const ids = [...new Set(idHexes)].map((id) => oid(id, 'attachmentIds'));
    const docs = await store.attachments.findByIds(ids);
    // Someone else's upload looks exactly like a missing one: ids reveal nothing.
    const mine = docs.filter((d) => d.uploaderId.equals(senderId));
    if (mine.length !== ids.length) throw AppError.notFound('Attachment not found');
    const order = new Map(ids.map((id, i) => [hex(id), i]));
    return mine.sort((a, b) => (order.get(hex(a._id)) ?? 0) - (order.get(hex(b._id)) ?? 0));
  }

  async function replySnapshot(
    access: SendAccess,
    viewerId: ObjectId,
    replyToHex: string,
  ): Promise<ReplyToSnapshot> {
    const [target, membership] = await Promise.all([
      store.messages.findById(oid(replyToHex, 'replyToId')),
      sendAccess.membershipOf(access, viewerId),
    ]);
    const hidden =
      !target ||
      !target.conversationId.equals(access.conversationId) ||
      (target.hiddenFor ?? []).some((id) => id.equals(viewerId)) ||
      target.seq <= (membership.hiddenBefore ?? 0);
    if (hidden) throw AppError.notFound('Message to reply to not found');
    const snapshot: ReplyToSnapshot = {
      id: target._id,
      seq: target.seq,
      senderId: target.senderId,
    };
    if (!target.deletedAt && target.text !== undefined)
      snapshot.text = target.text.slice(0, PREVIEW_CHARS);
    return snapshot;
  }

  /** Why allocateSeq refused: a block stands between the two members, or it is gone (rare path). */
  async function refusal(conversationId: ObjectId): Promise<AppError> {
    const conversation = await store.conversations.findById(conversationId);
    return conversation?.blocked && !conversation.closedAt
      ? AppError.forbidden('Blocked')
      : AppError.notFound('Conversation not found');
  }

  async function existingSend(
    senderId: ObjectId,
    input: SendInput,
    found?: MessageDoc | null,
  ): Promise<SentMessage | undefined> {
    const doc =
      found === undefined
        ? await store.messages.findByClientMsgId(senderId, input.clientMsgId)
        : found;
    if (!doc) return undefined;
    if (hex(doc.conversationId) !== input.conversationId) {
      throw AppError.conflict('clientMsgId was already used for another conversation');
    }
    const [message] = await toDtos([doc]);
    if (!message) return undefined;
    return { message, recipientIds: [], created: false };
  }

  /**
   * The conversation preview was set to the message whose insert just lost to `stored` (same
   * clientMsgId): show `stored` again. Best effort: the preview is cosmetic, the answer is not.
   */
  async function restorePreview(
    conversationId: ObjectId,
    unusedId: ObjectId,
    stored: Message,
  ): Promise<void> {
    await store.conversations
      .restoreLastMessage(conversationId, unusedId, {
        id: oid(stored.id),
        seq: stored.seq,
        senderId: oid(stored.senderId),
        ...(stored.text !== undefined ? { text: stored.text.slice(0, PREVIEW_CHARS) } : {}),
        kind: stored.deleted
          ? 'deleted'
          : previewKindOf(
              stored.text,
              stored.attachments.map((a) => a.kind),
            ),
        createdAt: new Date(stored.createdAt),
      })
      .catch(() => undefined);
  }

  /** Admits the send, then finds the message an earlier attempt stored, if it may exist. */
  async function admitAndLookUp(
    senderId: ObjectId,
    senderHex: string,
    clientMsgId: string,
  ): Promise<MessageDoc | null> {
    const admitted = await options.admission?.admit(senderHex, clientMsgId);
    if (admitted?.first) return null;
    return store.messages.findByClientMsgId(senderId, clientMsgId);
  }

  return {
    toDtos,

    /**
     * DESIGN decision 3: idempotent by (sender, clientMsgId); seq from one atomic $inc
     * on the conversation; unique indexes catch the races a lookup cannot.
     */
    async send(senderHex: string, input: SendInput): Promise<SentMessage> {
      const senderId = oid(senderHex);
      const conversationId = oid(input.conversationId, 'conversationId');
      // Admission (budget + idempotency claim), the resend lookup and the membership check
      // are independent and run together. A refused admission fails the send; a resend still
      // wins over a failed access check. A first send (claimed in Redis) needs no lookup: the
      // unique index still catches what the claim misses.
      const [previous, checked] = await Promise.all([
        admitAndLookUp(senderId, senderHex, input.clientMsgId),
        sendAccess.check(conversationId, senderId).then(
          (access) => ({ access }),
          (error: unknown) => ({ error }),
        ),
      ]);
      const resent = await existingSend(senderId, input, previous);
      if (resent) {
        // The first attempt may have failed between storing and the offline hand-off; job
        // ids are deterministic (issue 4), so handing it off again never delivers twice.
        if (options.onMessageSent) {
          const members = await store.memberships.listMemberIds(
            oid(input.conversationId, 'conversationId'),
          );
          await options.onMessageSent({
            ...resent,
            recipientIds: members.map(hex).filter((id) => id !== senderHex),
          });
        }
        return resent;
      }

      if ('error' in checked) throw checked.error;
      const { access } = checked;
      const attachments = await loadOwnAttachments(senderId, input.attachmentIds ?? []);
      const text = checkMessageText(input.text, attachments.length > 0, options.textMaxChars);
      if (!text.ok) {
        throw text.code === 'PAYLOAD_TOO_LARGE'
          ? AppError.payloadTooLarge(text.message)
          : AppError.validation({ fields: [{ path: '/text', message: text.message }] });
      }
      const replyTo = input.replyToId
        ? await replySnapshot(access, senderId, input.replyToId)
        : undefined;

      const id = new ObjectId();
      const createdAt = new Date();
      // Refuses a closed group and a blocked direct conversation in the same atomic update
      // (send-access reads neither the group's document nor the blocks).
      const seq = await store.conversations.allocateSeq(conversationId, {
        id,
        senderId,
        ...(text.text !== undefined ? { text: text.text.slice(0, PREVIEW_CHARS) } : {}),
        kind: previewKindOf(
          text.text,
          attachments.map((a) => a.kind),
        ),
        createdAt,
      });
      if (seq === null) throw await refusal(conversationId);

      const toInsert: InsertMessageInput = {
        _id: id,
        conversationId,
        seq,
        senderId,
        clientMsgId: input.clientMsgId,
        ...(text.text !== undefined ? { text: text.text } : {}),
        attachmentIds: attachments.map((a) => a._id),
        ...(replyTo ? { replyTo } : {}),
        createdAt,
      };
      // Written behind (batched with other sends, shown at once by this node's reads). It may
      // land a moment before the insert does: a seq is never reused.
      store.memberships.moveOwnCursors(conversationId, senderId, seq, createdAt);
      // The insert and the writes/reads that do not depend on it share one round trip.
      const alongside = Promise.all([
        attachments.length > 0
          ? store.attachments.markUsed(
              attachments.map((a) => a._id),
              senderId,
            )
          : undefined,
        // Only the offline hand-off needs the recipients.
        options.onMessageSent ? sendAccess.memberIds(access) : [],
      ]);
      // Awaited below; this only keeps a failure from being unhandled if the insert throws first.
      alongside.catch(() => undefined);
      let doc: MessageDoc;
      try {
        doc = await store.messages.insert(toInsert);
      } catch (err) {
        // The same clientMsgId raced in on another node and won: answer with its message.
        // The seq we allocated stays unused (a gap only clients of this race can see).
        if (err instanceof DuplicateKeyError) {
          const winner = await existingSend(senderId, input);
          if (winner) {
            await restorePreview(conversationId, id, winner.message);
            return winner;
          }
        }
        throw err;
      }
      const [, memberIds] = await alongside;

      const message = newMessageDto(doc, attachments);
      fanout.toConversation(input.conversationId, 'message:new', { message });
      const recipientIds = memberIds.map(hex).filter((id) => id !== senderHex);
      const sent: SentMessage = { message, recipientIds, created: true };
      await options.onMessageSent?.(sent);
      return sent;
    },

    async history(
      viewerHex: string,
      input: HistoryInput,
    ): Promise<{ messages: Message[]; hasMore: boolean }> {
      if (input.before !== undefined && input.after !== undefined) {
        throw AppError.validation({
          fields: [{ path: '/before', message: 'Use either before or after, not both' }],
        });
      }
      const viewerId = oid(viewerHex);
      const view = await requireMember(
        store,
        oid(input.conversationId, 'conversationId'),
        viewerId,
      );
      const page = await store.messages.history(view.conversation._id, {
        viewerId,
        ...(input.before !== undefined ? { before: input.before } : {}),
        ...(input.after !== undefined ? { after: input.after } : {}),
        ...(input.limit !== undefined ? { limit: input.limit } : {}),
        ...(view.membership.hiddenBefore !== undefined
          ? { hiddenBefore: view.membership.hiddenBefore }
          : {}),
      });
      return { messages: await toDtos(page.messages), hasMore: page.hasMore };
    },

    async search(
      viewerHex: string,
      conversationHex: string,
      q: string,
      limit?: number,
    ): Promise<{ messages: Message[] }> {
      const viewerId = oid(viewerHex);
      const view = await requireMember(store, oid(conversationHex, 'id'), viewerId);
      const docs = await store.messages.search(view.conversation._id, q, {
        viewerId,
        ...(limit !== undefined ? { limit } : {}),
        ...(view.membership.hiddenBefore !== undefined
          ? { hiddenBefore: view.membership.hiddenBefore }
          : {}),
      });
      return { messages: await toDtos(docs) };
    },
  };
}
