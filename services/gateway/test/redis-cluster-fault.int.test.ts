import type { Conversation, Message, Presence } from '@chat/protocol';
import { slotOf } from '@chat/redis';
import { waitFor, waitForEvent, type RedisCluster } from '@chat/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ack,
  collect,
  createGroup,
  openDirect,
  useTestCluster,
  type ClientSocket,
  type TestUser,
} from './fixtures/cluster.js';

/*
 * Redis Cluster and the sharded adapter fault test: a Redis Cluster master is SIGKILLed while three gateways carry
 * traffic. Clients behave like the SDK: a send without an ok ack is resent with the same
 * clientMsgId. After the failover every acknowledged message is stored exactly once, every
 * member can read all of them, presence is right again and the nodes need no restart.
 */
const ENV = {
  PING_INTERVAL: '1000',
  PING_TIMEOUT: '2000',
  PRESENCE_TTL_MS: '4000',
  PRESENCE_FLUSH_MS: '300',
  PRESENCE_GRACE_MS: '300',
};
const PER_SENDER = 40;
const KILL_AFTER = 10;

const cluster = useTestCluster({ nodes: 3, redis: 'cluster', env: ENV });
let redis: RedisCluster;
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

beforeAll(async () => {
  if (cluster.backend.kind !== 'cluster') throw new Error('expected a Redis Cluster');
  redis = cluster.backend.cluster;
});

/** Sends until acknowledged, resending the same clientMsgId as the SDK does. */
async function sendUntilAcked(
  socket: ClientSocket,
  conversationId: string,
  clientMsgId: string,
): Promise<Message> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await socket
      .timeout(5_000)
      .emitWithAck('message:send', { conversationId, clientMsgId, text: clientMsgId })
      .catch(() => undefined);
    const reply = res as { ok: boolean; message?: Message; error?: { code: string } } | undefined;
    if (reply?.ok && reply.message) return reply.message;
    if (reply && reply.error?.code !== 'UNAVAILABLE') throw new Error(JSON.stringify(reply));
    // The client's retry back-off (not a wait for an assertion).
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${clientMsgId} was never acknowledged`);
}

/** Every message of a conversation, oldest first, through history pages. */
async function history(socket: ClientSocket, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const page = await ack<{ messages: Message[]; hasMore: boolean }>(socket, 'message:history', {
      conversationId,
      after: out.at(-1)?.seq ?? 0,
      limit: 100,
    });
    expect(page.ok).toBe(true);
    out.push(...page.messages);
    if (!page.hasMore) return out;
  }
}

describe('killing a Redis Cluster master under traffic', () => {
  it('loses and duplicates nothing, presence converges, and every node recovers by itself', async () => {
    const users = await Promise.all(
      Array.from({ length: 6 }, (_, i) => cluster.register(name('f'), i % 3)),
    );
    const [a, b, c, d, e, f] = users as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    const dm = (x: TestUser, y: TestUser) => openDirect(cluster, x, y);
    const conversations = [await dm(a, b), await dm(c, d), await createGroup(cluster, e, [f, a])];
    const sockets = await Promise.all(users.map((u, i) => cluster.connect(u, i % 3)));
    const live = sockets.map((s) => collect<{ message: Message }>(s, 'message:new'));
    // Sender → conversation: a→dm1, c→dm2, e and f → the group.
    const senders: Array<[number, Conversation]> = [
      [0, conversations[0]!],
      [2, conversations[1]!],
      [4, conversations[2]!],
      [5, conversations[2]!],
    ];

    // The master of the first conversation's slot (its counter, claims and version) dies.
    const victimSlot = slotOf(`chat:{c:${conversations[0]!.id}}:seq`);
    let acked = 0;
    let killed: Promise<number> | undefined;
    let ackedAtFailover = 0;
    const acks = await Promise.all(
      senders.map(async ([index, conversation]) => {
        const out: Message[] = [];
        for (let i = 0; i < PER_SENDER; i++) {
          out.push(
            await sendUntilAcked(sockets[index]!, conversation.id, `${users[index]!.id}-${i}`),
          );
          if (++acked === KILL_AFTER * senders.length)
            killed = redis.killMaster({ slot: victimSlot }).then((port) => {
              ackedAtFailover = acked;
              return port;
            });
        }
        return { conversation, messages: out };
      }),
    );
    const killedPort = await killed;
    expect(killedPort).toBeDefined();
    expect(await redis.masterPorts()).not.toContain(killedPort);
    // The traffic went on through the failover, not only before it.
    expect(ackedAtFailover).toBeLessThan(PER_SENDER * senders.length);

    // 0 lost, 0 duplicated: each acknowledged clientMsgId is stored once, in seq order, and
    // the ack a client kept is the stored message (same id and seq), also across resends.
    const memberSocket = [sockets[0]!, sockets[2]!, sockets[4]!];
    for (const [i, conversation] of conversations.entries()) {
      const stored = await history(memberSocket[i]!, conversation.id);
      const ids = stored.map((m) => m.clientMsgId);
      expect(new Set(ids).size).toBe(ids.length);
      const expected = acks
        .filter((s) => s.conversation.id === conversation.id)
        .flatMap((s) => s.messages);
      expect([...ids].sort()).toEqual(expected.map((m) => m.clientMsgId).sort());
      const byClientId = new Map(stored.map((m) => [m.clientMsgId, m]));
      for (const m of expected)
        expect(byClientId.get(m.clientMsgId)).toMatchObject({ id: m.id, seq: m.seq });
      const seqs = stored.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Live events may have paused during the failover; none was delivered twice.
    for (const events of live) {
      const ids = events.map((event) => event.message.id);
      expect(new Set(ids).size).toBe(ids.length);
    }

    // Presence converges: every user online, seen from every node.
    for (const node of [0, 1, 2]) {
      const viewer = await cluster.connect(a, node);
      await waitFor(
        async () => {
          const res = await ack<{ presence: Presence[] }>(viewer, 'presence:query', {
            userIds: users.map((u) => u.id),
          });
          return res.ok && res.presence.every((p) => p.online);
        },
        { timeout: 15_000, interval: 200, message: `presence converged on node ${node}` },
      );
      viewer.disconnect();
    }

    // The nodes recovered by themselves: ready, and a new message crosses nodes live.
    for (const node of cluster.nodes) {
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    }
    for (const [from, to] of [
      [0, 1],
      [2, 3],
    ] as const) {
      const conversation = conversations[from === 0 ? 0 : 1]!;
      const arrived = waitForEvent<{ message: Message }>(sockets[to]!, 'message:new', {
        timeout: 10_000,
        filter: (event) => event.message.clientMsgId === `after-${from}`,
      });
      await sendUntilAcked(sockets[from]!, conversation.id, `after-${from}`);
      expect((await arrived).message.conversationId).toBe(conversation.id);
    }

    // The killed node comes back as a replica; the cluster keeps serving.
    await redis.restartNode(killedPort!);
    expect(await redis.masterPorts()).toHaveLength(3);
  });
});
