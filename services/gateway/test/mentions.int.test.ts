import { mentionDeliveryId, messageDeliveryId } from '@chat/jobs';
import type { Message, Notification } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import { createGroup, sendText } from './fixtures/cluster.js';
import { useDeliveryCluster } from './fixtures/processes.js';

/**
 * docs/PROTOCOL.md#mentions: `@username` → `mentions: [userId]` among current members, a live
 * `mention` notification, and the `mention` webhook for a member with no connection (through
 * the real worker process and a real receiver).
 */
const SECRET = 'mention-webhook-secret';

const { cluster, receiver } = useDeliveryCluster(SECRET);

describe('mentions', () => {
  it('resolves @usernames among current members only and notifies them live and offline', async () => {
    const { ann, bob, cat, dan } = await people(cluster, 'ann', 'bob', 'cat', 'dan');
    const group = await createGroup(cluster, ann, [bob, cat]);
    const annSocket = await cluster.connect(ann, 0);
    const bobSocket = await cluster.connect(bob, 1);

    const live = waitForEvent<{ notification: Notification }>(bobSocket, 'notification:new', {
      timeout: 10_000,
    });
    const newOnBob = waitForEvent<{ message: Message }>(bobSocket, 'message:new');
    const text = `hey @${bob.username.toUpperCase()}, @${cat.username}. and @${dan.username} (not here), mail me@${bob.username}`;
    const sent = await sendText(annSocket, group.id, text);
    expect(sent.kind).toBe('text');
    expect([...(sent.mentions ?? [])].sort()).toEqual([bob.id, cat.id].sort());
    expect((await newOnBob).message.mentions).toEqual(sent.mentions);

    const { notification } = await live;
    expect(notification).toMatchObject({
      type: 'mention',
      read: false,
      data: { conversationId: group.id, messageId: sent.id, senderId: ann.id },
    });
    expect(notification.title).toContain('mentioned you');

    // Cat has no connection: the mention webhook, besides the ordinary message delivery.
    const deliveryId = mentionDeliveryId(sent.id, cat.id);
    await waitFor(() => receiver.received.some((r) => r.deliveryId === deliveryId), {
      timeout: 15_000,
      message: 'mention webhook',
    });
    const delivery = receiver.received.find((r) => r.deliveryId === deliveryId);
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.body).toMatchObject({
      type: 'mention',
      userId: cat.id,
      conversationId: group.id,
      messageId: sent.id,
      senderId: ann.id,
    });
    await waitFor(
      () => receiver.received.some((r) => r.deliveryId === messageDeliveryId(sent.id, cat.id)),
      { timeout: 15_000, message: 'message webhook' },
    );
    // Dan is no member: no notification, no webhook.
    const danNotes = await cluster.http<{ notifications: Notification[] }>(
      0,
      'GET',
      '/api/notifications',
      { token: dan.token },
    );
    expect(danNotes.body.notifications).toEqual([]);
    expect(receiver.received.some((r) => r.deliveryId === mentionDeliveryId(sent.id, dan.id))).toBe(
      false,
    );

    // History serves the mentions too.
    const history = await cluster.http<{ messages: Message[] }>(
      1,
      'GET',
      `/api/conversations/${group.id}/messages?after=0`,
      { token: cat.token },
    );
    expect(history.body.messages.find((m) => m.id === sent.id)?.mentions).toEqual(sent.mentions);
  });

  it('a removed member is no longer mentioned; texts without a member name carry no mentions', async () => {
    const { ann, bob } = await people(cluster, 'ann', 'bob');
    const group = await createGroup(cluster, ann, [bob]);
    const annSocket = await cluster.connect(ann, 1);
    const before = await sendText(annSocket, group.id, `@${bob.username} ping`);
    expect(before.mentions).toEqual([bob.id]);
    const removed = await cluster.http(
      0,
      'DELETE',
      `/api/conversations/${group.id}/members/${bob.id}`,
      {
        token: ann.token,
      },
    );
    expect(removed.status).toBe(204);
    const after = await sendText(annSocket, group.id, `@${bob.username} ping again`);
    expect(after.mentions).toBeUndefined();
    const plain = await sendText(annSocket, group.id, 'no names here');
    expect(plain).not.toHaveProperty('mentions');
    // Mentioning yourself notifies no one.
    const self = await sendText(annSocket, group.id, `note to @${ann.username}`);
    expect(self.mentions).toEqual([ann.id]);
  });
});
