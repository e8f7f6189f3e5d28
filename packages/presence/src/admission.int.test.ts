import { randomUUID } from 'node:crypto';
import { startRedis, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPresenceStore, type PresenceStore } from './index.js';

const TTL = 60_000;
let server: RedisServer;
/** Two clients stand for two gateway nodes: each has its own connection to Redis. */
let redisA: Redis;
let redisB: Redis;
let now: number;
let prefix: string;
let nodeA: PresenceStore;
let nodeB: PresenceStore;

const clock = (): number => now;

beforeAll(async () => {
  server = await startRedis();
  redisA = new Redis(server.url, { maxRetriesPerRequest: 1 });
  redisB = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  redisA?.disconnect();
  redisB?.disconnect();
  await server?.stop();
});

beforeEach(() => {
  now = Date.parse('2026-01-05T12:00:00.000Z');
  prefix = `adm-${randomUUID()}:`;
  nodeA = createPresenceStore({ redis: redisA, prefix, ttlMs: TTL, clock });
  nodeB = createPresenceStore({ redis: redisB, prefix, ttlMs: TTL, clock });
});

const entry = (connId: string, userId = 'u1') => ({ userId, connId, nodeId: 'n1' });

describe('admission with a per-user connection cap', () => {
  it('admits up to the cap, refuses the next without writing it, and frees a slot on disconnect', async () => {
    expect(await nodeA.admit(entry('a'), 3)).toEqual({
      accepted: true,
      cameOnline: true,
      devices: 1,
    });
    expect(await nodeB.admit(entry('b'), 3)).toEqual({
      accepted: true,
      cameOnline: false,
      devices: 2,
    });
    expect(await nodeA.admit(entry('c'), 3)).toMatchObject({ accepted: true, devices: 3 });
    expect(await nodeB.admit(entry('d'), 3)).toEqual({ accepted: false, devices: 3 });
    // The refused connection left no trace: no lease, no device counted.
    expect(await redisA.exists(nodeA.keys.conn('u1', 'd'))).toBe(0);
    expect(await nodeA.query(['u1'])).toMatchObject([{ online: true, devices: 3 }]);
    // Another user is not affected by u1's cap.
    expect(await nodeB.admit(entry('x', 'u2'), 3)).toMatchObject({ accepted: true, devices: 1 });

    // A retried admission of a connection already in is not a new connection.
    expect(await nodeA.admit(entry('c'), 3)).toMatchObject({ accepted: true, devices: 3 });

    await nodeA.disconnect({ userId: 'u1', connId: 'a' });
    expect(await nodeB.admit(entry('d'), 3)).toMatchObject({ accepted: true, devices: 3 });
  });

  it('does not count connections whose lease expired (a crashed node frees its slots after the TTL)', async () => {
    await nodeA.admit(entry('a'), 2);
    await nodeA.admit(entry('b'), 2);
    expect((await nodeB.admit(entry('c'), 2)).accepted).toBe(false);
    now += TTL + 1;
    expect(await nodeB.admit(entry('c'), 2)).toEqual({
      accepted: true,
      cameOnline: true,
      devices: 1,
    });
  });

  it('never lets concurrent handshakes on two nodes exceed the cap', async () => {
    const attempts = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? nodeA : nodeB).admit(entry(`c${i}`), 5),
    );
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r.accepted)).toHaveLength(5);
    expect(results.filter((r) => r.accepted && r.cameOnline)).toHaveLength(1);
    expect(await redisA.zcard(nodeA.keys.user('u1'))).toBe(5);
  });

  it('rejects a cap that is not a positive integer', async () => {
    await expect(nodeA.admit(entry('a'), 0)).rejects.toThrow(RangeError);
    await expect(nodeA.admit(entry('a'), 1.5)).rejects.toThrow(RangeError);
  });
});
