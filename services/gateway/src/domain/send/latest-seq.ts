import type { ConversationDoc } from '@chat/store';
import { hex } from '../ids.js';

/**
 * The conversations' Redis counters (@chat/send-state `counters`, one MGET): every seq handed
 * out, where MongoDB's copy is written behind and may trail by the write-behind delay.
 */
export type CounterReader = (
  conversationIds: readonly string[],
) => Promise<ReadonlyMap<string, number>>;

/**
 * The conversations with `seq` raised to their counters, so unread counts and sync's `seq` are
 * current on every node at once (only the preview trails). Without Redis the stored seqs stand:
 * lists keep working while sends answer UNAVAILABLE.
 */
export async function withLatestSeqs<T extends ConversationDoc>(
  conversations: readonly T[],
  counters: CounterReader | undefined,
): Promise<T[]> {
  if (!counters || conversations.length === 0) return [...conversations];
  const latest = await counters(conversations.map((c) => hex(c._id))).catch(
    () => new Map<string, number>(),
  );
  return conversations.map((c) => {
    const counter = latest.get(hex(c._id));
    return counter !== undefined && counter > c.seq ? { ...c, seq: counter } : c;
  });
}

/** One conversation's latest seq (receipt clamps, the start cursor of new members). */
export async function latestSeqOf(
  conversation: ConversationDoc,
  counters: CounterReader | undefined,
): Promise<number> {
  const [latest] = await withLatestSeqs([conversation], counters);
  return latest?.seq ?? conversation.seq;
}
