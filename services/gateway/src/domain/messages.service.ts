import { AppError } from '@chat/core';
import type { Message } from '@chat/protocol';
import type { SendState } from '@chat/send-state';
import {
  toAttachmentDto,
  toMessageDto,
  type AttachmentDoc,
  type MessageDoc,
  type MongoStore,
  type ObjectId,
} from '@chat/store';
import { requireMember } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';
import type { MembershipCache } from './send/membership-cache.js';
import { createMessageParts } from './send/message-parts.js';
import {
  createMessageSender,
  type MentionEvent,
  type SendInput,
  type SentMessage,
} from './send/send-message.js';

export type { MentionEvent, SendInput, SentMessage };

export interface HistoryInput {
  conversationId: string;
  before?: number;
  after?: number;
  limit?: number;
}

export interface MessagesServiceOptions {
  store: MongoStore;
  fanout: Fanout;
  /** The Redis side of a send: budget, claim, seq counter, hand-off (@chat/send-state). */
  sendState: SendState;
  /** Who may send where, per node (send/membership-cache.ts). */
  access: MembershipCache;
  /** Resolves attachment documents to DTOs with fresh signed URLs. */
  attachmentUrl?: (doc: AttachmentDoc) => string;
  textMaxChars: number;
  attachmentsPerMessage: number;
  /** Members mentioned in a stored message (notifications.service `mentioned`). */
  onMentioned?: (event: MentionEvent) => void;
  /** Presence sets the send script reads for direct messages (send/send-message.ts). */
  presenceKeys?: { of: (userId: string) => string; now: () => number; countSenderDevices: boolean };
}

export type MessagesService = ReturnType<typeof createMessagesService>;

/** Sending (send/send-message.ts), history and search: the messages a member may see. */
export function createMessagesService(options: MessagesServiceOptions) {
  const { store } = options;

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

  const sender = createMessageSender({
    ...options,
    parts: createMessageParts(options),
    toDtos,
    newMessageDto: (doc, attachments) =>
      toMessageDto(doc, {
        attachmentsOf: resolveAttachments(new Map(attachments.map((a) => [hex(a._id), a]))),
      }),
  });

  return {
    toDtos,

    send: (senderHex: string, input: SendInput): Promise<SentMessage> =>
      sender.send(senderHex, input),

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
