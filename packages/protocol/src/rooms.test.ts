import { describe, expect, it } from 'vitest';
import { isObjectIdString } from './ids.js';
import { rooms } from './rooms.js';

describe('rooms', () => {
  it('gives users, conversations and sessions distinct rooms for one id', () => {
    const id = '0123456789abcdef01234567';
    const names = [rooms.user(id), rooms.conversation(id), rooms.session(id)];
    expect(new Set(names).size).toBe(3);
  });

  it('reads the conversation id back from a conversation room only', () => {
    const id = '0123456789abcdef01234567';
    expect(rooms.conversationIdOf(rooms.conversation(id))).toBe(id);
    expect(rooms.conversationIdOf(rooms.user(id))).toBeUndefined();
    expect(rooms.conversationIdOf(rooms.session(id))).toBeUndefined();
  });
});

describe('isObjectIdString', () => {
  it('accepts 24 lowercase hex chars, as the payload schemas do', () => {
    expect(isObjectIdString('0123456789abcdef01234567')).toBe(true);
  });
  it('rejects uppercase, other lengths and non-strings', () => {
    for (const v of [
      '0123456789ABCDEF01234567',
      '0123456789abcdef0123456',
      'x'.repeat(24),
      42,
      null,
    ])
      expect(isObjectIdString(v)).toBe(false);
  });
});
