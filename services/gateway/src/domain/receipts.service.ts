import type { MongoStore } from '@chat/store';
import { requireMember } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { oid } from './ids.js';
import { latestSeqOf, type CounterReader } from './send/latest-seq.js';

export type ReceiptsService = ReturnType<typeof createReceiptsService>;

/**
 * docs/DESIGN.md#decision-4: receipts are per-member cursors that only move forward. A seq
 * beyond the conversation's latest is clamped (a client cannot pre-read the future),
 * and a lower one is accepted and ignored. Only real moves are broadcast.
 */
export function createReceiptsService({
  store,
  fanout,
  counters,
}: {
  store: MongoStore;
  fanout: Fanout;
  /** The Redis seq counters (MongoDB's seq is written behind). */
  counters?: CounterReader;
}) {
  async function advance(
    kind: 'read' | 'delivered',
    userHex: string,
    conversationHex: string,
    seq: number,
  ) {
    const userId = oid(userHex);
    const { conversation } = await requireMember(
      store,
      oid(conversationHex, 'conversationId'),
      userId,
    );
    // The stored seq trails the counter by the write-behind delay: a member reading a message
    // that just arrived must not be clamped below it.
    const target =
      seq <= conversation.seq ? seq : Math.min(seq, await latestSeqOf(conversation, counters));
    const at = new Date();
    const move =
      kind === 'read'
        ? await store.memberships.advanceRead(conversation._id, userId, target, at)
        : await store.memberships.advanceDelivered(conversation._id, userId, target, at);
    const value = move?.value ?? 0;
    if (move?.moved) {
      fanout.toConversation(conversationHex, 'receipt', {
        conversationId: conversationHex,
        userId: userHex,
        ...(kind === 'read' ? { readSeq: value } : { deliveredSeq: value }),
        at: at.toISOString(),
      });
    }
    return value;
  }

  return {
    read: (userHex: string, conversationHex: string, seq: number) =>
      advance('read', userHex, conversationHex, seq),
    delivered: (userHex: string, conversationHex: string, seq: number) =>
      advance('delivered', userHex, conversationHex, seq),
  };
}
