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

describe('what a direct send costs in Redis (sharded adapter)', () => {
  it('two round trips: the script (which counts the sender devices) and one publish', async () => {
    const ann = await cluster.register('cost_dm_ann');
    const bob = await cluster.register('cost_dm_bob');
    const dm = await openDirect(cluster, ann, bob);
    const socket = await cluster.connect(ann, 0);
    await sendText(socket, dm.id, 'warm-up');
    const N = 20;
    const before = await sentByNode();
    for (let i = 0; i < N; i++) await sendText(socket, dm.id, `dm ${i}`);
    const sent = (await sentByNode()) - before;
    // 2 per send; a presence heartbeat may land in the window (one pipeline of refreshes).
    expect(sent).toBeGreaterThanOrEqual(2 * N);
    expect(sent).toBeLessThanOrEqual(2 * N + 3);
  });
});
