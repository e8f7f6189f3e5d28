/** The fields the sequencer needs; the SDK uses it with the protocol `Message`. */
export interface SequencedMessage {
  id: string;
  conversationId: string;
  seq: number;
}

export interface SequencerOptions<M extends SequencedMessage> {
  /**
   * How long an out-of-order message may wait for the ones before it before `onGap` fires.
   * @default 1000 (docs/PROTOCOL.md#section-3: "calls sync when a gap does not fill within a second")
   */
  gapTimeoutMs?: number;
  /** Called once per message, in seq order per conversation. */
  deliver: (message: M) => void;
  /**
   * A gap did not fill in time: fetch the messages after `cursor` and hand them to
   * `merge()`, or call `rearm()` if that failed. No further `onGap` fires for this
   * conversation until one of the two is called.
   */
  onGap: (conversationId: string, cursor: number) => void;
}

/** What a `sync` (or `?after=` history) answer says about one conversation. */
export interface MergeInfo {
  /** More messages exist after the last one given: the cursor moves only to that one. */
  hasMore: boolean;
  /** The conversation's latest seq when the server answered (sync's `seq`). */
  seq?: number;
}

interface ConversationState<M> {
  /** Highest seq delivered with nothing missing before it; undefined until known. */
  cursor: number | undefined;
  buffer: Map<number, M>;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** onGap fired and neither merge() nor rearm() came back yet. */
  awaitingSync: boolean;
  /**
   * Seqs a sync let the cursor jump (nothing stored there when it read). Most are permanent
   * (deleted for me, a sender that crashed after taking a seq), but one may be a send still in
   * flight on another node: if it shows up after all, it is delivered late instead of dropped.
   */
  jumped: Set<number>;
}

/** Jumped seqs remembered per conversation (the most recent ones: in-flight sends are recent). */
const MAX_JUMPED = 1000;

/**
 * Puts live messages of each conversation in seq order (docs/PROTOCOL.md#section-3: `message:new` from
 * different nodes may arrive out of order), drops duplicates, and asks for a sync when
 * a gap stays open. Pure: no I/O, only timers.
 *
 * A conversation whose cursor is unknown (never seeded, nothing seen) takes its first
 * message as the baseline: it is delivered at once and later ones must follow it.
 * Apps that loaded history should call `seed()` first so nothing is skipped.
 */
export class Sequencer<M extends SequencedMessage> {
  readonly #gapTimeoutMs: number;
  readonly #deliver: (message: M) => void;
  readonly #onGap: (conversationId: string, cursor: number) => void;
  readonly #conversations = new Map<string, ConversationState<M>>();

  constructor(options: SequencerOptions<M>) {
    this.#gapTimeoutMs = options.gapTimeoutMs ?? 1000;
    this.#deliver = options.deliver;
    this.#onGap = options.onGap;
  }

  /** A live message (or an acked own one). Returns false when it was a duplicate and dropped. */
  push(message: M): boolean {
    const state = this.#state(message.conversationId);
    state.cursor ??= message.seq - 1;
    if (this.#deliverLate(state, message)) return true;
    if (message.seq <= state.cursor || state.buffer.has(message.seq)) return false;
    const before = state.cursor;
    state.buffer.set(message.seq, message);
    this.#flush(state);
    this.#updateTimer(message.conversationId, state, state.cursor !== before);
    return true;
  }

  /**
   * Messages fetched by a sync after this conversation's cursor, oldest first or not.
   * The answer is authoritative up to what it covers: seqs it skips (deleted "for me",
   * so never served) are given up instead of waited for.
   */
  merge(conversationId: string, messages: readonly M[], info: MergeInfo): void {
    const state = this.#state(conversationId);
    state.awaitingSync = false;
    const sorted = [...messages].sort((a, b) => a.seq - b.seq);
    const last = sorted.at(-1)?.seq;
    let coveredUpTo = last ?? state.cursor ?? 0;
    if (!info.hasMore && info.seq !== undefined) coveredUpTo = Math.max(coveredUpTo, info.seq);
    state.cursor ??= (sorted[0]?.seq ?? coveredUpTo + 1) - 1;
    const before = state.cursor;
    for (const m of sorted) {
      if (this.#deliverLate(state, m)) continue;
      if (m.seq > state.cursor && !state.buffer.has(m.seq)) state.buffer.set(m.seq, m);
    }
    // Deliver everything known up to the covered seq in order, jumping the holes the
    // server says are permanent, then whatever follows contiguously.
    const covered = [...state.buffer.keys()].filter((s) => s <= coveredUpTo).sort((a, b) => a - b);
    for (const seq of covered) {
      const m = state.buffer.get(seq);
      state.buffer.delete(seq);
      this.#rememberJumped(state, state.cursor, seq);
      state.cursor = seq;
      if (m !== undefined) this.#deliver(m);
    }
    if (coveredUpTo > state.cursor) {
      this.#rememberJumped(state, state.cursor, coveredUpTo + 1);
      state.cursor = coveredUpTo;
    }
    this.#flush(state);
    this.#updateTimer(conversationId, state, state.cursor !== before);
  }

  /** The app knows everything up to `seq` (e.g. it loaded history). Only moves forward. */
  seed(conversationId: string, seq: number): void {
    const state = this.#state(conversationId);
    if (state.cursor !== undefined && seq <= state.cursor) return;
    state.cursor = seq;
    for (const s of [...state.buffer.keys()]) if (s <= seq) state.buffer.delete(s);
    this.#flush(state);
    this.#updateTimer(conversationId, state, true);
  }

  /** The sync asked for by `onGap` failed: wait `gapTimeoutMs` again, then ask again. */
  rearm(conversationId: string): void {
    const state = this.#conversations.get(conversationId);
    if (state === undefined) return;
    state.awaitingSync = false;
    this.#updateTimer(conversationId, state, false);
  }

  cursor(conversationId: string): number | undefined {
    return this.#conversations.get(conversationId)?.cursor;
  }

  /** Every known cursor, for a `sync` after (re)connecting. */
  cursors(): { conversationId: string; seq: number }[] {
    const out: { conversationId: string; seq: number }[] = [];
    for (const [conversationId, state] of this.#conversations) {
      if (state.cursor !== undefined) out.push({ conversationId, seq: state.cursor });
    }
    return out;
  }

  /** Number of messages held back waiting for a gap to fill. */
  pending(conversationId: string): number {
    return this.#conversations.get(conversationId)?.buffer.size ?? 0;
  }

  /** The user left or lost the conversation: drop its state. */
  forget(conversationId: string): void {
    const state = this.#conversations.get(conversationId);
    if (state?.timer !== undefined) clearTimeout(state.timer);
    this.#conversations.delete(conversationId);
  }

  /** Stops all timers; buffered messages stay undelivered. */
  close(): void {
    for (const state of this.#conversations.values()) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  #state(conversationId: string): ConversationState<M> {
    let state = this.#conversations.get(conversationId);
    if (state === undefined) {
      state = {
        cursor: undefined,
        buffer: new Map(),
        timer: undefined,
        awaitingSync: false,
        jumped: new Set(),
      };
      this.#conversations.set(conversationId, state);
    }
    return state;
  }

  /** A message for a seq a sync jumped: deliver it now (late, out of order) exactly once. */
  #deliverLate(state: ConversationState<M>, message: M): boolean {
    if (!state.jumped.delete(message.seq)) return false;
    this.#deliver(message);
    return true;
  }

  /** Records the seqs strictly between `from` and `to` as jumped, keeping the newest MAX_JUMPED. */
  #rememberJumped(state: ConversationState<M>, from: number, to: number): void {
    for (let seq = Math.max(from + 1, to - MAX_JUMPED); seq < to; seq++) state.jumped.add(seq);
    if (state.jumped.size <= MAX_JUMPED) return;
    const floor = to - MAX_JUMPED;
    for (const seq of state.jumped) if (seq < floor) state.jumped.delete(seq);
  }

  #flush(state: ConversationState<M>): void {
    if (state.cursor === undefined) return;
    for (;;) {
      const next = state.buffer.get(state.cursor + 1);
      if (next === undefined) return;
      state.buffer.delete(next.seq);
      state.cursor = next.seq;
      this.#deliver(next);
    }
  }

  // The timer measures how long the *current* gap has been open: progress restarts it.
  #updateTimer(conversationId: string, state: ConversationState<M>, progressed: boolean): void {
    if (state.buffer.size === 0 || progressed) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (state.buffer.size === 0 || state.awaitingSync || state.timer !== undefined) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (state.buffer.size === 0 || state.cursor === undefined) return;
      state.awaitingSync = true;
      this.#onGap(conversationId, state.cursor);
    }, this.#gapTimeoutMs);
  }
}
