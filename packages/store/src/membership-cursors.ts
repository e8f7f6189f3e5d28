import type { Collection, ObjectId } from 'mongodb';
import type { OwnCursorWriter } from './batching/own-cursor-writer.js';
import type { MembershipDoc } from './types.js';

/** Result of a forward-only cursor move. */
export interface CursorMove {
  /** The cursor after the call (the stored value if the request was behind it). */
  value: number;
  moved: boolean;
}

/** A member's read and delivered cursors: they only ever move forward. */
export interface MembershipCursors {
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
}

export function createMembershipCursors(
  collection: Collection<MembershipDoc>,
  ownCursors: OwnCursorWriter,
): MembershipCursors {
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
  };
}
