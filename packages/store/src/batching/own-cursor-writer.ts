import type { AnyBulkWriteOperation, Collection, ObjectId } from 'mongodb';
import type { MembershipDoc, StoreLogger } from '../types.js';

/** Longer than any read round trip that could have started before a write landed. */
const LANDED_VISIBLE_MS = 2_000;

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
  /** Moves per command at most; a full batch leaves at once. @default 500 */
  maxBatch?: number;
  logger?: StoreLogger;
}

/**
 * Write-behind for the sender's own cursors, the one write of a send nobody waits for.
 *
 * Every send moves its sender's read and delivered cursors to the new seq (their own message
 * is never unread). Awaited per send, that is one MongoDB command per message, the most
 * expensive thing a send does (docs/SCALING.md). Here the moves of the next `delayMs` share
 * one unordered bulk write, and repeated moves of one (conversation, user) keep the highest.
 *
 * Reads on this node stay consistent: `overlay` lays pending moves over membership documents,
 * so the sender's unread count and cursors are right at once. Other nodes see the move when
 * it lands (within `delayMs` plus one round trip). If the write fails or the node dies first,
 * the cursors stay where they were until the user's next send or read receipt moves them:
 * the moves are forward-only (`$lt` filters), so a late or lost one never moves a cursor back.
 */
export function createOwnCursorWriter(
  memberships: Collection<MembershipDoc>,
  options: OwnCursorWriterOptions = {},
) {
  const delayMs = options.delayMs ?? 20;
  const maxBatch = options.maxBatch ?? 500;
  /** Queued and in-flight moves, the highest per (conversation, user): what `overlay` shows. */
  const pending = new Map<string, OwnCursorMove>();
  let queue = new Map<string, OwnCursorMove>();
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

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

  function dispatch(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.size === 0) return;
    const batch = queue;
    queue = new Map();
    const write = memberships
      .bulkWrite(operations(batch.values()), { ordered: false })
      .then(
        () => undefined,
        (err: unknown) => {
          options.logger?.warn(
            { err, moves: batch.size },
            'own cursor moves not stored; the next send or receipt moves them',
          );
        },
      )
      .finally(() => {
        inFlight.delete(write);
        // Still shown for a moment: a read sent before this write may be answered after it.
        // A newer move of the same key (queued meanwhile) stays until it lands in turn.
        setTimeout(() => {
          for (const [key, move] of batch) if (pending.get(key) === move) pending.delete(key);
        }, LANDED_VISIBLE_MS).unref();
      });
    inFlight.add(write);
  }

  return {
    /** Queues the move; never throws, never waits. */
    move(move: OwnCursorMove): void {
      const key = keyOf(move.conversationId, move.userId);
      const known = pending.get(key);
      if (known && known.seq >= move.seq) return;
      pending.set(key, move);
      queue.set(key, move);
      if (queue.size >= maxBatch) dispatch();
      else timer ??= setTimeout(dispatch, delayMs);
    },

    /** The membership as this node will have stored it: pending own moves applied. */
    overlay<M extends MembershipDoc>(doc: M): M {
      const move = pending.get(keyOf(doc.conversationId, doc.userId));
      if (!move) return doc;
      const out = { ...doc };
      if (move.seq > out.readSeq) Object.assign(out, { readSeq: move.seq, readAt: move.at });
      if (move.seq > out.deliveredSeq)
        Object.assign(out, { deliveredSeq: move.seq, deliveredAt: move.at });
      return out;
    },

    /** Sends what is queued and waits for every write in flight (shutdown, tests). */
    async flush(): Promise<void> {
      dispatch();
      await Promise.all([...inFlight]);
    },
  };
}

export type OwnCursorWriter = ReturnType<typeof createOwnCursorWriter>;
