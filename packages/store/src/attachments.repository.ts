import { ObjectId, type Db } from 'mongodb';
import type { AttachmentDoc } from './types.js';
import { uniqueIds } from './util.js';

/** The stored fields the uploader chose; usedAt is stamped later (markUsed). */
export type CreateAttachmentInput = Pick<
  AttachmentDoc,
  'uploaderId' | 'name' | 'size' | 'mime' | 'kind' | 'storageKey'
> & {
  /** Pre-generated when the storage key is derived from the id. */
  _id?: ObjectId;
  /** @default new Date() */
  createdAt?: Date;
};

export interface AttachmentsRepository {
  create(input: CreateAttachmentInput): Promise<AttachmentDoc>;
  findById(id: ObjectId): Promise<AttachmentDoc | null>;
  /** Missing ids are absent; callers compare lengths and check `uploaderId`. */
  findByIds(ids: readonly ObjectId[]): Promise<AttachmentDoc[]>;
  /** Stamps usedAt on the uploader's own attachments (first use wins); returns how many matched. */
  markUsed(ids: readonly ObjectId[], uploaderId: ObjectId, at?: Date): Promise<number>;
  /** Uploads never referenced by a message, older than `before` (for a cleanup sweep). */
  findUnusedBefore(before: Date, limit?: number): Promise<AttachmentDoc[]>;
}

export function createAttachmentsRepository(db: Db): AttachmentsRepository {
  const collection = db.collection<AttachmentDoc>('attachments');
  return {
    async create(input) {
      const doc: AttachmentDoc = {
        _id: input._id ?? new ObjectId(),
        uploaderId: input.uploaderId,
        name: input.name,
        size: input.size,
        mime: input.mime,
        kind: input.kind,
        storageKey: input.storageKey,
        createdAt: input.createdAt ?? new Date(),
      };
      await collection.insertOne(doc);
      return doc;
    },

    findById: (id) => collection.findOne({ _id: id }),

    async findByIds(ids) {
      const unique = uniqueIds(ids);
      if (unique.length === 0) return [];
      const docs = await collection.find({ _id: { $in: unique } }).toArray();
      // Keep the caller's order: it is the order the files appear in the message.
      const byId = new Map(docs.map((d) => [d._id.toHexString(), d]));
      return unique
        .map((id) => byId.get(id.toHexString()))
        .filter((d): d is AttachmentDoc => d !== undefined);
    },

    async markUsed(ids, uploaderId, at = new Date()) {
      const unique = uniqueIds(ids);
      if (unique.length === 0) return 0;
      const matched = await collection.countDocuments({ _id: { $in: unique }, uploaderId });
      await collection.updateMany(
        { _id: { $in: unique }, uploaderId, usedAt: { $exists: false } },
        { $set: { usedAt: at } },
      );
      return matched;
    },

    findUnusedBefore: (before, limit = 500) =>
      collection
        .find({ usedAt: { $exists: false }, createdAt: { $lt: before } })
        .sort({ createdAt: 1 })
        .limit(limit)
        .toArray(),
  };
}
