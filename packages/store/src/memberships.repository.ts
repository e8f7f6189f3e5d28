import type { ObjectId } from 'mongodb';
import { type AnyBulkWriteOperation, type Db } from 'mongodb';
import { batchedFindByField, batchedFindOneByKey } from './batching/batched-ops.js';
import { createOwnCursorWriter, type OwnCursorWriter } from './batching/own-cursor-writer.js';
import { isDuplicateKeyError } from './errors.js';
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

/** Result of a forward-only cursor move. */
export interface CursorMove {
  /** The cursor after the call (the stored value if the request was behind it). */
  value: number;
  moved: boolean;
}

export interface MembershipsRepository {
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
  /** Sets (a future date) or clears (`null`) the member's mute; null when not a member. */
  setMutedUntil(
    conversationId: ObjectId,
    userId: ObjectId,
    until: Date | null,
  ): Promise<MembershipDoc | null>;
  /**
   * Which of these (conversation, user) pairs are muted at `at`, as `<conversationHex>:<userHex>`:
   * one query for a whole batch (the worker's offline hand-off), over the user index.
   */
  mutedAmong(
    pairs: readonly { conversationId: ObjectId; userId: ObjectId }[],
    at: Date,
  ): Promise<Set<string>>;
  /** Do the two users share at least one conversation? (presence fan-out checks) */
  shareConversation(a: ObjectId, b: ObjectId): Promise<boolean>;
  /** Forward-only; reading implies delivery, so deliveredSeq moves up to seq too. */
  advanceRead(
    conversationId: ObjectId,
    userId: ObjectId,
    seq: number,
    at?: Date,
  ): Promise<CursorMove | null>;
  /**
   * The sender's own cursors after a send: both move forward to `seq`. Write-behind
   * (batching/own-cursor-writer.ts): returns at once; this node's reads show the move
   * immediately, other nodes within tens of milliseconds.
   */
  moveOwnCursors(conversationId: ObjectId, userId: ObjectId, seq: number, at: Date): void;
  /** Stores the queued own-cursor moves (shutdown, tests). */
  flushOwnCursors(): Promise<void>;
  /** Forward-only. Returns null when the user is not a member. */
  advanceDelivered(
    conversationId: ObjectId,
    userId: ObjectId,
    seq: number,
    at?: Date,
  ): Promise<CursorMove | null>;
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

  /**
   * Decision 4: one filtered update `{ field: { $lt: seq } }` + `$set`, so concurrent
   * receipts from several devices/nodes can only move the cursor up. When the filter
   * does not match we read the stored value (already ahead, or not a member).
   */
  async function advance(
    field: 'readSeq' | 'deliveredSeq',
    conversationId: ObjectId,
    userId: ObjectId,
    seq: number,
    at: Date,
  ): Promise<CursorMove | null> {
    const atField = field === 'readSeq' ? 'readAt' : 'deliveredAt';
    const updated = await collection.findOneAndUpdate(
      { conversationId, userId, [field]: { $lt: seq } },
      { $set: { [field]: seq, [atField]: at } },
      { returnDocument: 'after', projection: { [field]: 1 } },
    );
    if (updated) return { value: updated[field], moved: true };
    const current = await collection.findOne(
      { conversationId, userId },
      { projection: { [field]: 1 } },
    );
    return current ? { value: current[field], moved: false } : null;
  }

  return {
    async setMutedUntil(conversationId, userId, until) {
      const doc = await collection.findOneAndUpdate(
        { conversationId, userId },
        until === null ? { $unset: { mutedUntil: '' } } : { $set: { mutedUntil: until } },
        { returnDocument: 'after' },
      );
      return doc && current(doc);
    },

    async mutedAmong(pairs, at) {
      const muted = new Set<string>();
      if (pairs.length === 0) return muted;
      const wanted = new Set(
        pairs.map((p) => `${p.conversationId.toHexString()}:${p.userId.toHexString()}`),
      );
      const unique = <T extends ObjectId>(ids: T[]) => [
        ...new Map(ids.map((id) => [id.toHexString(), id])).values(),
      ];
      // The $in product is a superset of the pairs; the exact pairs are picked below.
      const docs = await collection
        .find(
          {
            userId: { $in: unique(pairs.map((p) => p.userId)) },
            conversationId: { $in: unique(pairs.map((p) => p.conversationId)) },
            mutedUntil: { $gt: at },
          },
          { projection: { conversationId: 1, userId: 1 } },
        )
        .toArray();
      for (const d of docs) {
        const key = `${d.conversationId.toHexString()}:${d.userId.toHexString()}`;
        if (wanted.has(key)) muted.add(key);
      }
      return muted;
    },

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

    async advanceRead(conversationId, userId, seq, at = new Date()) {
      const read = await advance('readSeq', conversationId, userId, seq, at);
      if (read) await advance('deliveredSeq', conversationId, userId, seq, at);
      return read;
    },

    moveOwnCursors(conversationId, userId, seq, at) {
      ownCursors.move({ conversationId, userId, seq, at });
    },

    flushOwnCursors: () => ownCursors.flush(),

    advanceDelivered: (conversationId, userId, seq, at = new Date()) =>
      advance('deliveredSeq', conversationId, userId, seq, at),

    async removeAll(conversationId) {
      const res = await collection.deleteMany({ conversationId });
      return res.deletedCount;
    },
  };
}
