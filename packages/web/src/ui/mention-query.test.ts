import { describe, expect, it } from 'vitest';
import type { Conversation } from '@chat/client';
import { insertMention, mentionAt, suggestMembers } from './mention-query.js';
import { systemText } from './system-text.js';

const ME = 'a'.repeat(24);
const BOB = 'b'.repeat(24);
const CLEO = 'c'.repeat(24);

function member(userId: string, username: string, displayName: string) {
  return {
    userId,
    role: 'member' as const,
    joinedAt: '2026-01-01T00:00:00.000Z',
    readSeq: 0,
    deliveredSeq: 0,
    user: { id: userId, username, displayName },
  };
}

const group = {
  id: 'd'.repeat(24),
  type: 'group',
  title: 'Crew',
  members: [
    member(ME, 'ann', 'Ann Lee'),
    member(BOB, 'bob_k', 'Bob Kumar'),
    member(CLEO, 'cleo', 'Cleo Diaz'),
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  seq: 0,
  readSeq: 0,
  unreadCount: 0,
} as Conversation;

describe('mention autocomplete', () => {
  it('finds the @word at the caret, not an e-mail address or a finished word', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail ann@example.com', 20)).toBeUndefined();
    expect(mentionAt('hi @bob there', 13)).toBeUndefined();
    // The caret decides: inside the first word, no mention is being typed.
    expect(mentionAt('hi @bob', 2)).toBeUndefined();
  });

  it('suggests other members by username or a word of the display name, never the viewer', () => {
    expect(suggestMembers(group, ME, 'b').map((m) => m.userId)).toEqual([BOB]);
    expect(suggestMembers(group, ME, 'diaz').map((m) => m.userId)).toEqual([CLEO]);
    expect(suggestMembers(group, ME, 'ann')).toEqual([]);
    expect(suggestMembers(group, ME, '').map((m) => m.userId)).toEqual([BOB, CLEO]);
  });

  it('replaces the typed part with the full username and puts the caret after it', () => {
    const text = 'ship @bo now';
    const at = mentionAt(text, 8);
    expect(at).toBeDefined();
    expect(insertMention(text, 8, at!, 'bob_k')).toEqual({ text: 'ship @bob_k  now', caret: 12 });
  });
});

describe('system lines', () => {
  it('names actor and subjects, "You"/"you" for the viewer, "someone" for who left the group', () => {
    expect(systemText(group, { type: 'member_added', actorId: ME, userIds: [CLEO] }, ME)).toBe(
      'You added Cleo Diaz',
    );
    expect(
      systemText(group, { type: 'role_changed', actorId: ME, userIds: [BOB], role: 'admin' }, BOB),
    ).toBe('Ann Lee made you an admin');
    expect(
      systemText(group, { type: 'member_removed', actorId: BOB, userIds: ['e'.repeat(24)] }, ME),
    ).toBe('Bob Kumar removed someone');
    expect(systemText(group, { type: 'renamed', actorId: BOB, title: 'Ops' }, ME)).toBe(
      'Bob Kumar renamed the group to “Ops”',
    );
    expect(systemText(group, { type: 'member_left', actorId: CLEO }, ME)).toBe('Cleo Diaz left');
    expect(systemText(group, { type: 'closed', actorId: ME }, BOB)).toBe(
      'Ann Lee closed the group',
    );
    expect(
      systemText(group, { type: 'avatar_changed', actorId: BOB, avatarUrl: '/avatars/x' }, ME),
    ).toBe('Bob Kumar changed the group photo');
    expect(systemText(group, { type: 'avatar_changed', actorId: ME }, ME)).toBe(
      'You removed the group photo',
    );
    const handOver = {
      type: 'role_changed' as const,
      actorId: ME,
      userIds: [BOB],
      role: 'owner' as const,
    };
    expect(systemText(group, handOver, CLEO)).toBe('Bob Kumar is now the owner');
    expect(systemText(group, handOver, BOB)).toBe('You are now the owner');
  });
});
