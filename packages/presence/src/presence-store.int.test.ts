import { randomUUID } from 'node:crypto';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPresenceStore, type PresenceStore } from './index.js';

const TTL = 60_000;
let server: RedisServer;
let redis: Redis;
let now: number;
let prefix: string;
let store: PresenceStore;

const clock = (): number => now;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

beforeEach(() => {
  // A fixed, test-controlled clock: expiry is judged from stored scores, so no sleeps.
  now = Date.parse('2026-01-05T12:00:00.000Z');
  prefix = `t-${randomUUID()}:`;
  store = createPresenceStore({ redis, prefix, ttlMs: TTL, clock });
});

describe('presence store', () => {
  it('tracks several devices and reports online/offline transitions once', async () => {
    expect(await store.connect({ userId: 'u1', connId: 'a', nodeId: 'n1', device: 'web' })).toEqual(
      {
        cameOnline: true,
        devices: 1,
      },
    );
    expect(await store.connect({ userId: 'u1', connId: 'b', nodeId: 'n2' })).toEqual({
      cameOnline: false,
      devices: 2,
    });
    expect(await store.query(['u1'])).toEqual([
      { userId: 'u1', online: true, devices: 2, lastSeen: new Date(now).toISOString() },
    ]);

    now += 1_000;
    expect(await store.disconnect({ userId: 'u1', connId: 'a' })).toMatchObject({
      wentOffline: false,
      devices: 1,
    });
    now += 1_000;
    const last = await store.disconnect({ userId: 'u1', connId: 'b' });
    expect(last).toEqual({ wentOffline: true, devices: 0, lastSeen: new Date(now) });
    // A repeated disconnect (e.g. both a 'disconnect' handler and a drain) is not a second transition.
    expect((await store.disconnect({ userId: 'u1', connId: 'b' })).wentOffline).toBe(false);

    expect(await store.query(['u1'])).toEqual([
      { userId: 'u1', online: false, devices: 0, lastSeen: new Date(now).toISOString() },
    ]);
    expect(await store.isOnline(['u1'])).toEqual(new Set());
    expect(await store.sweepExpired(now + 10 * TTL)).toEqual([]);
  });

  it('sweeps a user whose connections expired exactly once, with the last heartbeat as lastSeen', async () => {
    const t0 = now;
    await store.connect({ userId: 'u1', connId: 'a', nodeId: 'n1' });
    await store.connect({ userId: 'u2', connId: 'b', nodeId: 'n1' });
    now = t0 + 30_000;
    expect(await store.heartbeat([{ userId: 'u1', connId: 'a' }])).toEqual({ missing: [] });

    // u2 expired (no heartbeat since t0), u1 is still alive.
    now = t0 + TTL + 1;
    expect(await store.isOnline(['u1', 'u2'])).toEqual(new Set(['u1']));
    expect(await store.sweepExpired()).toEqual([{ userId: 'u2', lastSeen: new Date(t0) }]);
    expect(await store.sweepExpired()).toEqual([]);

    now = t0 + 30_000 + TTL + 1;
    expect(await store.sweepExpired()).toEqual([{ userId: 'u1', lastSeen: new Date(t0 + 30_000) }]);
    expect(await store.sweepExpired()).toEqual([]);
    expect(await store.query(['u1', 'u2'])).toMatchObject([
      { userId: 'u1', online: false, devices: 0, lastSeen: new Date(t0 + 30_000).toISOString() },
      { userId: 'u2', online: false, devices: 0, lastSeen: new Date(t0).toISOString() },
    ]);
    // The swept connection is gone: a late heartbeat does not resurrect it but reports it.
    expect(await store.heartbeat([{ userId: 'u1', connId: 'a' }])).toEqual({
      missing: [{ userId: 'u1', connId: 'a' }],
    });
    expect(await store.isOnline(['u1'])).toEqual(new Set());
  });

  it('answers isOnline for a whole group in one command: live, expired, gone and repeated ids', async () => {
    const t0 = now;
    const users = Array.from({ length: 60 }, (_, i) => `g${i}`);
    for (const [i, userId] of users.entries()) {
      if (i % 3 !== 0) await store.connect({ userId, connId: `c${i}`, nodeId: 'n1' });
    }
    // Every third never connected; g1 leaves; g2's only connection expires below.
    await store.disconnect({ userId: 'g1', connId: 'c1' });
    now = t0 + 30_000;
    await store.heartbeat(
      users
        .filter((_, i) => i % 3 !== 0 && i !== 2)
        .map((userId) => ({ userId, connId: `c${userId.slice(1)}` })),
    );
    now = t0 + TTL + 1;
    const expected = users.filter((_, i) => i % 3 !== 0 && i !== 1 && i !== 2);
    // Loads the script first: the very first call is an EVALSHA answered NOSCRIPT, then an EVAL.
    await store.isOnline(['warm-1', 'warm-2']);
    const commands: string[] = [];
    const monitor = await redis.duplicate().monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() !== 'select') commands.push(args[0]?.toLowerCase() ?? '');
    });
    try {
      expect(await store.isOnline([...users, 'g4', 'g5'])).toEqual(new Set(expected));
      // MONITOR sees commands run by scripts too; the client sent one EVALSHA (or EVAL).
      await waitFor(() => commands.some((c) => c.startsWith('eval')));
      expect(commands.filter((c) => c.startsWith('eval'))).toHaveLength(1);
    } finally {
      monitor.disconnect();
    }
  });

  it('keeps a user with one live device out of the sweep', async () => {
    const t0 = now;
    await store.connect({ userId: 'u1', connId: 'old', nodeId: 'crashed' });
    now = t0 + TTL / 2;
    await store.connect({ userId: 'u1', connId: 'new', nodeId: 'n2' });
    now = t0 + TTL + 1;
    expect(await store.sweepExpired()).toEqual([]);
    expect(await store.query(['u1'])).toMatchObject([{ online: true, devices: 1 }]);
    // The last live device disconnecting cleanly is the (single) offline transition.
    expect((await store.disconnect({ userId: 'u1', connId: 'new' })).wentOffline).toBe(true);
    expect(await store.sweepExpired(now + 10 * TTL)).toEqual([]);
  });

  it('reports each expired user to exactly one of two concurrent sweepers', async () => {
    const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
    await store.reRegister(
      users.map((userId) => ({ userId, connId: `c-${userId}`, nodeId: 'n1' })),
    );
    const other = new Redis(server.url);
    try {
      const sweeperB = createPresenceStore({ redis: other, prefix, ttlMs: TTL, clock });
      const at = now + TTL + 1;
      const [a, b] = await Promise.all([store.sweepExpired(at), sweeperB.sweepExpired(at)]);
      const reported = [...a, ...b].map((s) => s.userId).sort();
      expect(reported).toEqual([...users].sort());
      expect(await store.sweepExpired(at)).toEqual([]);
    } finally {
      other.disconnect();
    }
  });

  it('never leaves a wrong offline when connect and disconnect race on two nodes', async () => {
    const nodeB = new Redis(server.url);
    try {
      const storeB = createPresenceStore({ redis: nodeB, prefix, ttlMs: TTL, clock });
      for (let i = 0; i < 50; i++) {
        const userId = `race${i}`;
        await store.connect({ userId, connId: `old${i}`, nodeId: 'A' });
        const [gone, came] = await Promise.all([
          store.disconnect({ userId, connId: `old${i}` }),
          storeB.connect({ userId, connId: `new${i}`, nodeId: 'B' }),
        ]);
        // Either order is fine, but an offline report must be followed by an online one.
        expect(gone.wentOffline).toBe(came.cameOnline);
        expect(await store.query([userId])).toMatchObject([{ online: true, devices: 1 }]);
      }
    } finally {
      nodeB.disconnect();
    }
  });

  it('answers a batch query in input order and rejects more than 200 ids', async () => {
    await store.connect({ userId: 'u5', connId: 'x', nodeId: 'n1' });
    await store.connect({ userId: 'u7', connId: 'y', nodeId: 'n1' });
    await store.connect({ userId: 'u7', connId: 'z', nodeId: 'n2' });
    const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const result = await store.query(ids);
    expect(result.map((p) => p.userId)).toEqual(ids);
    expect(result.filter((p) => p.online)).toMatchObject([
      { userId: 'u5', devices: 1 },
      { userId: 'u7', devices: 2 },
    ]);
    expect(result[0]).toEqual({ userId: 'u0', online: false, devices: 0 });
    await expect(store.query([...ids, 'u200'])).rejects.toThrow(RangeError);
    expect(await store.query([])).toEqual([]);
  });

  it('re-registers live connections after Redis restarts empty', async () => {
    const live = [
      { userId: 'u1', connId: 'a', nodeId: 'n1' },
      { userId: 'u1', connId: 'b', nodeId: 'n1' },
      { userId: 'u2', connId: 'c', nodeId: 'n1' },
    ];
    for (const entry of live) await store.connect(entry);
    await server.restart();
    await waitFor(async () => (await redis.ping()) === 'PONG', { message: 'ioredis reconnect' });

    expect(await store.isOnline(['u1', 'u2'])).toEqual(new Set());
    const beat = await store.heartbeat(live);
    expect(beat.missing).toEqual(live);
    expect(
      await store.reRegister(beat.missing.map((m) => live.find((l) => l.connId === m.connId)!)),
    ).toEqual({
      cameOnline: ['u1', 'u2'],
    });
    expect(await store.query(['u1', 'u2'])).toMatchObject([
      { online: true, devices: 2 },
      { online: true, devices: 1 },
    ]);
    expect((await store.heartbeat(live)).missing).toEqual([]);
  });
});
