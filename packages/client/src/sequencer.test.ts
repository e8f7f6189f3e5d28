import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sequencer, type SequencedMessage } from './sequencer.js';

const C = 'c1';
const msg = (seq: number, conversationId = C): SequencedMessage => ({
  id: `${conversationId}-m${seq}`,
  conversationId,
  seq,
});

function setup(gapTimeoutMs = 1000) {
  const delivered: SequencedMessage[] = [];
  const gaps: { conversationId: string; cursor: number }[] = [];
  const seq = new Sequencer<SequencedMessage>({
    gapTimeoutMs,
    deliver: (m) => delivered.push(m),
    onGap: (conversationId, cursor) => gaps.push({ conversationId, cursor }),
  });
  const seqs = (conversationId = C) =>
    delivered.filter((m) => m.conversationId === conversationId).map((m) => m.seq);
  return { seq, delivered, gaps, seqs };
}

describe('Sequencer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers in-order messages at once and advances the cursor', () => {
    const { seq, seqs } = setup();
    seq.seed(C, 0);
    for (const s of [1, 2, 3]) expect(seq.push(msg(s))).toBe(true);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(seq.cursor(C)).toBe(3);
    expect(seq.pending(C)).toBe(0);
  });

  it('buffers out-of-order messages and releases them in seq order', () => {
    const { seq, seqs } = setup();
    seq.seed(C, 10);
    seq.push(msg(13));
    seq.push(msg(12));
    expect(seqs()).toEqual([]);
    expect(seq.pending(C)).toBe(2);
    seq.push(msg(11));
    expect(seqs()).toEqual([11, 12, 13]);
    expect(seq.cursor(C)).toBe(13);
    expect(seq.pending(C)).toBe(0);
  });

  it('drops duplicates: seq at or below the cursor, and the same buffered seq twice', () => {
    const { seq, seqs } = setup();
    seq.seed(C, 0);
    seq.push(msg(1));
    expect(seq.push(msg(1))).toBe(false);
    expect(seq.push(msg(3))).toBe(true);
    expect(seq.push(msg(3))).toBe(false);
    seq.push(msg(2));
    expect(seq.push(msg(2))).toBe(false);
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('takes the first message of an unknown conversation as the baseline', () => {
    const { seq, seqs } = setup();
    seq.push(msg(41));
    seq.push(msg(42));
    expect(seqs()).toEqual([41, 42]);
    expect(seq.push(msg(40))).toBe(false);
  });

  it('keeps conversations independent', () => {
    const { seq, seqs, gaps } = setup();
    seq.seed('a', 0);
    seq.seed('b', 5);
    seq.push(msg(2, 'a'));
    seq.push(msg(6, 'b'));
    expect(seqs('a')).toEqual([]);
    expect(seqs('b')).toEqual([6]);
    vi.advanceTimersByTime(1000);
    expect(gaps).toEqual([{ conversationId: 'a', cursor: 0 }]);
  });

  it('calls onGap with the cursor when a gap does not fill within gapTimeoutMs', () => {
    const { seq, gaps, seqs } = setup(1000);
    seq.seed(C, 4);
    seq.push(msg(6));
    vi.advanceTimersByTime(999);
    expect(gaps).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gaps).toEqual([{ conversationId: C, cursor: 4 }]);
    expect(seqs()).toEqual([]);
  });

  it('does not sync when the gap fills before the timeout', () => {
    const { seq, gaps, seqs } = setup(1000);
    seq.seed(C, 4);
    seq.push(msg(6));
    vi.advanceTimersByTime(900);
    seq.push(msg(5));
    vi.advanceTimersByTime(5000);
    expect(gaps).toEqual([]);
    expect(seqs()).toEqual([5, 6]);
  });

  it('restarts the timer when a gap partly fills and a later one remains', () => {
    const { seq, gaps } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(2));
    seq.push(msg(4));
    vi.advanceTimersByTime(800);
    seq.push(msg(1)); // delivers 1,2; 3 is still missing
    vi.advanceTimersByTime(800);
    expect(gaps).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(gaps).toEqual([{ conversationId: C, cursor: 2 }]);
  });

  it('asks once per gap until merge or rearm answers', () => {
    const { seq, gaps } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(3));
    vi.advanceTimersByTime(1000);
    seq.push(msg(4));
    vi.advanceTimersByTime(10_000);
    expect(gaps).toHaveLength(1);
    seq.rearm(C);
    vi.advanceTimersByTime(1000);
    expect(gaps).toHaveLength(2);
  });

  it('merges a sync result with buffered messages in seq order', () => {
    const { seq, seqs, gaps } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(4));
    seq.push(msg(2));
    vi.advanceTimersByTime(1000);
    expect(gaps).toEqual([{ conversationId: C, cursor: 0 }]);
    // The sync answer overlaps what is buffered and arrives unsorted.
    seq.merge(C, [msg(3), msg(1), msg(2), msg(4), msg(5)], { hasMore: false, seq: 5 });
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(seq.cursor(C)).toBe(5);
    expect(seq.pending(C)).toBe(0);
    seq.push(msg(5));
    seq.push(msg(6));
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives up seqs a complete sync answer skips (deleted for me) instead of waiting forever', () => {
    const { seq, seqs, gaps } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(3));
    vi.advanceTimersByTime(1000);
    seq.merge(C, [msg(1), msg(3)], { hasMore: false, seq: 3 });
    expect(seqs()).toEqual([1, 3]);
    vi.advanceTimersByTime(5000);
    expect(gaps).toHaveLength(1);
  });

  it('with hasMore, moves only to the last message given and keeps later ones buffered', () => {
    const { seq, seqs } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(5));
    seq.merge(C, [msg(1), msg(2)], { hasMore: true, seq: 5 });
    expect(seqs()).toEqual([1, 2]);
    expect(seq.cursor(C)).toBe(2);
    expect(seq.pending(C)).toBe(1);
    seq.merge(C, [msg(3), msg(4), msg(5)], { hasMore: false, seq: 5 });
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps buffered messages newer than a complete sync and re-arms for them', () => {
    const { seq, seqs, gaps } = setup(1000);
    seq.seed(C, 0);
    seq.push(msg(9));
    seq.merge(C, [msg(1)], { hasMore: false, seq: 1 });
    expect(seqs()).toEqual([1]);
    expect(seq.pending(C)).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(gaps).toEqual([{ conversationId: C, cursor: 1 }]);
  });

  it('seed moves the cursor forward only and releases what follows it', () => {
    const { seq, seqs } = setup();
    seq.seed(C, 3);
    seq.push(msg(5));
    seq.push(msg(6));
    seq.seed(C, 1);
    expect(seq.cursor(C)).toBe(3);
    seq.seed(C, 4);
    expect(seqs()).toEqual([5, 6]);
    expect(seq.cursors()).toEqual([{ conversationId: C, seq: 6 }]);
  });

  it('forget and close stop pending timers', () => {
    const { seq, gaps } = setup();
    seq.seed('a', 0);
    seq.seed('b', 0);
    seq.push(msg(2, 'a'));
    seq.push(msg(2, 'b'));
    seq.forget('a');
    expect(seq.cursors()).toEqual([{ conversationId: 'b', seq: 0 }]);
    seq.close();
    vi.advanceTimersByTime(5000);
    expect(gaps).toEqual([]);
  });

  it('delivers, late and once, a message for a seq a sync jumped (a send still in flight when it read)', () => {
    const { seq, seqs } = setup();
    seq.seed(C, 10);
    seq.push(msg(11));
    seq.push(msg(13));
    // The sync read 13 but not 12, whose insert was still in flight on another node.
    seq.merge(C, [msg(13)], { hasMore: false, seq: 13 });
    expect(seqs()).toEqual([11, 13]);
    expect(seq.cursor(C)).toBe(13);
    expect(seq.push(msg(12))).toBe(true);
    expect(seqs()).toEqual([11, 13, 12]);
    expect(seq.push(msg(12))).toBe(false);
    // A jumped seq that a later sync returns is delivered the same way, once.
    seq.merge(C, [msg(15)], { hasMore: false, seq: 16 });
    expect(seqs()).toEqual([11, 13, 12, 15]);
    seq.merge(C, [msg(14), msg(16)], { hasMore: false, seq: 16 });
    expect(seqs()).toEqual([11, 13, 12, 15, 14, 16]);
    seq.merge(C, [msg(14), msg(16)], { hasMore: false, seq: 16 });
    expect(seqs()).toHaveLength(6);
  });
});
