import { createPresenceStore } from '@chat/presence';
import type { Message, Presence } from '@chat/protocol';
import { waitFor, waitForEvent, type ManagedProcess, type RedisKind } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ack,
  collect,
  createGroup,
  openDirect,
  sendText,
  startTestCluster,
  type TestCluster,
  type TestUser,
  workerEnvOf,
} from './fixtures/cluster.js';
import { startReceiver, startWorker, type WebhookReceiver } from './fixtures/processes.js';

/*
 * The core of the product on every Redis it supports: one Redis with the classic
 * adapter, one Redis with the sharded adapter, and a real Redis Cluster (3 masters + 3
 * replicas, sharded adapter, every key through hash-tagged slots). Three gateways and the
 * real worker share it; clients sit on different nodes.
 */
const VARIANTS: Array<{
  name: string;
  redis: RedisKind;
  env: Record<string, string>;
}> = [
  {
    name: 'one Redis, classic adapter',
    redis: 'single',
    env: { REDIS_ADAPTER: 'classic' },
  },
  {
    name: 'one Redis, sharded adapter',
    redis: 'single',
    env: { REDIS_ADAPTER: 'sharded' },
  },
  { name: 'Redis Cluster, default adapter', redis: 'cluster', env: {} },
];
const MESSAGES_PER_WINDOW = 12;
const SECRET = 'webhook-secret-for-backend-tests';
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

describe.each(VARIANTS)('$name', ({ redis, env }) => {
  let cluster: TestCluster;
  let worker: ManagedProcess;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startReceiver(SECRET);
    cluster = await startTestCluster({
      nodes: 3,
      redis,
      env: {
        ...env,
        RATE_MESSAGES_PER_WINDOW: String(MESSAGES_PER_WINDOW),
        RATE_LOGIN_PER_IP_USERNAME: '3',
        PRESENCE_GRACE_MS: '300',
      },
    });
    worker = await startWorker({
      ...workerEnvOf(cluster),
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: SECRET,
      WEBHOOK_BACKOFF_MS: '100',
      PRESENCE_SWEEP_INTERVAL_MS: '300',
    });
  }, 90_000);
  afterAll(async () => {
    await worker?.stop(5_000);
    await cluster?.close();
    await receiver?.close();
  });

  const users = (n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => cluster.register(name('u'), i % 3)));
  const direct = (a: TestUser, b: TestUser) => openDirect(cluster, a, b);

  it('delivers a direct message across nodes, to the other devices but not the sending socket', async () => {
    const [a, b] = (await users(2)) as [TestUser, TestUser];
    const conv = await direct(a, b);
    const a1 = await cluster.connect(a, 0);
    const b1 = await cluster.connect(b, 1);
    const echo = collect<{ message: Message }>(a1, 'message:new');
    const toB = waitForEvent<{ message: Message }>(b1, 'message:new');
    // Only the sender's node holds its devices: its other device there gets it locally.
    const sameNode = await cluster.connect(a, 0);
    const toSameNode = waitForEvent<{ message: Message }>(sameNode, 'message:new');
    const first = await sendText(a1, conv.id, 'hello across nodes');
    expect((await toB).message).toMatchObject({ id: first.id, seq: 1, text: 'hello across nodes' });
    expect((await toSameNode).message.id).toBe(first.id);
    // A device on another node: the sender's copy crosses nodes too.
    const a2 = await cluster.connect(a, 2);
    // A device that connects right after a send may still get that message live (the copy for
    // the sender's own devices leaves after a presence lookup); it is the second one that counts.
    const toA2 = waitForEvent<{ message: Message }>(a2, 'message:new', {
      filter: (e) => e.message.text === 'and to every device',
    });
    const toSameNodeAgain = waitForEvent<{ message: Message }>(sameNode, 'message:new');
    const toBAgain = waitForEvent<{ message: Message }>(b1, 'message:new');
    const second = await sendText(a1, conv.id, 'and to every device');
    expect((await toA2).message.id).toBe(second.id);
    expect((await toSameNodeAgain).message.id).toBe(second.id);
    expect((await toBAgain).message.id).toBe(second.id);
    expect(echo).toHaveLength(0);
  });

  it('orders concurrent group messages from three nodes by one contiguous seq', async () => {
    const [owner, m1, m2] = (await users(3)) as [TestUser, TestUser, TestUser];
    const group = await createGroup(cluster, owner, [m1, m2]);
    const sockets = await Promise.all([owner, m1, m2].map((u, i) => cluster.connect(u, i)));
    const seen = sockets.map((s) => collect<{ message: Message }>(s, 'message:new'));
    const acks = await Promise.all(
      sockets.flatMap((s, i) =>
        Array.from({ length: 4 }, (_, k) => sendText(s, group.id, `n${i}-${k}`)),
      ),
    );
    expect(acks.map((m) => m.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    await waitFor(() => seen.every((list) => list.length === 8), { message: 'fan-out of 12' });
    const history = await ack<{ messages: Message[] }>(sockets[1]!, 'message:history', {
      conversationId: group.id,
      after: 0,
    });
    expect(history.messages.map((m) => m.seq)).toEqual(
      acks.map((m) => m.seq).sort((x, y) => x - y),
    );
  });

  it('applies membership changes on every node at once, and sync returns what was missed', async () => {
    const [owner, member, joiner] = (await users(3)) as [TestUser, TestUser, TestUser];
    const group = await createGroup(cluster, owner, [member]);
    const ownerSocket = await cluster.connect(owner, 0);
    const memberSocket = await cluster.connect(member, 2);
    const joinerSocket = await cluster.connect(joiner, 2);
    const joinerGot = collect<{ message: Message }>(joinerSocket, 'message:new');

    const added = waitForEvent(joinerSocket, 'conversation:updated');
    const res = await cluster.http(1, 'POST', `/api/conversations/${group.id}/members`, {
      token: owner.token,
      body: { userIds: [joiner.id] },
    });
    expect(res.status).toBe(200);
    await added;
    // Membership changes arrive as system messages too (kind 'system'); these checks follow texts.
    const isText = (e: { message: Message }) => e.message.kind !== 'system';
    const first = waitForEvent<{ message: Message }>(joinerSocket, 'message:new', {
      filter: isText,
    });
    const m1 = await sendText(ownerSocket, group.id, 'welcome');
    expect((await first).message.id).toBe(m1.id);

    const removed = waitForEvent(joinerSocket, 'conversation:removed');
    const del = await cluster.http(
      1,
      'DELETE',
      `/api/conversations/${group.id}/members/${joiner.id}`,
      {
        token: owner.token,
      },
    );
    expect(del.status).toBeLessThan(300);
    await removed;
    const toMember = waitForEvent<{ message: Message }>(memberSocket, 'message:new', {
      filter: isText,
    });
    const m2 = await sendText(ownerSocket, group.id, 'after removal');
    // The member shares the joiner's node: once it has m2, the joiner would have it too.
    expect((await toMember).message.id).toBe(m2.id);
    expect(joinerGot.filter(isText).map((e) => e.message.id)).toEqual([m1.id]);

    // A member that was away catches up with sync, from any node.
    const late = await cluster.connect(member, 1);
    const synced = await ack<{
      conversations: Array<{ conversationId: string; messages: Message[] }>;
    }>(late, 'sync', { cursors: [{ conversationId: group.id, seq: 0 }] });
    const page = synced.conversations.find((c) => c.conversationId === group.id);
    expect(page?.messages.map((m) => m.id)).toEqual(expect.arrayContaining([m1.id, m2.id]));
  });

  it('announces presence and relays typing across nodes', async () => {
    const [a, b] = (await users(2)) as [TestUser, TestUser];
    const conv = await direct(a, b);
    const aSocket = await cluster.connect(a, 0);
    const online = waitForEvent<Presence>(aSocket, 'presence', {
      filter: (p) => p.userId === b.id && p.online,
    });
    const bSocket = await cluster.connect(b, 1);
    await online;
    const query = await ack<{ presence: Presence[] }>(aSocket, 'presence:query', {
      userIds: [a.id, b.id],
    });
    expect(query.presence.map((p) => [p.userId, p.online, p.devices])).toEqual([
      [a.id, true, 1],
      [b.id, true, 1],
    ]);
    const typing = waitForEvent<{ userId: string; state: string }>(aSocket, 'typing');
    expect((await ack(bSocket, 'typing:start', { conversationId: conv.id })).ok).toBe(true);
    expect(await typing).toMatchObject({ userId: b.id, state: 'start' });
    const offline = waitForEvent<Presence>(aSocket, 'presence', {
      filter: (p) => p.userId === b.id && !p.online,
    });
    bSocket.disconnect();
    await offline;
  });

  it("announces a vanished device's offline through the worker's sweep", async () => {
    const [a, gone] = (await users(2)) as [TestUser, TestUser];
    await direct(a, gone);
    const aSocket = await cluster.connect(a, 2);
    const offline = waitForEvent<Presence>(aSocket, 'presence', {
      timeout: 15_000,
      filter: (p) => p.userId === gone.id && !p.online,
    });
    // A lease that already ran out, as a crashed node leaves it: only the sweep can see it.
    const crashed = createPresenceStore({
      redis: cluster.nodes[0]!.deps.redis,
      clock: () => Date.now() - 120_000,
    });
    await crashed.connect({ userId: gone.id, connId: 'on-a-dead-node', nodeId: 'dead' });
    expect(await offline).toMatchObject({ userId: gone.id, online: false, devices: 0 });
  });

  it('counts the message budget and the login limit cluster-wide', async () => {
    const [a, b] = (await users(2)) as [TestUser, TestUser];
    const conv = await direct(a, b);
    const on0 = await cluster.connect(a, 0);
    const on1 = await cluster.connect(a, 1);
    for (let i = 0; i < MESSAGES_PER_WINDOW; i++)
      await sendText(i % 2 ? on1 : on0, conv.id, `m${i}`);
    const refused = await ack(on0, 'message:send', {
      conversationId: conv.id,
      clientMsgId: 'over-budget',
      text: 'one too many',
    });
    expect(refused.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect((refused.error?.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);

    const login = (node: number) =>
      cluster.http(node, 'POST', '/api/auth/login', {
        body: { username: b.username, password: 'wrong password!' },
      });
    for (const node of [0, 1, 2]) expect((await login(node)).status).toBe(401);
    expect((await login(0)).status).toBe(429);
  });

  it('hands a message to an offline member to the webhook, once', async () => {
    const [a, away] = (await users(2)) as [TestUser, TestUser];
    const conv = await direct(a, away);
    const socket = await cluster.connect(a, 1);
    const sent = await sendText(socket, conv.id, 'are you there?');
    const delivery = await waitFor(
      () =>
        receiver.received.find((r) => r.body.messageId === sent.id && r.body.userId === away.id),
      { timeout: 20_000, message: 'the offline webhook' },
    );
    expect(delivery).toMatchObject({ signatureValid: true, body: { type: 'message' } });
    expect(receiver.received.filter((r) => r.body.messageId === sent.id)).toHaveLength(1);
  });
});
