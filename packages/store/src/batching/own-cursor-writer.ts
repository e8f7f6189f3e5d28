import type { AnyBulkWriteOperation, Collection, ObjectId } from 'mongodb';
import type { MembershipDoc, StoreLogger } from '../types.js';
import { createWriteBehind } from './write-behind.js';

/** A sender's own read and delivered cursors move to the message they just sent. */
export interface OwnCursorMove {
  conversationId: ObjectId;
  userId: ObjectId;
  seq: number;
  at: Date;
}

export interface OwnCursorWriterOptions {
  /** How long a move waits for others to share its command. @default 20 */
  delayMs?: number;
  /** Moves per command at most. @default 500 */
  maxBatch?: number;
  logger?: StoreLogger;
}

const keyOf = (conversationId: ObjectId, userId: ObjectId): string =>
  `${conversationId.toHexString()}:${userId.toHexString()}`;

function operations(moves: Iterable<OwnCursorMove>): AnyBulkWriteOperation<MembershipDoc>[] {
  const ops: AnyBulkWriteOperation<MembershipDoc>[] = [];
  for (const { conversationId, userId, seq, at } of moves) {
    ops.push(
      {
        updateOne: {
          filter: { conversationId, userId, readSeq: { $lt: seq } },
          update: { $set: { readSeq: seq, readAt: at } },
        },
      },
      {
        updateOne: {
          filter: { conversationId, userId, deliveredSeq: { $lt: seq } },
          update: { $set: { deliveredSeq: seq, deliveredAt: at } },
        },
      },
    );
  }
  return ops;
}

/**
 * Every send moves its sender's read and delivered cursors to the new seq (their own message
 * is never unread), written behind (write-behind.ts). `overlay` lays this node's pending moves
 * over membership documents, so the sender's unread count and cursors are right at once. The
 * `$lt` filters keep the moves forward-only.
 */
export function createOwnCursorWriter(
  memberships: Collection<MembershipDoc>,
  options: OwnCursorWriterOptions = {},
) {
  const writes = createWriteBehind<OwnCursorMove>({
    keyOf: (move) => keyOf(move.conversationId, move.userId),
    supersedes: (a, b) => a.seq > b.seq,
    write: async (moves) => {
      await memberships.bulkWrite(operations(moves), { ordered: false });
    },
    delayMs: options.delayMs ?? 20,
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    what: 'own cursor moves',
    ...(options.logger ? { logger: options.logger } : {}),
  });

  return {
    /** Queues the move; never throws, never waits. */
    move: (move: OwnCursorMove): void => writes.queue(move),

    /** The membership as this node will have stored it: pending own moves applied. */
    overlay<M extends MembershipDoc>(doc: M): M {
      const move = writes.pending(keyOf(doc.conversationId, doc.userId));
      if (!move) return doc;
      const out = { ...doc };
      if (move.seq > out.readSeq) Object.assign(out, { readSeq: move.seq, readAt: move.at });
      if (move.seq > out.deliveredSeq)
        Object.assign(out, { deliveredSeq: move.seq, deliveredAt: move.at });
      return out;
    },

    /** Sends what is queued and waits for every write in flight (shutdown, tests). */
    flush: (): Promise<void> => writes.flush(),
  };
}

export type OwnCursorWriter = ReturnType<typeof createOwnCursorWriter>;
