import type { ChatClient } from '@chat/client';
import type { Conversation, Message, Presence } from '@chat/protocol';
import { waitFor } from '@chat/testkit';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultCluster, type FaultCluster, type FaultUser } from './fault-cluster.js';

/*
 * Operations (metrics, drain, outages) fault tests: real gateway processes behind the real nginx, SDK clients over both
 * transports from different loopback addresses, continuous traffic while a node is
 * SIGKILLed, every node is restarted in turn, Redis restarts, the worker stops, Mongo
 * freezes. Messages are counted by clientMsgId: none lost, none duplicated.
 */

const ENV = {
  PING_INTERVAL: '2000',
  PING_TIMEOUT: '5000',
  // Production keeps the lease (45 s) and grace (5 s) far above a reconnect. Here the box is
  // also restarting nodes under tsx while it runs the traffic, so a ping can stall for a
  // few seconds and a client bounced by a draining node can take several seconds to land:
  // the lease and grace must outlive that, or the roll "flaps" for reasons of the test rig.
  PRESENCE_TTL_MS: '20000',
  PRESENCE_FLUSH_MS: '300',
  PRESENCE_GRACE_MS: '8000',
  PRESENCE_SWEEP_INTERVAL_MS: '500',
  DRAIN_TIMEOUT: '10s',
};

let cluster: FaultCluster;
let users: FaultUser[] = [];
const clients: ChatClient[] = [];
let group: Conversation;
const received = new Map<ChatClient, Map<string, number>>();
const offlineEvents: Presence[] = [];
/** Does nginx send any of a spread of client addresses to node `nodeId`? */
async function nginxRoutesTo(nodeId: string): Promise<boolean> {
  const port = new URL(cluster.url).port;
  const probes = Array.from(
    { length: 16 },
    (_, i) =>
      new Promise<string | undefined>((resolve) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/healthz', localAddress: `127.0.1.${i + 1}` },
          (res) => {
            res.resume();
            resolve(res.headers['x-node-id'] as string | undefined);
          },
        );
        req.on('error', () => resolve(undefined));
        req.end();
      }),
  );
  return (await Promise.all(probes)).includes(nodeId);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tag = `f${process.pid % 10000}`;

beforeAll(async () => {
  cluster = await startFaultCluster({ nodes: 2, env: ENV });
  await cluster.startWorker();
  users = await Promise.all([1, 2, 3, 4].map((i) => cluster.register(`${tag}u${i}`)));
  const [owner, ...rest] = users;
  const res = await cluster.http<Conversation>('POST', '/api/conversations/group', {
    token: owner?.token ?? '',
    body: { title: 'ops', memberIds: rest.map((u) => u.id) },
  });
  expect(res.status).toBe(201);
  group = res.body;
  // hash $remote_addr over loopback sources: take addresses until both nodes have clients.
  const transports = ['websocket', 'polling'] as const;
  for (let octet = 10; clients.length < users.length && octet < 60; octet++) {
    const user = users[clients.length];
    if (!user) break;
    const client = await cluster.client(
      user,
      `127.0.0.${octet}`,
      transports[clients.length % 2] ?? 'websocket',
    );
    // As an app that loaded the (empty) history: live events from two nodes can arrive out of
    // seq order, and an unseeded SDK takes the first one it sees as its baseline.
    client.seedCursor(group.id, 0);
    const nodesSoFar = new Set(clients.map((c) => c.session?.nodeId));
    // The last client must land on a node nobody else is on, if all sit on one so far.
    if (
      clients.length === users.length - 1 &&
      nodesSoFar.size === 1 &&
      nodesSoFar.has(client.session?.nodeId)
    ) {
      client.close();
      continue;
    }
    clients.push(client);
    const counts = new Map<string, number>();
    received.set(client, counts);
    client.on('message', (m: Message) =>
      counts.set(m.clientMsgId ?? '', (counts.get(m.clientMsgId ?? '') ?? 0) + 1),
    );
    client.on('presence', (p: Presence) => {
      if (!p.online) offlineEvents.push(p);
    });
  }
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
}, 60_000);

interface Traffic {
  name: string;
  sent: string[];
  failures: unknown[];
  /**
   * Resolves once `count` more sends have been acknowledged: "traffic before / after the
   * fault" is counted in messages, not milliseconds, so a loaded box that sends slowly still
   * sends enough (a fixed 600 ms once gave a single message per client, failing the count).
   */
  acks(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Every client sends in a loop (the SDK resends with the same clientMsgId after failures). */
function traffic(name: string, everyMs = 150): Traffic {
  const sent: string[] = [];
  const failures: unknown[] = [];
  let acked = 0;
  let running = true;
  const loops = clients.map(async (client, k) => {
    for (let n = 0; running; n++) {
      const clientMsgId = `${name}-${k}-${n}`;
      sent.push(clientMsgId);
      await client.send({ conversationId: group.id, clientMsgId, text: clientMsgId }).then(
        () => (acked += 1),
        (err: unknown) => failures.push(err),
      );
      await sleep(everyMs); // pacing of the load, not a wait before an assertion
    }
  });
  return {
    name,
    sent,
    failures,
    async acks(count) {
      const target = acked + count;
      await waitFor(() => acked >= target || failures.length > 0, {
        timeout: 30_000,
        message: `${count} more acknowledged sends of ${name}`,
      });
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function history(token: string): Promise<Message[]> {
  const all: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const query = `limit=100${before === undefined ? '' : `&before=${before}`}`;
    const res = await cluster.http<{ messages: Message[]; hasMore: boolean }>(
      'GET',
      `/api/conversations/${group.id}/messages?${query}`,
      { token },
    );
    expect(res.status).toBe(200);
    all.push(...res.body.messages);
    if (!res.body.hasMore || res.body.messages.length === 0) return all;
    before = Math.min(...res.body.messages.map((m) => m.seq));
  }
}

/** Zero lost, zero duplicated: in the store, and at every client (live or through sync). */
async function expectExactlyOnce(run: Traffic): Promise<void> {
  expect(run.failures).toEqual([]);
  expect(run.sent.length).toBeGreaterThan(clients.length);
  const stored = (await history(users[0]?.token ?? '')).filter((m) =>
    run.sent.includes(m.clientMsgId ?? ''),
  );
  const storedIds = stored.map((m) => m.clientMsgId);
  expect(new Set(storedIds).size).toBe(storedIds.length);
  expect(run.sent.filter((id) => !storedIds.includes(id))).toEqual([]);
  for (const client of clients) {
    const counts = received.get(client) ?? new Map<string, number>();
    await waitFor(() => run.sent.every((id) => counts.has(id)), {
      timeout: 15_000,
      message: `client on ${client.session?.nodeId} to receive all ${run.sent.length} messages`,
    }).catch(() => undefined);
    expect(run.sent.filter((id) => !counts.has(id))).toEqual([]);
    expect([...counts].filter(([id, n]) => run.sent.includes(id) && n !== 1)).toEqual([]);
  }
}

const allConnected = () => clients.every((c) => c.state === 'connected');

/** Each client sends one message after another: its messages' seqs must strictly increase. */
async function expectSeqsIncreasePerSender(run: Traffic): Promise<void> {
  const stored = await history(users[0]?.token ?? '');
  const seqOf = new Map(stored.map((m) => [m.clientMsgId ?? '', m.seq]));
  expect(new Set(stored.map((m) => m.seq)).size).toBe(stored.length);
  for (let k = 0; k < clients.length; k++) {
    const seqs = run.sent
      .filter((id) => id.startsWith(`${run.name}-${k}-`))
      .map((id) => seqOf.get(id) ?? -1);
    expect(
      seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? 0)),
      `sender ${k}: ${seqs.join(',')}`,
    ).toBe(true);
  }
}

/** Waits until every node answers /readyz with 200. */
const everyNodeReady = () =>
  waitFor(
    async () => {
      const states = await Promise.all(
        cluster.nodes.map((n) => fetch(`http://127.0.0.1:${n.port}/readyz`).then((r) => r.status)),
      );
      return states.every((s) => s === 200);
    },
    { timeout: 20_000, message: 'every node ready again' },
  );

describe('the cluster behind nginx', () => {
  it('spreads websocket and polling clients over the nodes; messages cross nodes', async () => {
    expect(clients).toHaveLength(4);
    const nodes = new Set(clients.map((c) => c.session?.nodeId));
    expect(nodes.size).toBe(2);
    const run = traffic('spread');
    await run.acks(clients.length * 3);
    await run.stop();
    await expectExactlyOnce(run);
  }, 60_000);

  it('kill -9 of a node under traffic: its clients move to the survivor and nothing is lost or doubled', async () => {
    const byNode = new Map<string, number>();
    for (const c of clients)
      byNode.set(c.session?.nodeId ?? '', (byNode.get(c.session?.nodeId ?? '') ?? 0) + 1);
    const index = cluster.nodes.findIndex((n) => (byNode.get(n.id) ?? 0) > 0);
    const victim = cluster.nodes[index];
    if (!victim) throw new Error('no node with clients');
    const run = traffic('kill');
    await run.acks(clients.length * 2);
    victim.process.kill('SIGKILL');
    await victim.process.exited;
    await waitFor(() => allConnected() && clients.every((c) => c.session?.nodeId !== victim.id), {
      timeout: 20_000,
      message: 'every client reconnected to a survivor',
    });
    await run.acks(clients.length * 2);
    await run.stop();
    await expectExactlyOnce(run);
    await cluster.startNode(index);
  }, 60_000);

  it('rolling restart of every node (SIGTERM drain) under traffic: zero lost, zero duplicated, no offline flap', async () => {
    offlineEvents.length = 0;
    const run = traffic('roll');
    for (let i = 0; i < cluster.nodes.length; i++) {
      const node = cluster.nodes[i];
      if (!node) continue;
      node.process.kill('SIGTERM');
      const exit = await node.process.exited;
      expect(exit.code).toBe(0);
      const restarted = await cluster.startNode(i);
      await waitFor(allConnected, {
        timeout: 15_000,
        message: 'clients reconnected after the restart',
      });
      // What an operator's rollout waits for before the next node: the balancer sends
      // traffic to the restarted node again (nginx keeps a failed peer out for fail_timeout).
      await waitFor(() => nginxRoutesTo(restarted.id), {
        timeout: 15_000,
        interval: 250,
        message: 'nginx routes to the restarted node',
      });
    }
    await run.stop();
    await expectExactlyOnce(run);
    const ours = new Set(users.map((u) => u.id));
    expect(offlineEvents.filter((p) => ours.has(p.userId))).toEqual([]);
  }, 90_000);

  it('Redis restart: sends answer UNAVAILABLE while it is down, nodes stay up, presence is right again after a heartbeat', async () => {
    const [first] = clients;
    if (!first) throw new Error('no client');
    await cluster.redis.stop();
    const failed = await first
      .request(
        'message:send',
        { conversationId: group.id, clientMsgId: `${tag}-redis-down`, text: 'down' },
        { timeoutMs: 10_000 },
      )
      .then(
        () => undefined,
        (err: unknown) => err as { code?: string },
      );
    expect(failed?.code).toBe('UNAVAILABLE');
    expect((await fetch(`http://127.0.0.1:${cluster.nodes[0]?.port}/readyz`)).status).toBe(503);

    await cluster.redis.restart();
    await waitFor(
      async () => {
        const states = await Promise.all(
          cluster.nodes.map((n) =>
            fetch(`http://127.0.0.1:${n.port}/readyz`).then((r) => r.status),
          ),
        );
        return states.every((s) => s === 200);
      },
      { timeout: 20_000, message: 'every node ready again' },
    );
    expect(cluster.nodes.filter((n) => n.process.exitInfo)).toEqual([]);
    const sent = await first.send({
      conversationId: group.id,
      clientMsgId: `${tag}-redis-up`,
      text: 'up',
    });
    expect(sent.clientMsgId).toBe(`${tag}-redis-up`);
    // Redis came back empty: every live connection must be registered again within a heartbeat.
    await waitFor(
      async () => {
        const { presence } = await first.request('presence:query', {
          userIds: users.slice(1).map((u) => u.id),
        });
        return presence.every((p) => p.online);
      },
      { timeout: 5_000, interval: 200, message: 'presence re-registered after the Redis restart' },
    );
  }, 60_000);

  it('worker stopped: offline-delivery jobs wait and are all delivered once when it returns', async () => {
    const [sender] = users;
    const offline = await cluster.register(`${tag}off`);
    const conv = await cluster.http<Conversation>('POST', '/api/conversations/direct', {
      token: sender?.token ?? '',
      body: { userId: offline.id },
    });
    expect([200, 201]).toContain(conv.status);
    const worker = cluster.worker;
    expect((await worker?.stop(10_000))?.code).toBe(0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await clients[0]?.send({
        conversationId: conv.body.id,
        clientMsgId: `${tag}-off-${i}`,
        text: `off ${i}`,
      });
      if (m) ids.push(m.id);
    }
    expect(ids).toHaveLength(5);
    const forOffline = () => cluster.hooks.filter((h) => h.body.userId === offline.id);
    expect(forOffline()).toEqual([]);

    await cluster.startWorker();
    await waitFor(() => ids.every((id) => forOffline().some((h) => h.body.messageId === id)), {
      timeout: 20_000,
      message: 'all offline deliveries after the worker returned',
    });
    const delivered = forOffline().map((h) => h.body.messageId);
    expect(delivered.sort()).toEqual([...ids].sort());
  }, 60_000);

  /** Traffic before, during and after `fault`: every message once, each sender's seqs rising. */
  async function redisFaultUnderTraffic(
    name: string,
    fault: (run: Traffic) => Promise<void>,
  ): Promise<void> {
    const run = traffic(name);
    await run.acks(clients.length);
    // Sends in flight when it hits: their clients get UNAVAILABLE and resend the same clientMsgId.
    await fault(run);
    await everyNodeReady();
    await run.acks(clients.length * 2);
    await run.stop();
    await expectExactlyOnce(run);
    await expectSeqsIncreasePerSender(run);
  }

  it('Redis restarted EMPTY under traffic: counters reseeded from MongoDB, 0 lost, 0 duplicated, seqs increasing', async () => {
    await redisFaultUnderTraffic('empty', () => cluster.redis.restart());
  }, 60_000);

  it('Redis restored from an OLDER snapshot under traffic: counters behind MongoDB catch up, 0 lost, 0 duplicated', async () => {
    await redisFaultUnderTraffic('older', async (run) => {
      const backup = await cluster.redis.snapshot();
      // MongoDB moves on past the snapshot: its counters (and claims) will be behind.
      await run.acks(clients.length * 2);
      await cluster.redis.restart({ from: backup });
    });
  }, 60_000);

  it('Mongo frozen: sends answer UNAVAILABLE, readyz 503, and recover when it resumes', async () => {
    const [first] = clients;
    if (!first) throw new Error('no client');
    process.kill(cluster.mongo.pid, 'SIGSTOP');
    try {
      const failed = await first
        .request(
          'message:send',
          { conversationId: group.id, clientMsgId: `${tag}-mongo-down`, text: 'down' },
          { timeoutMs: 25_000 },
        )
        .then(
          () => undefined,
          (err: unknown) => err as { code?: string },
        );
      expect(failed?.code).toBe('UNAVAILABLE');
      expect((await fetch(`http://127.0.0.1:${cluster.nodes[0]?.port}/readyz`)).status).toBe(503);
    } finally {
      process.kill(cluster.mongo.pid, 'SIGCONT');
    }
    const sent = await first.send({
      conversationId: group.id,
      clientMsgId: `${tag}-mongo-up`,
      text: 'up',
    });
    expect(sent.text).toBe('up');
    expect(cluster.nodes.filter((n) => n.process.exitInfo)).toEqual([]);
  }, 60_000);
});
