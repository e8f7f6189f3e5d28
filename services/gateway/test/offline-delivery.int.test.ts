import { messageDeliveryId, notificationDeliveryId, QUEUES } from '@chat/jobs';
import type { Conversation, Message, Notification } from '@chat/protocol';
import { waitFor } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import { openDirect, ack, type ClientSocket, type TestUser } from './fixtures/cluster.js';
import { useDeliveryCluster, type Delivery } from './fixtures/processes.js';

/*
 * The whole §5 path with real processes: a message sent through a gateway → BullMQ job
 * (gateway) → the real worker process → a real HTTP receiver that checks the signature.
 */
const SECRET = 'webhook-secret-for-tests';

const { cluster, receiver } = useDeliveryCluster(SECRET);

async function send(
  socket: ClientSocket,
  conversationId: string,
  text: string,
  clientMsgId = `c-${Math.random()}`,
): Promise<Message> {
  const res = await ack<{ message: Message }>(socket, 'message:send', {
    conversationId,
    clientMsgId,
    text,
  });
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  return res.message;
}

const direct = (a: TestUser, b: TestUser) => openDirect(cluster, a, b);

const deliveriesOf = (deliveryId: string): Delivery[] =>
  receiver.received.filter((r) => r.deliveryId === deliveryId);

/** Job hashes of the offline-delivery queue for one message (BullMQ's default prefix). */
async function jobIdsOfMessage(messageId: string): Promise<string[]> {
  const redis = cluster.nodes[0]?.deps.redis;
  if (!redis) throw new Error('no node');
  const prefix = `bull:${QUEUES.offlineDelivery}:`;
  const keys = await redis.keys(`${prefix}msg-${messageId}-*`);
  return keys
    .map((k) => k.slice(prefix.length))
    .filter((id) => !id.includes(':'))
    .sort();
}

describe('offline delivery end to end', () => {
  it('posts a message for an offline member once, signed, with the §5 body; a resend does not repeat it', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const conv = await direct(alice, bob);
    const aliceSocket = await cluster.connect(alice, 0);
    const message = await send(aliceSocket, conv.id, '  Are you coming tonight?  ', 'first');
    const deliveryId = messageDeliveryId(message.id, bob.id);
    await waitFor(() => deliveriesOf(deliveryId).length > 0, {
      timeout: 15_000,
      message: 'webhook delivery',
    });

    const [delivery] = deliveriesOf(deliveryId);
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.body).toEqual({
      type: 'message',
      deliveryId,
      userId: bob.id,
      conversationId: conv.id,
      messageId: message.id,
      senderId: alice.id,
      preview: 'Are you coming tonight?',
    });

    // The same clientMsgId again (a client retry, here through the other node) hands the
    // message off again; the deterministic job id makes that a no-op.
    const aliceOther = await cluster.connect(alice, 1);
    expect((await send(aliceOther, conv.id, '  Are you coming tonight?  ', 'first')).id).toBe(
      message.id,
    );
    // A later message is the barrier: once it arrived, a repeat of the first would have too.
    const barrier = await send(aliceSocket, conv.id, 'second');
    await waitFor(() => deliveriesOf(messageDeliveryId(barrier.id, bob.id)).length > 0, {
      timeout: 15_000,
      message: 'barrier',
    });
    expect(deliveriesOf(deliveryId)).toHaveLength(1);
    expect(await jobIdsOfMessage(message.id)).toEqual([deliveryId]);
  });

  it('enqueues exactly one job for the offline member of a group and none for online members', async () => {
    const { alice, bob, carol, dave } = await people(cluster, 'alice', 'bob', 'carol', 'dave');
    const res = await cluster.http<Conversation>(0, 'POST', '/api/conversations/group', {
      token: alice.token,
      body: { title: 'g', memberIds: [bob.id, carol.id, dave.id] },
    });
    const aliceSocket = await cluster.connect(alice, 0);
    await cluster.connect(bob, 1);
    await cluster.connect(dave, 0);
    await cluster.connect(dave, 1);
    const message = await send(aliceSocket, res.body.id, 'group hello');

    // The worker hands it off (the hand-off stream, in order): once a later message reached
    // carol, this one's jobs are all queued.
    await waitFor(() => deliveriesOf(messageDeliveryId(message.id, carol.id)).length > 0, {
      timeout: 15_000,
      message: 'carol',
    });
    const barrier = await send(aliceSocket, res.body.id, 'barrier');
    await waitFor(() => deliveriesOf(messageDeliveryId(barrier.id, carol.id)).length > 0, {
      timeout: 15_000,
      message: 'barrier',
    });
    expect(await jobIdsOfMessage(message.id)).toEqual([messageDeliveryId(message.id, carol.id)]);
    const forMessage = receiver.received.filter((r) => r.body.messageId === message.id);
    expect(forMessage.map((r) => r.body.userId)).toEqual([carol.id]);
  });

  it('retries a failing receiver with the same deliveryId until it accepts', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const conv = await direct(alice, bob);
    const aliceSocket = await cluster.connect(alice, 1);
    const previous = receiver.respond;
    receiver.respond = (id, n) => (id.includes(bob.id) && n <= 2 ? 503 : 200);
    try {
      const message = await send(aliceSocket, conv.id, 'third time lucky');
      const deliveryId = messageDeliveryId(message.id, bob.id);
      await waitFor(() => deliveriesOf(deliveryId).some((d) => d.status === 200), {
        timeout: 15_000,
        message: 'accepted',
      });
      expect(deliveriesOf(deliveryId).map((d) => d.status)).toEqual([503, 503, 200]);
      expect(deliveriesOf(deliveryId).every((d) => d.signatureValid)).toBe(true);
    } finally {
      receiver.respond = previous;
    }
  });

  it('posts a service notification for an offline user through the same pipeline', async () => {
    const { carol } = await people(cluster, 'carol');
    const token = await cluster.nodes[0]?.deps.tokens.signServiceToken();
    const res = await cluster.http<Notification>(0, 'POST', '/api/notifications', {
      token,
      body: {
        userId: carol.id,
        type: 'ops.alert',
        title: 'Disk',
        body: 'almost full',
        data: { pct: 93 },
      },
    });
    expect(res.status).toBe(201);
    const deliveryId = notificationDeliveryId(res.body.id, carol.id);
    await waitFor(() => deliveriesOf(deliveryId).length > 0, {
      timeout: 15_000,
      message: 'notification delivery',
    });
    expect(deliveriesOf(deliveryId)[0]).toMatchObject({
      signatureValid: true,
      body: {
        type: 'notification',
        deliveryId,
        userId: carol.id,
        notificationId: res.body.id,
        kind: 'ops.alert',
        title: 'Disk',
        body: 'almost full',
        data: { pct: 93 },
      },
    });
  });
});
