import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendText, useTestCluster } from './fixtures/cluster.js';

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
