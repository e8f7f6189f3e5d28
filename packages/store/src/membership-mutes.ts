import type { Collection, ObjectId } from 'mongodb';
import type { MembershipDoc } from './types.js';

/** Per-member mute of a conversation (no offline deliveries while muted). */
export interface MembershipMutes {
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
}

export function createMembershipMutes(
  collection: Collection<MembershipDoc>,
  /** The membership as this node's reads show it (own-cursor moves not yet stored included). */
  current: (doc: MembershipDoc) => MembershipDoc,
): MembershipMutes {
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
  };
}
