import { AppError } from '@chat/core';
import { checkMessageText } from '@chat/protocol';
import {
  quoteOf,
  type AttachmentDoc,
  type MongoStore,
  type ObjectId,
  type ReplyToSnapshot,
} from '@chat/store';
import { hex, oid } from '../ids.js';

/**
 * The parts of a send that are checked before anything is allocated: the text, the sender's
 * own uploads and the message replied to. Only sends that carry attachments or a reply read
 * MongoDB here; a plain text send does no I/O.
 */
export function createMessageParts(deps: {
  store: MongoStore;
  textMaxChars: number;
  attachmentsPerMessage: number;
}) {
  const { store } = deps;

  return {
    /** The trimmed text, or undefined for an attachments-only message. */
    text(raw: string | undefined, hasAttachments: boolean): string | undefined {
      const checked = checkMessageText(raw, hasAttachments, deps.textMaxChars);
      if (checked.ok) return checked.text;
      throw checked.code === 'PAYLOAD_TOO_LARGE'
        ? AppError.payloadTooLarge(checked.message)
        : AppError.validation({ fields: [{ path: '/text', message: checked.message }] });
    },

    /** The sender's own uploads, in the order given; anyone else's look exactly like missing ones. */
    async ownAttachments(senderId: ObjectId, idHexes: readonly string[]): Promise<AttachmentDoc[]> {
      if (idHexes.length === 0) return [];
      if (idHexes.length > deps.attachmentsPerMessage) {
        throw AppError.payloadTooLarge(
          `At most ${deps.attachmentsPerMessage} attachments per message`,
        );
      }
      const ids = [...new Set(idHexes)].map((id) => oid(id, 'attachmentIds'));
      const docs = await store.attachments.findByIds(ids);
      const mine = docs.filter((d) => d.uploaderId.equals(senderId));
      if (mine.length !== ids.length) throw AppError.notFound('Attachment not found');
      const order = new Map(ids.map((id, i) => [hex(id), i]));
      return mine.sort((a, b) => (order.get(hex(a._id)) ?? 0) - (order.get(hex(b._id)) ?? 0));
    },

    /** A quote of a message the sender can see in the same conversation. */
    async replyTo(
      conversationId: ObjectId,
      viewerId: ObjectId,
      replyToHex: string,
    ): Promise<ReplyToSnapshot> {
      const [target, membership] = await Promise.all([
        store.messages.findById(oid(replyToHex, 'replyToId')),
        store.memberships.find(conversationId, viewerId),
      ]);
      const hidden =
        !target ||
        !membership ||
        !target.conversationId.equals(conversationId) ||
        (target.hiddenFor ?? []).some((id) => id.equals(viewerId)) ||
        target.seq <= (membership.hiddenBefore ?? 0);
      if (hidden) throw AppError.notFound('Message to reply to not found');
      const snapshot: ReplyToSnapshot = {
        id: target._id,
        seq: target.seq,
        senderId: target.senderId,
      };
      if (!target.deletedAt && target.text !== undefined) snapshot.text = quoteOf(target.text);
      return snapshot;
    },
  };
}

export type MessageParts = ReturnType<typeof createMessageParts>;
