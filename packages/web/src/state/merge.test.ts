import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '@chat/client';
import { applyMessage, mergeConversation, mergeMessages, sortConversations } from './merge.js';
import { initialState, type AppState } from './types.js';

const ME = 'a'.repeat(24);
const BOB = 'b'.repeat(24);
const CONV = 'c'.repeat(24);

function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: seq.toString(16).padStart(24, '0'),
    conversationId: CONV,
    seq,
    senderId: BOB,
    kind: 'text',
    text: `m${seq}`,
    attachments: [],
    reactions: [],
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, seq)).toISOString(),
    ...over,
  };
}

function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: CONV,
    type: 'direct',
    members: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    seq: 3,
    readSeq: 3,
    unreadCount: 0,
    ...over,
  };
}

function state(over: Partial<AppState> = {}): AppState {
  return { ...initialState, conversations: { [CONV]: conv() }, ...over };
}

describe('mergeMessages', () => {
  it('keeps seq order, drops duplicates and lets the newer copy win', () => {
    const edited = msg(2, { text: 'edited', editedAt: '2026-01-01T13:00:00.000Z' });
    const merged = mergeMessages([msg(1), msg(2), msg(4)], [msg(3), edited, msg(1)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(merged[1]?.text).toBe('edited');
  });
});

describe('mergeConversation', () => {
  it('never moves seq, read cursor or preview backwards with a stale snapshot', () => {
    const local = conv({
      seq: 5,
      readSeq: 4,
      unreadCount: 1,
      lastMessage: {
        id: 'x',
        seq: 5,
        senderId: BOB,
        kind: 'text',
        text: 'new',
        createdAt: '2026-01-01T12:05:00.000Z',
      },
    });
    const stale = conv({ seq: 3, readSeq: 3, unreadCount: 0, title: 'renamed' });
    const merged = mergeConversation(local, stale);
    expect(merged).toMatchObject({ seq: 5, readSeq: 4, unreadCount: 1, title: 'renamed' });
    expect(merged.lastMessage?.text).toBe('new');
  });

  it('takes the server copy when it is newer', () => {
    const merged = mergeConversation(
      conv({ seq: 3 }),
      conv({ seq: 7, readSeq: 3, unreadCount: 4 }),
    );
    expect(merged).toMatchObject({ seq: 7, unreadCount: 4 });
  });
});

describe('applyMessage', () => {
  it('counts a message from someone else as unread and as their read receipt', () => {
    const next = applyMessage(state(), msg(4), ME);
    expect(next.conversations?.[CONV]).toMatchObject({ seq: 4, unreadCount: 1, readSeq: 3 });
    expect(next.conversations?.[CONV]?.lastMessage).toMatchObject({
      seq: 4,
      text: 'm4',
      kind: 'text',
    });
    expect(next.cursors?.[CONV]?.[BOB]).toEqual({ readSeq: 4, deliveredSeq: 4 });
    expect(next.messages?.[CONV]?.items.map((m) => m.seq)).toEqual([4]);
  });

  it('replaces the optimistic copy of my own message and keeps me read', () => {
    const pending = {
      clientMsgId: 'cm-1',
      conversationId: CONV,
      text: 'hi',
      attachments: [],
      status: 'pending' as const,
      createdAt: '2026-01-01T12:00:00.000Z',
    };
    const next = applyMessage(
      state({ pending: { [CONV]: [pending] } }),
      msg(4, { senderId: ME, clientMsgId: 'cm-1' }),
      ME,
    );
    expect(next.pending?.[CONV]).toEqual([]);
    expect(next.conversations?.[CONV]).toMatchObject({ seq: 4, readSeq: 4, unreadCount: 0 });
    expect(next.cursors).toBeUndefined();
  });

  it('does not count an old message (a duplicate or history) again', () => {
    const next = applyMessage(state(), msg(2), ME);
    expect(next.conversations).toBeUndefined();
  });
});

describe('sortConversations', () => {
  it('orders by last activity, newest first', () => {
    const a = conv({ id: 'a', createdAt: '2026-01-01T00:00:00.000Z' });
    const b = conv({
      id: 'b',
      lastMessage: {
        id: 'm',
        seq: 1,
        senderId: BOB,
        kind: 'text',
        createdAt: '2026-01-02T00:00:00.000Z',
      },
    });
    const c = conv({ id: 'c', createdAt: '2026-01-01T06:00:00.000Z' });
    expect(sortConversations({ a, b, c }).map((x) => x.id)).toEqual(['b', 'c', 'a']);
  });
});
