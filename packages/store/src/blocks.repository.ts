import type { Collection, Db, ObjectId } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import type { BlockDoc } from './types.js';

export interface BlocksRepository {
  readonly collection: Collection<BlockDoc>;
  /** Idempotent; returns true when the block is new. */
  block(blockerId: ObjectId, blockedId: ObjectId, at?: Date): Promise<boolean>;
  /** Idempotent; returns true when a block was removed. */
  unblock(blockerId: ObjectId, blockedId: ObjectId): Promise<boolean>;
  isBlocked(blockerId: ObjectId, blockedId: ObjectId): Promise<boolean>;
  /** True if either user blocked the other (direct conversations are then forbidden). */
  isBlockedEitherWay(a: ObjectId, b: ObjectId): Promise<boolean>;
  listBlockedBy(blockerId: ObjectId, limit?: number): Promise<ObjectId[]>;
}

export function createBlocksRepository(db: Db): BlocksRepository {
  const collection = db.collection<BlockDoc>('blocks');
  return {
    collection,

    async block(blockerId, blockedId, at = new Date()) {
      try {
        const res = await collection.updateOne(
          { blockerId, blockedId },
          { $setOnInsert: { blockerId, blockedId, createdAt: at } },
          { upsert: true },
        );
        return res.upsertedCount > 0;
      } catch (err) {
        // Two concurrent upserts can both miss and one then hits the unique index.
        if (isDuplicateKeyError(err)) return false;
        throw err;
      }
    },

    async unblock(blockerId, blockedId) {
      const res = await collection.deleteOne({ blockerId, blockedId });
      return res.deletedCount > 0;
    },

    async isBlocked(blockerId, blockedId) {
      return (await collection.countDocuments({ blockerId, blockedId }, { limit: 1 })) > 0;
    },

    async isBlockedEitherWay(a, b) {
      const n = await collection.countDocuments(
        {
          $or: [
            { blockerId: a, blockedId: b },
            { blockerId: b, blockedId: a },
          ],
        },
        { limit: 1 },
      );
      return n > 0;
    },

    async listBlockedBy(blockerId, limit = 1000) {
      const docs = await collection
        .find({ blockerId }, { projection: { blockedId: 1 } })
        .sort({ createdAt: -1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => d.blockedId);
    },
  };
}
