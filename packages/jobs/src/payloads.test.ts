import { describe, expect, it } from 'vitest';
import { messageDelivery, notificationDelivery, toPreview, webhookPreviewOf } from './payloads.js';
import { offlineDeliveryBackoffMs, offlineDeliveryJobOptions } from './options.js';

const oid = (n: number): string => n.toString(16).padStart(24, '0');

describe('delivery ids', () => {
  it('are stable per (message|notification, user) and distinct across users and kinds', () => {
    const a = messageDelivery({
      userId: oid(1),
      conversationId: oid(2),
      messageId: oid(3),
      senderId: oid(4),
      preview: 'hi',
    });
    const b = messageDelivery({
      userId: oid(1),
      conversationId: oid(2),
      messageId: oid(3),
      senderId: oid(4),
      preview: 'x',
    });
    const c = messageDelivery({
      userId: oid(5),
      conversationId: oid(2),
      messageId: oid(3),
      senderId: oid(4),
      preview: 'hi',
    });
    const n = notificationDelivery({
      userId: oid(1),
      notificationId: oid(3),
      kind: 'mention',
      title: 't',
    });
    expect(a.deliveryId).toBe(`msg-${oid(3)}-${oid(1)}`);
    expect(b.deliveryId).toBe(a.deliveryId);
    expect(new Set([a.deliveryId, c.deliveryId, n.deliveryId]).size).toBe(3);
  });
});

describe('toPreview', () => {
  it('keeps short text and cuts long text on code points', () => {
    expect(toPreview('  hello ')).toBe('hello');
    const long = '😀'.repeat(200);
    const cut = toPreview(long, 10);
    expect([...cut]).toHaveLength(10);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('retry policy', () => {
  it('doubles the delay per attempt, with at most 20 % jitter, always growing', () => {
    expect([1, 2, 3, 4].map((n) => offlineDeliveryBackoffMs(n, 1_000, () => 0))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(offlineDeliveryBackoffMs(1, 1_000, () => 1)).toBe(800);
    expect(offlineDeliveryBackoffMs(2, 1_000, () => 1)).toBeGreaterThan(
      offlineDeliveryBackoffMs(1, 1_000, () => 0),
    );
  });

  it('keeps completed jobs a day so their ids stay taken', () => {
    expect(offlineDeliveryJobOptions()).toMatchObject({
      attempts: 8,
      removeOnComplete: { age: 86_400 },
      backoff: { type: 'chat-exponential', delay: 1_000 },
    });
  });
});

describe('webhookPreviewOf', () => {
  it('uses the text, else names the attachments', () => {
    expect(webhookPreviewOf('hi there', [])).toBe('hi there');
    expect(webhookPreviewOf(undefined, ['photo.png'])).toBe('📎 photo.png');
    expect(webhookPreviewOf('  ', ['a.png', 'b.png', 'c.png'])).toBe('📎 a.png (+2)');
    expect(webhookPreviewOf(undefined, [])).toBe('New message');
    expect([...webhookPreviewOf('x'.repeat(500), [])]).toHaveLength(140);
  });
});
