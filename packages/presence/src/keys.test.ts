import { conversationKeyBase, slotOf } from '@chat/redis';
import { describe, expect, it } from 'vitest';
import { createPresenceKeys, createTypingKeys, PRESENCE_BUCKETS, presenceBucket } from './keys.js';

describe('presence keys', () => {
  it('builds every key under the prefix, tagged with the user bucket', () => {
    const keys = createPresenceKeys('t1:');
    const b = presenceBucket('u');
    expect([keys.conn('u', 'c'), keys.user('u'), keys.index(b), keys.lastSeen('u')]).toEqual([
      `t1:{p:${b}}conn:c`,
      `t1:{p:${b}}user:u`,
      `t1:{p:${b}}online`,
      `t1:{p:${b}}lastseen:u`,
    ]);
  });

  it('defaults to presence:', () => {
    expect(createPresenceKeys().user('u')).toMatch(/^presence:\{p:\d+\}user:u$/);
  });

  it('keeps every key of one user, and its bucket index, in one cluster slot', () => {
    const keys = createPresenceKeys();
    for (const id of ['a', '65f0c0ffee0000000000beef', 'user-42']) {
      const slots = new Set(
        [keys.conn(id, 'x'), keys.user(id), keys.index(keys.bucketOf(id)), keys.lastSeen(id)].map(
          slotOf,
        ),
      );
      expect(slots.size).toBe(1);
    }
  });

  it('spreads users over all buckets', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(presenceBucket(`user-${i}`));
    expect(seen.size).toBe(PRESENCE_BUCKETS);
  });
});

describe('typing keys', () => {
  it("puts both keys of a typist in the conversation's slot (shared with the send path's keys)", () => {
    const keys = createTypingKeys('t1:');
    const conversationId = '65f0c0ffee0000000000beef';
    const slots = new Set(
      [
        keys.throttle(conversationId, 'u'),
        keys.active(conversationId, 'u'),
        conversationKeyBase('t1:', conversationId),
      ].map(slotOf),
    );
    expect(slots.size).toBe(1);
    expect(keys.active(conversationId, 'u')).toBe(`t1:{c:${conversationId}}:typing:active:u`);
  });
});
