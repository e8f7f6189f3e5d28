import { describe, expect, it } from 'vitest';
import { createPresenceKeys } from './keys.js';

describe('presence keys', () => {
  it('builds every key under the prefix', () => {
    const keys = createPresenceKeys('t1:');
    expect([keys.conn('c'), keys.user('u'), keys.index(), keys.lastSeen('u')]).toEqual([
      't1:conn:c',
      't1:user:u',
      't1:online',
      't1:lastseen:u',
    ]);
  });

  it('defaults to presence:', () => {
    expect(createPresenceKeys().user('u')).toBe('presence:user:u');
  });
});
