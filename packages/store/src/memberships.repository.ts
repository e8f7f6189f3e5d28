import type { ObjectId } from 'mongodb';
import { type AnyBulkWriteOperation, type Db } from 'mongodb';
import { batchedFindByField, batchedFindOneByKey } from './batching/batched-ops.js';
import { createOwnCursorWriter, type OwnCursorWriter } from './batching/own-cursor-writer.js';
import { isDuplicateKeyError } from './errors.js';
import { createMembershipCursors, type MembershipCursors } from './membership-cursors.js';
import { createMembershipMutes, type MembershipMutes } from './membership-mutes.js';
import type { MemberRole, MembershipDoc } from './types.js';

export interface AddMemberInput {
  userId: ObjectId;
  role: MemberRole;
  /** @default new Date() */
  joinedAt?: Date;
  /**
   * Starting read/delivered cursor. Pass the conversation's current seq when adding
   * someone to an existing group so its old history does not count as unread.
   * @default 0
   */
  startSeq?: number;
  /** Hide messages with seq <= this from the new member. */
  hiddenBefore?: number;
}

export type { CursorMove } from './membership-cursors.js';

export interface MembershipsRepository extends MembershipCursors, MembershipMutes {
  /** Idempotent: an existing membership is returned unchanged (role/cursors kept). */
  add(
    conversationId: ObjectId,
    input: AddMemberInput,
  ): Promise<{ membership: MembershipDoc; added: boolean }>;
  /** Idempotent bulk add; returns the user ids that were not members before. */
  addMany(conversationId: ObjectId, inputs: readonly AddMemberInput[]): Promise<ObjectId[]>;
  /** Deletes the membership (leave/remove); returns whether there was one. */
  remove(conversationId: ObjectId, userId: ObjectId): Promise<boolean>;
  find(conversationId: ObjectId, userId: ObjectId): Promise<MembershipDoc | null>;
  /** Ordered by joinedAt. @default limit 10 000 (the largest configurable group) */
  listMembers(conversationId: ObjectId, limit?: number): Promise<MembershipDoc[]>;
  listMemberIds(conversationId: ObjectId): Promise<ObjectId[]>;
  /** Every member of each conversation, ordered by joinedAt (conversation DTOs of a list). */
  listMembersOf(conversationIds: readonly ObjectId[]): Promise<MembershipDoc[]>;
  /** Every conversation the user belongs to (bounded by how many a user can join). */
  listConversationIdsOfUser(userId: ObjectId): Promise<ObjectId[]>;
  /** Memberships of one user in many conversations (for list/sync assembly). */
  findForUser(userId: ObjectId, conversationIds: readonly ObjectId[]): Promise<MembershipDoc[]>;
  setRole(
    conversationId: ObjectId,
    userId: ObjectId,
    role: MemberRole,
  ): Promise<MembershipDoc | null>;
  countMembers(conversationId: ObjectId): Promise<number>;
  /** Do the two users share at least one conversation? (presence fan-out checks) */
  shareConversation(a: ObjectId, b: ObjectId): Promise<boolean>;
  /** Drops every membership of a conversation (used after closing a group, optional). */
  removeAll(conversationId: ObjectId): Promise<number>;
}

/**
 * The fields of a new membership except `_id`: upserts let the server assign it, because
 * `$setOnInsert: { _id }` is rejected by the embedded test server (real MongoDB accepts it).
 */
function newMembership(
  conversationId: ObjectId,
  input: AddMemberInput,
): Omit<MembershipDoc, '_id'> {
  const start = input.startSeq ?? 0;
  const doc: Omit<MembershipDoc, '_id'> = {
    conversationId,
    userId: input.userId,
    role: input.role,
    joinedAt: input.joinedAt ?? new Date(),
    readSeq: start,
    deliveredSeq: start,
  };
  if (input.hiddenBefore !== undefined) doc.hiddenBefore = input.hiddenBefore;
  return doc;
}

export function createMembershipsRepository(
  db: Db,
  ownCursors: OwnCursorWriter = createOwnCursorWriter(db.collection('memberships')),
): MembershipsRepository {
  const collection = db.collection<MembershipDoc>('memberships');
  const current = ownCursors.overlay;
  // Send-path operations, batched across concurrent sends (batching/coalescer.ts).
  const findOne = batchedFindOneByKey(collection, ['conversationId', 'userId'] as const);
  const membersOf = batchedFindByField(collection, 'conversationId', {
    projection: { conversationId: 1, userId: 1 },
  });
  // Every connecting socket joins its conversations' rooms: one query for a storm of connects.
  const conversationsOf = batchedFindByField(collection, 'userId', {
    projection: { userId: 1, conversationId: 1 },
  });

  return {
    ...createMembershipCursors(collection, ownCursors),
    ...createMembershipMutes(collection, current),

    async add(conversationId, input) {
      const doc = newMembership(conversationId, input);
      try {
        const res = await collection.updateOne(
          { conversationId, userId: input.userId },
          { $setOnInsert: doc },
          { upsert: true },
        );
        if (res.upsertedId) return { membership: { _id: res.upsertedId, ...doc }, added: true };
      } catch (err) {
        // Concurrent upserts of the same pair: the loser hits the unique index.
        if (!isDuplicateKeyError(err)) throw err;
      }
      const existing = await collection.findOne({ conversationId, userId: input.userId });
      if (!existing) throw new Error('membership vanished right after an idempotent add');
      return { membership: existing, added: false };
    },

    async addMany(conversationId, inputs) {
      if (inputs.length === 0) return [];
      const ops: AnyBulkWriteOperation<MembershipDoc>[] = inputs.map((input) => ({
        updateOne: {
          filter: { conversationId, userId: input.userId },
          update: { $setOnInsert: newMembership(conversationId, input) },
          upsert: true,
        },
      }));
      try {
        const res = await collection.bulkWrite(ops, { ordered: false });
        return Object.keys(res.upsertedIds)
          .map((index) => inputs[Number(index)]?.userId)
          .filter((id): id is ObjectId => id !== undefined);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Raced with another add; the pairs exist now, which is what was asked.
        return [];
      }
    },

    async remove(conversationId, userId) {
      const res = await collection.deleteOne({ conversationId, userId });
      return res.deletedCount > 0;
    },

    async find(conversationId, userId) {
      const doc = await findOne([conversationId, userId]);
      return doc && current(doc);
    },

    async listMembers(conversationId, limit = 10_000) {
      const docs = await collection
        .find({ conversationId })
        .sort({ joinedAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(current);
    },

    async listMembersOf(conversationIds) {
      if (conversationIds.length === 0) return [];
      const docs = await collection
        .find({ conversationId: { $in: [...conversationIds] } })
        .sort({ joinedAt: 1, _id: 1 })
        .toArray();
      return docs.map(current);
    },

    async listMemberIds(conversationId) {
      const docs = await membersOf(conversationId);
      return docs.map((d) => d.userId);
    },

    async listConversationIdsOfUser(userId) {
      const docs = await conversationsOf(userId);
      return docs.map((d) => d.conversationId);
    },

    async findForUser(userId, conversationIds) {
      if (conversationIds.length === 0) return [];
      const docs = await collection
        .find({ userId, conversationId: { $in: [...conversationIds] } })
        .toArray();
      return docs.map(current);
    },

    setRole: (conversationId, userId, role) =>
      collection.findOneAndUpdate(
        { conversationId, userId },
        { $set: { role } },
        { returnDocument: 'after' },
      ),

    countMembers: (conversationId) => collection.countDocuments({ conversationId }),

    async shareConversation(a, b) {
      const ofA = await collection
        .find({ userId: a }, { projection: { conversationId: 1 } })
        .toArray();
      if (ofA.length === 0) return false;
      const n = await collection.countDocuments(
        { userId: b, conversationId: { $in: ofA.map((d) => d.conversationId) } },
        { limit: 1 },
      );
      return n > 0;
    },

    async removeAll(conversationId) {
      const res = await collection.deleteMany({ conversationId });
      return res.deletedCount;
    },
  };
}
