import type { Db, Filter, ObjectId } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import type { BlockDoc, ConversationDoc } from './types.js';
import { directKeyOf } from './util.js';

export interface BlocksRepository {
  /** Idempotent; returns true when the block is new. */
  block(blockerId: ObjectId, blockedId: ObjectId, at?: Date): Promise<boolean>;
  /** Idempotent; returns true when a block was removed. */
  unblock(blockerId: ObjectId, blockedId: ObjectId): Promise<boolean>;
  isBlocked(blockerId: ObjectId, blockedId: ObjectId): Promise<boolean>;
  /** True if either user blocked the other (direct conversations are then forbidden). */
  isBlockedEitherWay(a: ObjectId, b: ObjectId): Promise<boolean>;
  /** Whom `blockerId` blocked, newest first. @default limit 1000 */
  listBlockedBy(blockerId: ObjectId, limit?: number): Promise<ObjectId[]>;
}

/** Blocks between the two users, in either direction. */
export function eitherWay(a: ObjectId, b: ObjectId): Filter<BlockDoc> {
  return {
    $or: [
      { blockerId: a, blockedId: b },
      { blockerId: b, blockedId: a },
    ],
  };
}

export function createBlocksRepository(db: Db): BlocksRepository {
  const collection = db.collection<BlockDoc>('blocks');
  const conversations = db.collection<ConversationDoc>('conversations');

  const isBlockedEitherWay = async (a: ObjectId, b: ObjectId): Promise<boolean> =>
    (await collection.countDocuments(eitherWay(a, b), { limit: 1 })) > 0;

  /**
   * Mirrors the block state onto the pair's direct conversation (ConversationDoc.blocked), where
   * allocateSeq checks it. Set after a block is stored; on unblock, cleared only when no block is
   * left either way, read after the delete, so a concurrent block by the other member (which sets
   * the flag after storing its block) always wins.
   */
  async function mirrorOnConversation(a: ObjectId, b: ObjectId): Promise<void> {
    await conversations.updateOne(
      { directKey: directKeyOf(a, b), type: 'direct' },
      (await isBlockedEitherWay(a, b)) ? { $set: { blocked: true } } : { $unset: { blocked: '' } },
    );
  }

  return {
    async block(blockerId, blockedId, at = new Date()) {
      let added: boolean;
      try {
        const res = await collection.updateOne(
          { blockerId, blockedId },
          { $setOnInsert: { blockerId, blockedId, createdAt: at } },
          { upsert: true },
        );
        added = res.upsertedCount > 0;
      } catch (err) {
        // Two concurrent upserts can both miss and one then hits the unique index.
        if (!isDuplicateKeyError(err)) throw err;
        added = false;
      }
      await conversations.updateOne(
        { directKey: directKeyOf(blockerId, blockedId), type: 'direct' },
        { $set: { blocked: true } },
      );
      return added;
    },

    async unblock(blockerId, blockedId) {
      const res = await collection.deleteOne({ blockerId, blockedId });
      await mirrorOnConversation(blockerId, blockedId);
      return res.deletedCount > 0;
    },

    async isBlocked(blockerId, blockedId) {
      return (await collection.countDocuments({ blockerId, blockedId }, { limit: 1 })) > 0;
    },

    isBlockedEitherWay,

    async listBlockedBy(blockerId, limit = 1000) {
      const docs = await collection
        .find({ blockerId }, { projection: { blockedId: 1 } })
        // _id breaks ties of blocks made within the same millisecond.
        .sort({ createdAt: -1, _id: -1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => d.blockedId);
    },
  };
}
