import type { AnyBulkWriteOperation, Collection, ObjectId } from 'mongodb';
import type { ConversationDoc, LastMessagePreview, StoreLogger } from '../types.js';
import { createWriteBehind } from './write-behind.js';

/** A stored message moves its conversation's seq, list preview and activity time. */
export interface ConversationActivity {
  conversationId: ObjectId;
  preview: LastMessagePreview;
}

export interface ConversationActivityWriterOptions {
  /** How long an update waits for others to share its command. */
  delayMs: number;
  logger?: StoreLogger;
}

function operation({ conversationId, preview }: ConversationActivity) {
  const op: AnyBulkWriteOperation<ConversationDoc> = {
    updateOne: {
      // Newest wins: an update for a lower seq than the stored one changes nothing, so the
      // stored preview always belongs to the stored seq.
      filter: { _id: conversationId, seq: { $lt: preview.seq } },
      // $max: the list order stays sane if node clocks disagree slightly.
      update: {
        $set: { seq: preview.seq, lastMessage: preview },
        $max: { lastActivityAt: preview.createdAt },
      },
    },
  };
  return op;
}

/**
 * The conversation document's seq, `lastMessage` and `lastActivityAt`, written behind
 * (write-behind.ts): merged per conversation, one unordered bulk write per `delayMs`. The seq
 * itself comes from the Redis counter (@chat/send-state), so nothing here decides an order;
 * this only keeps lists and unread counts current. `overlay` shows this node's pending ones.
 */
export function createConversationActivityWriter(
  conversations: Collection<ConversationDoc>,
  options: ConversationActivityWriterOptions,
) {
  const writes = createWriteBehind<ConversationActivity>({
    keyOf: (item) => item.conversationId.toHexString(),
    supersedes: (a, b) => a.preview.seq > b.preview.seq,
    write: async (items) => {
      await conversations.bulkWrite(items.map(operation), { ordered: false });
    },
    delayMs: options.delayMs,
    what: 'conversation previews',
    ...(options.logger ? { logger: options.logger } : {}),
  });

  return {
    record: (activity: ConversationActivity): void => writes.queue(activity),

    /** The conversation as this node will have stored it. */
    overlay(doc: ConversationDoc): ConversationDoc {
      const pending = writes.pending(doc._id.toHexString());
      if (!pending || pending.preview.seq <= doc.seq) return doc;
      const { preview } = pending;
      return {
        ...doc,
        seq: preview.seq,
        lastMessage: preview,
        lastActivityAt:
          preview.createdAt > doc.lastActivityAt ? preview.createdAt : doc.lastActivityAt,
      };
    },

    flush: (): Promise<void> => writes.flush(),
  };
}
