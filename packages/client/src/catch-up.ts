import type { ChatClientEvents, ChatLogger } from './chat-client-types.js';
import type { Sequencer } from './sequencer.js';
import type { Conversation, Message, SyncAck, SyncCursor } from './protocol-types.js';

// PROTOCOL limits: ≤ 1000 cursors per sync (LIMITS.syncMaxCursors).
const SYNC_MAX_CURSORS = 1000;

export interface CatchUpDeps {
  sequencer: Sequencer<Message>;
  /** Sends one `sync` request. */
  sync: (cursors: SyncCursor[]) => Promise<SyncAck>;
  onConversation: (conversation: Conversation) => void;
  onSynced: (info: Parameters<ChatClientEvents['synced']>[0]) => void;
  log?: ChatLogger;
}

/** Fetches what the live stream missed with `sync` and feeds it through the sequencer. */
export class CatchUp {
  readonly #deps: CatchUpDeps;

  constructor(deps: CatchUpDeps) {
    this.#deps = deps;
  }

  /** Every known cursor, paged by `hasMore`; `changed` conversations are reported. Throws on failure. */
  async all(): Promise<void> {
    let delivered = 0;
    const touched = new Set<string>();
    let pending = this.#deps.sequencer.cursors();
    let first = true;
    // Loop at least once: with no cursors, sync still reports conversations joined meanwhile.
    while (first || pending.length > 0) {
      const batch = pending.slice(0, SYNC_MAX_CURSORS);
      const more = await this.#once(batch, first, (id, n) => {
        touched.add(id);
        delivered += n;
      });
      first = false;
      pending = [...pending.slice(SYNC_MAX_CURSORS), ...more];
    }
    this.#deps.onSynced({ reason: 'connect', messages: delivered, conversations: touched.size });
  }

  /** The sequencer's gap callback; on failure the sequencer waits and asks again. */
  async gap(conversationId: string, seq: number): Promise<void> {
    let delivered = 0;
    try {
      let pending: SyncCursor[] = [{ conversationId, seq }];
      while (pending.length > 0) {
        pending = await this.#once(pending, false, (_id, n) => (delivered += n));
      }
      this.#deps.onSynced({ reason: 'gap', messages: delivered, conversations: 1 });
    } catch (err) {
      this.#deps.log?.warn({ err, conversationId }, 'gap sync failed; will retry');
      this.#deps.sequencer.rearm(conversationId);
    }
  }

  /** One `sync` request; merges results and returns the cursors that have more. */
  async #once(
    cursors: SyncCursor[],
    reportChanged: boolean,
    count: (conversationId: string, delivered: number) => void,
  ): Promise<SyncCursor[]> {
    const { sequencer } = this.#deps;
    const res = await this.#deps.sync(cursors);
    const asked = new Set(cursors.map((c) => c.conversationId));
    const more: SyncCursor[] = [];
    for (const conv of res.conversations) {
      const before = sequencer.cursor(conv.conversationId);
      // Skip answers for conversations forgotten meanwhile (conversation:removed).
      if (!asked.has(conv.conversationId) || before === undefined) continue;
      sequencer.merge(conv.conversationId, conv.messages, { hasMore: conv.hasMore, seq: conv.seq });
      const after = sequencer.cursor(conv.conversationId) ?? before;
      count(
        conv.conversationId,
        conv.messages.filter((m) => m.seq > before && m.seq <= after).length,
      );
      if (conv.hasMore && conv.messages.length > 0)
        more.push({ conversationId: conv.conversationId, seq: after });
    }
    if (reportChanged) for (const c of res.changed) this.#deps.onConversation(c);
    return more;
  }
}
