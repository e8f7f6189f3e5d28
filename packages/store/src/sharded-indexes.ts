import type { IndexDescription } from 'mongodb';
import { INDEXES, REPLACED_INDEXES, type IndexSet } from './ensure-indexes.js';
import type { ClientMsgIdDoc, MessageDoc } from './types.js';

/**
 * The index set of a sharded deployment (MONGO_SHARDED, docs/SCALING.md "MongoDB: sharding
 * plan"). It differs from INDEXES in one place: messages' `(senderId, clientMsgId)` index does
 * not start with the messages shard key (`conversationId`), so MongoDB could not enforce it per
 * shard. It becomes `(conversationId, senderId, clientMsgId)` (a resend in the SAME conversation
 * still hits an index) and the cross-conversation rule moves to the `clientMsgIds` proxy
 * collection, sharded by its `_id` `{ s: senderId, c: clientMsgId }` (client-msg-ids.ts).
 */

/** The unsharded deployment's idempotency index, replaced in sharded mode. */
export const UNSHARDED_CLIENT_MSG_ID = 'sender_clientMsgId_unique';

export const SHARDED_CLIENT_MSG_ID_INDEX: IndexDescription = {
  name: 'conversation_sender_clientMsgId_unique',
  key: { conversationId: 1, senderId: 1, clientMsgId: 1 },
  unique: true,
  partialFilterExpression: { clientMsgId: { $type: 'string' } },
};

/** The proxy collection: only its `_id` index, which is unique under any shard key `{ _id }`. */
export const CLIENT_MSG_IDS = 'clientMsgIds';

function withShardedMessages(): Record<string, readonly IndexDescription[]> {
  const messages = (INDEXES['messages'] ?? []).map((index) =>
    index.name === UNSHARDED_CLIENT_MSG_ID ? SHARDED_CLIENT_MSG_ID_INDEX : index,
  );
  return { ...INDEXES, messages, [CLIENT_MSG_IDS]: [] };
}

export const SHARDED_INDEXES: Readonly<Record<string, readonly IndexDescription[]>> =
  withShardedMessages();

/**
 * The indexes to build and the ones to drop first for a mode. Each mode drops the other's
 * idempotency index, so a database switched either way migrates on start.
 */
export function indexSetFor(sharded: boolean): IndexSet {
  const other = sharded ? UNSHARDED_CLIENT_MSG_ID : String(SHARDED_CLIENT_MSG_ID_INDEX.name);
  return {
    indexes: sharded ? SHARDED_INDEXES : INDEXES,
    replaced: {
      ...REPLACED_INDEXES,
      messages: [...(REPLACED_INDEXES['messages'] ?? []), other],
    },
  };
}

/** Every index either mode creates, by collection: what a duplicate key's index name resolves to. */
export function knownIndex(collection: string, name: string): IndexDescription | undefined {
  return [...(INDEXES[collection] ?? []), ...(SHARDED_INDEXES[collection] ?? [])].find(
    (i) => i.name === name,
  );
}

/** The proxy of a message with a clientMsgId (the `_id` fields in this order, always). */
export function proxyOf(doc: MessageDoc & { clientMsgId: string }): ClientMsgIdDoc {
  return {
    _id: { s: doc.senderId, c: doc.clientMsgId },
    conversationId: doc.conversationId,
    messageId: doc._id,
  };
}
