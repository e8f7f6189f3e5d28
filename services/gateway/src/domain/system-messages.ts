import type { Logger } from '@chat/core';
import type { Message } from '@chat/protocol';
import type { SendState } from '@chat/send-state';
import {
  DuplicateKeyError,
  lastMessagePreviewOf,
  toMessageDto,
  type MessageDoc,
  type MongoStore,
  type ObjectId,
  type SystemEventDoc,
} from '@chat/store';
import type { Fanout } from './fanout.js';
import { hex } from './ids.js';
import { seedCounter } from './send/seq-allocator.js';

/** Attempts at a seq before giving up (each failed one repaired the counter). */
const MAX_ATTEMPTS = 4;

export type PostSystemMessage = (
  conversationId: ObjectId,
  event: SystemEventDoc,
) => Promise<Message | undefined>;

/**
 * System messages (docs/PROTOCOL.md#section-7: "Ann added Bob"): stored as `kind: 'system'` messages with a
 * seq from the SAME Redis counter as user sends (@chat/send-state NEXT_SEQ_LUA), so they take
 * their place in the one order every member displays, and the unique (conversationId, seq)
 * index guards them exactly like sends: a missing counter is seeded from MongoDB, a counter
 * behind MongoDB is raised and a fresh seq taken. Then `message:new` to the conversation's
 * room and the write-behind preview, like a send; `sync` and history serve them as messages.
 *
 * Cost per change: 1 Redis script + 1 MongoDB insert + the publish. A failure is logged and
 * answered `undefined`: the change it describes already happened and was announced, and
 * failing the request would make the caller retry a change that succeeded.
 */
export function createSystemMessages(deps: {
  store: MongoStore;
  sendState: Pick<SendState, 'nextSeq' | 'raiseCounter'>;
  fanout: Fanout;
  logger: Logger;
}): PostSystemMessage {
  const { store, sendState, fanout } = deps;

  async function insert(conversationId: ObjectId, event: SystemEventDoc): Promise<MessageDoc> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const seq = await sendState.nextSeq(hex(conversationId));
      if (seq === undefined) {
        await seedCounter(store, sendState, conversationId);
        continue;
      }
      try {
        return await store.messages.insert({
          conversationId,
          seq,
          senderId: event.actorId,
          kind: 'system',
          system: event,
          createdAt: new Date(),
        });
      } catch (err) {
        if (!(err instanceof DuplicateKeyError) || !err.involves('seq')) throw err;
        await seedCounter(store, sendState, conversationId);
      }
    }
    throw new Error('the seq counter kept falling behind MongoDB');
  }

  return async (conversationId, event) => {
    try {
      const doc = await insert(conversationId, event);
      // No attachments or reactions to resolve: the stored document is the whole message.
      const message = toMessageDto(doc);
      fanout.toConversation(hex(conversationId), 'message:new', { message });
      store.conversations.recordMessage({
        conversationId,
        preview: lastMessagePreviewOf(doc, []),
      });
      return message;
    } catch (err) {
      deps.logger.warn(
        { err, conversationId: hex(conversationId), type: event.type },
        'system message failed',
      );
      return undefined;
    }
  };
}
