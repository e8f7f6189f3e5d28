import { notificationDeliveryId, QUEUES } from '@chat/jobs';
import type { Conversation, Notification, NotificationNewEvent } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect, useTestCluster, type TestUser } from './fixtures/cluster.js';

const cluster = useTestCluster({ nodes: 2 });
let serviceToken: string;
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

beforeAll(async () => {
  const node = cluster.nodes[0];
  if (!node) throw new Error('no node');
  serviceToken = await node.deps.tokens.signServiceToken();
});

/** Whether the offline-delivery queue holds a job with this id (BullMQ's job hash, default prefix). */
async function jobExists(jobId: string): Promise<boolean> {
  const redis = cluster.nodes[0]?.deps.redis;
  if (!redis) throw new Error('no node');
  return (await redis.exists(`bull:${QUEUES.offlineDelivery}:${jobId}`)) === 1;
}

async function post(body: unknown, token = serviceToken) {
  return cluster.http<Notification & { error?: { code: string } }>(
    1,
    'POST',
    '/api/notifications',
    { token, body },
  );
}

async function list(user: TestUser, query = '') {
  const res = await cluster.http<{ notifications: Notification[] }>(
    0,
    'GET',
    `/api/notifications${query}`,
    { token: user.token },
  );
  expect(res.status).toBe(200);
  return res.body.notifications;
}

describe('notifications', () => {
  it('stores a service notification, pushes it to every online device and enqueues nothing for an online user', async () => {
    const bob = await cluster.register(name('bob'));
    const phone = await cluster.connect(bob, 0);
    const laptop = await cluster.connect(bob, 1);
    const onPhone = waitForEvent<NotificationNewEvent>(phone, 'notification:new');
    const onLaptop = waitForEvent<NotificationNewEvent>(laptop, 'notification:new');

    const res = await post({
      userId: bob.id,
      type: 'billing.invoice',
      title: 'Invoice ready',
      body: 'March',
      data: { amount: 12 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/) as string,
      type: 'billing.invoice',
      title: 'Invoice ready',
      body: 'March',
      data: { amount: 12 },
      read: false,
      createdAt: expect.any(String) as string,
    });
    expect((await onPhone).notification).toEqual(res.body);
    expect((await onLaptop).notification).toEqual(res.body);
    expect(await list(bob)).toEqual([res.body]);
    expect(await jobExists(notificationDeliveryId(res.body.id, bob.id))).toBe(false);
  });

  it('hands a notification for an offline user to the offline pipeline, once per notification', async () => {
    const carol = await cluster.register(name('carol'));
    const res = await post({ userId: carol.id, type: 'reminder', title: 'Hello' });
    expect(res.status).toBe(201);
    expect(await jobExists(notificationDeliveryId(res.body.id, carol.id))).toBe(true);
    expect((await list(carol, '?unread=true')).map((n) => n.id)).toEqual([res.body.id]);
  });

  it('lists newest first with unread filter and limit, and marks read by ids or all', async () => {
    const dave = await cluster.register(name('dave'));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await post({ userId: dave.id, type: 't', title: `n${i}` })).body.id);
    expect((await list(dave)).map((n) => n.title)).toEqual(['n3', 'n2', 'n1', 'n0']);
    expect(await list(dave, '?limit=2')).toHaveLength(2);

    const read = await cluster.http(0, 'POST', '/api/notifications/read', {
      token: dave.token,
      body: { ids: [ids[0], ids[2]] },
    });
    expect(read.status).toBe(204);
    expect((await list(dave, '?unread=true')).map((n) => n.title)).toEqual(['n3', 'n1']);
    expect((await list(dave)).filter((n) => n.read).map((n) => n.title)).toEqual(['n2', 'n0']);

    // Someone else's ids change nothing.
    const eve = await cluster.register(name('eve'));
    expect(
      (
        await cluster.http(0, 'POST', '/api/notifications/read', {
          token: eve.token,
          body: { ids: [ids[1]] },
        })
      ).status,
    ).toBe(204);
    expect(await list(dave, '?unread=true')).toHaveLength(2);

    expect(
      (
        await cluster.http(1, 'POST', '/api/notifications/read', {
          token: dave.token,
          body: { all: true },
        })
      ).status,
    ).toBe(204);
    expect(await list(dave, '?unread=true')).toEqual([]);
  });

  it('refuses user tokens on POST (403), service tokens on GET (403), no token (401) and bad bodies (400)', async () => {
    const frank = await cluster.register(name('frank'));
    const asUser = await post({ userId: frank.id, type: 't', title: 'x' }, frank.token);
    expect(asUser.status).toBe(403);
    expect(asUser.body.error?.code).toBe('FORBIDDEN');
    expect(
      (
        await cluster.http(0, 'POST', '/api/notifications', {
          body: { userId: frank.id, type: 't', title: 'x' },
        })
      ).status,
    ).toBe(401);
    expect(
      (await cluster.http(0, 'GET', '/api/notifications', { token: serviceToken })).status,
    ).toBe(403);
    expect(await list(frank)).toEqual([]);

    for (const body of [
      { userId: frank.id, type: 't' },
      { userId: frank.id, type: 'bad type!', title: 'x' },
      { userId: 'nope', type: 't', title: 'x' },
      { userId: frank.id, type: 't', title: 'x', extra: true },
      { userId: frank.id, type: 't', title: 'x'.repeat(201) },
    ]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    }
    expect((await post({ userId: '0123456789abcdef01234567', type: 't', title: 'x' })).status).toBe(
      404,
    );
    for (const body of [
      {},
      { ids: [] },
      { all: false },
      { ids: ['x'] },
      { ids: [frank.id], all: true },
    ]) {
      const res = await cluster.http(0, 'POST', '/api/notifications/read', {
        token: frank.token,
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await cluster.http(0, 'GET', '/api/notifications?limit=101', { token: frank.token })).status,
    ).toBe(400);
  });

  it('notifies users added to a group (not the one who added them)', async () => {
    const [owner, bob, carol] = await Promise.all(
      ['owner', 'bob', 'carol'].map((p) => cluster.register(name(p))),
    );
    if (!owner || !bob || !carol) throw new Error('register');
    const bobSocket = await cluster.connect(bob, 1);
    const ownerSocket = await cluster.connect(owner, 0);
    const toOwner = collect<NotificationNewEvent>(ownerSocket, 'notification:new');
    const toBob = waitForEvent<NotificationNewEvent>(bobSocket, 'notification:new');
    const created = await cluster.http<Conversation>(0, 'POST', '/api/conversations/group', {
      token: owner.token,
      body: { title: 'Climbing', memberIds: [bob.id] },
    });
    expect(created.status).toBe(201);
    const { notification } = await toBob;
    expect(notification).toMatchObject({
      type: 'conversation.member_added',
      title: `${owner.username} added you to Climbing`,
      data: { conversationId: created.body.id, addedBy: owner.id },
      read: false,
    });

    const added = await cluster.http(0, 'POST', `/api/conversations/${created.body.id}/members`, {
      token: owner.token,
      body: { userIds: [carol.id] },
    });
    expect(added.status).toBe(200);
    // carol is offline: stored for later and handed to the offline pipeline.
    const forCarol = await waitFor(async () => (await list(carol))[0]);
    expect(forCarol?.data).toEqual({ conversationId: created.body.id, addedBy: owner.id });
    expect(await jobExists(notificationDeliveryId(forCarol?.id ?? '', carol.id))).toBe(true);
    expect(toOwner).toEqual([]);
    expect(await list(owner)).toEqual([]);
  });
});
