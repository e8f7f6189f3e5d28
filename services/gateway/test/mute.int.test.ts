/**
 * Mute (docs/PROTOCOL.md#section-7): the member's own setting on the conversation view, and no offline
 * webhook while it lasts — through real gateways, the real worker process and a real receiver.
 */
import { messageDeliveryId } from '@chat/jobs';
import type { Conversation, Message } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { ack, createGroup } from './fixtures/cluster.js';
import { useDeliveryCluster } from './fixtures/processes.js';

const SECRET = 'mute-webhook-secret';
const { cluster, receiver } = useDeliveryCluster(SECRET);

const mute = (conversationId: string, token: string, mutedUntil: unknown, node = 0) =>
  cluster.http<Conversation & { error?: { code: string } }>(
    node,
    'PATCH',
    `/api/conversations/${conversationId}/members/me`,
    { token, body: { mutedUntil } },
  );

describe('mute', () => {
  it('is the caller’s own: forever, until a time, or off; other devices hear of it', async () => {
    const [alice, bob, eve] = await Promise.all(
      ['mu_alice', 'mu_bob', 'mu_eve'].map((n) => cluster.register(n)),
    );
    const group = await createGroup(cluster, alice!, [bob!]);
    const bobPhone = await cluster.connect(bob!, 1);
    const updated = waitForEvent<{ conversation: Conversation }>(bobPhone, 'conversation:updated', {
      timeout: 5000,
    });
    const forever = await mute(group.id, bob!.token, 'forever');
    expect(forever.status).toBe(200);
    expect(forever.body.mutedUntil).toBe('forever');
    expect((await updated).conversation.mutedUntil).toBe('forever');
    // Alice's view of the same conversation is not muted.
    const hers = await cluster.http<Conversation>(1, 'GET', `/api/conversations/${group.id}`, {
      token: alice!.token,
    });
    expect(hers.body.mutedUntil).toBeUndefined();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await mute(group.id, bob!.token, later, 1)).body.mutedUntil).toBe(later);
    const list = await cluster.http<{ conversations: Conversation[] }>(
      0,
      'GET',
      '/api/conversations',
      { token: bob!.token },
    );
    expect(list.body.conversations.find((c) => c.id === group.id)?.mutedUntil).toBe(later);
    // A time already past, or null: not muted.
    const past = await mute(group.id, bob!.token, new Date(Date.now() - 1000).toISOString());
    expect(past.body.mutedUntil).toBeUndefined();
    await mute(group.id, bob!.token, 'forever');
    expect((await mute(group.id, bob!.token, null)).body.mutedUntil).toBeUndefined();

    expect((await mute(group.id, bob!.token, 'tomorrow')).status).toBe(400);
    expect((await mute(group.id, bob!.token, 12)).status).toBe(400);
    const noBody = await cluster.http(0, 'PATCH', `/api/conversations/${group.id}/members/me`, {
      token: bob!.token,
      body: {},
    });
    expect(noBody.status).toBe(400);
    expect((await mute(group.id, eve!.token, 'forever')).status).toBe(404);
    // The owner's role change on /members/:userId still works beside it.
    const role = await cluster.http(
      0,
      'PATCH',
      `/api/conversations/${group.id}/members/${bob!.id}`,
      {
        token: alice!.token,
        body: { role: 'admin' },
      },
    );
    expect(role.status).toBe(200);
  });

  it('a muted offline member gets no webhook; unmuted again, they do', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['mw_alice', 'mw_bob', 'mw_carol'].map((n) => cluster.register(n)),
    );
    const group = await createGroup(cluster, alice!, [bob!, carol!]);
    expect((await mute(group.id, bob!.token, 'forever')).status).toBe(200);
    const aliceSocket = await cluster.connect(alice!, 0);
    const send = async (text: string): Promise<Message> => {
      const res = await ack<{ message: Message }>(aliceSocket, 'message:send', {
        conversationId: group.id,
        clientMsgId: `m-${Math.random()}`,
        text,
      });
      expect(res.ok).toBe(true);
      return res.message;
    };
    const got = (messageId: string, userId: string) =>
      receiver.received.some((r) => r.deliveryId === messageDeliveryId(messageId, userId));

    const quiet = await send('while bob is muted');
    // Carol (offline, not muted) is the barrier: the hand-off treats one entry as a whole.
    await waitFor(() => got(quiet.id, carol!.id), { timeout: 15_000, message: 'carol' });
    const barrier = await send('barrier');
    await waitFor(() => got(barrier.id, carol!.id), { timeout: 15_000, message: 'barrier' });
    expect(got(quiet.id, bob!.id)).toBe(false);
    expect(got(barrier.id, bob!.id)).toBe(false);

    expect((await mute(group.id, bob!.token, null)).status).toBe(200);
    const loud = await send('bob is back');
    await waitFor(() => got(loud.id, bob!.id), { timeout: 15_000, message: 'bob unmuted' });
  });
});
