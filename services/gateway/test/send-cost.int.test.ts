import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, openDirect, sendText, useTestCluster } from './fixtures/cluster.js';

/**
 * Mentions, system messages and HTTP for bots must not make a plain send dearer (One script + one batched insert):
 * mentions cost one users query only for texts with an `@name`. Counted by the MongoDB server
 * itself (serverStatus `metrics.commands`), as the bench does.
 */
const cluster = useTestCluster({ nodes: 1 });
let mongo: MongoClient;

beforeAll(async () => {
  mongo = await MongoClient.connect(cluster.env.MONGO_URL ?? '');
});
afterAll(async () => {
  await mongo?.close();
});

async function commands(): Promise<{ find: number; insert: number }> {
  const status = (await mongo.db('admin').command({ serverStatus: 1 })) as {
    metrics?: { commands?: Record<string, { total?: number }> };
  };
  const total = (name: string) => Number(status.metrics?.commands?.[name]?.total ?? 0);
  return { find: total('find'), insert: total('insert') };
}

describe('what a send costs in MongoDB', () => {
  it('plain text: no find; with @name: one find on the send path', async () => {
    const ann = await cluster.register('cost_ann');
    const bob = await cluster.register('cost_bob');
    const group = await createGroup(cluster, ann, [bob]);
    const socket = await cluster.connect(ann, 0);
    await sendText(socket, group.id, 'warm-up: loads the membership entry once');
    const N = 20;

    const before = await commands();
    for (let i = 0; i < N; i++)
      await sendText(socket, group.id, `plain ${i}, mail ann@example.com`);
    const plain = await commands();
    for (let i = 0; i < N; i++) await sendText(socket, group.id, `hi @${bob.username} ${i}`);
    const mentioning = await commands();

    const plainFinds = plain.find - before.find;
    const mentionFinds = mentioning.find - plain.find;
    expect(plainFinds).toBe(0);
    expect(plain.insert - before.insert).toBeLessThanOrEqual(N);
    // The users lookup before each ack, plus the sender's name for the notification, which
    // runs after the ack (the last ones may still be in flight).
    expect(mentionFinds).toBeGreaterThanOrEqual(N);
    expect(mentionFinds).toBeLessThanOrEqual(2 * N);
  });
});

/** Redis round trips node 0 has sent so far (a script is one), from its /metrics. */
async function sentByNode(): Promise<number> {
  const text = await (await fetch(`${cluster.nodes[0]?.url ?? ''}/metrics`)).text();
  let sum = 0;
  for (const [, n] of text.matchAll(/^chat_redis_commands_total\{[^}]*\} (\d+)/gm))
    sum += Number(n);
  return sum;
}

/** How often Redis ran `command` so far (INFO commandstats; a script's inner calls count). */
async function redisCalls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

describe('what a direct send costs in Redis (sharded adapter)', () => {
  it('two round trips: the script (which reads both members presence) and one publish', async () => {
    const redis = new Redis(cluster.redis.url);
    try {
      const ann = await cluster.register('cost_dm_ann');
      const bob = await cluster.register('cost_dm_bob');
      const dm = await openDirect(cluster, ann, bob);
      const socket = await cluster.connect(ann, 0);
      await sendText(socket, dm.id, 'warm-up');
      const N = 20;
      const round = async () => {
        const [trips, xadds] = [await sentByNode(), await redisCalls(redis, 'xadd')];
        for (let i = 0; i < N; i++) await sendText(socket, dm.id, `dm ${i}`);
        return {
          trips: (await sentByNode()) - trips,
          handoffs: (await redisCalls(redis, 'xadd')) - xadds,
        };
      };

      // bob is offline: each send is handed off to the worker for his webhook.
      const offline = await round();
      // 2 per send; a presence heartbeat may land in the window (one pipeline of refreshes).
      expect(offline.trips).toBeGreaterThanOrEqual(2 * N);
      expect(offline.trips).toBeLessThanOrEqual(2 * N + 3);
      expect(offline.handoffs).toBe(N);

      // bob is online: he gets them live, and the script adds no hand-off entry.
      await cluster.connect(bob, 0);
      const online = await round();
      expect(online.trips).toBeLessThanOrEqual(2 * N + 3);
      expect(online.handoffs).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
