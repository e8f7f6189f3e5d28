import type { Message } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { messagePreview } from './offline-delivery.js';

const base: Message = {
  id: 'a'.repeat(24),
  conversationId: 'b'.repeat(24),
  seq: 1,
  senderId: 'c'.repeat(24),
  attachments: [],
  reactions: [],
  createdAt: '2026-01-05T12:00:00.000Z',
};
const file = (name: string) => ({
  id: 'd'.repeat(24),
  name,
  size: 1,
  mime: 'image/png',
  kind: 'image' as const,
  url: '/x',
});

describe('messagePreview', () => {
  it('uses the text, else names the attachments', () => {
    expect(messagePreview({ ...base, text: 'hi there' })).toBe('hi there');
    expect(messagePreview({ ...base, attachments: [file('photo.png')] })).toBe('📎 photo.png');
    expect(
      messagePreview({
        ...base,
        text: '  ',
        attachments: [file('a.png'), file('b.png'), file('c.png')],
      }),
    ).toBe('📎 a.png (+2)');
    expect(messagePreview(base)).toBe('New message');
  });
});
