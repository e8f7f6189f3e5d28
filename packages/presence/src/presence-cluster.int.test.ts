import { scriptsNotLoaded } from '@chat/redis';
import { useRedisClusterWithClient } from '@chat/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { createPresenceStore } from './presence-store.js';
import * as scripts from './scripts.js';

/*
 * Presence on a real Redis Cluster: every script and multi-user pipeline with
 * users of many buckets (slots); CROSSSLOT would fail them. The last test checks that every
 * script of the package really ran.
 */
const cluster = useRedisClusterWithClient();

describe('presence on a Redis Cluster', () => {
  it('admits, refreshes, queries, sweeps and re-registers users of every bucket', async () => {
    let now = 1_000_000;
    const store = createPresenceStore({
      redis: cluster.redis,
      prefix: 'lp:',
      ttlMs: 10_000,
      clock: () => now,
    });
    const users = Array.from({ length: 150 }, (_, i) => `user-${i}`);
    for (const userId of users) {
      expect(await store.admit({ userId, connId: `${userId}-a`, nodeId: 'n1' }, 2)).toMatchObject({
        accepted: true,
        cameOnline: true,
      });
    }
    expect(await store.admit({ userId: 'user-0', connId: 'b', nodeId: 'n1' }, 2)).toMatchObject({
      accepted: true,
      devices: 2,
    });
    expect(await store.admit({ userId: 'user-0', connId: 'c', nodeId: 'n1' }, 2)).toEqual({
      accepted: false,
      devices: 2,
    });
    expect(await store.connect({ userId: 'user-1', connId: 'x', nodeId: 'n2' })).toEqual({
      cameOnline: false,
      devices: 2,
    });
    now += 5_000;
    const refs = users.map((userId) => ({ userId, connId: `${userId}-a` }));
    expect(await store.heartbeat([...refs, { userId: 'ghost', connId: 'g' }])).toEqual({
      missing: [{ userId: 'ghost', connId: 'g' }],
    });
    const query = await store.query(users.slice(0, 120));
    expect(query.every((p) => p.online)).toBe(true);
    expect((await store.isOnline([...users, 'ghost'])).size).toBe(150);
    expect(await store.disconnect({ userId: 'user-1', connId: 'x' })).toMatchObject({
      wentOffline: false,
      devices: 1,
    });
    expect(await store.disconnect({ userId: 'user-2', connId: 'user-2-a' })).toMatchObject({
      wentOffline: true,
    });
    // Everyone else's lease runs out (a crashed node): one sweep finds each user once.
    now += 60_000;
    const swept = await store.sweepExpired();
    expect(swept.map((s) => s.userId).sort()).toEqual(users.filter((u) => u !== 'user-2').sort());
    expect(await store.sweepExpired()).toEqual([]);
    const back = await store.reRegister(refs.slice(0, 10).map((r) => ({ ...r, nodeId: 'n1' })));
    expect(back.cameOnline).toHaveLength(10);
  });
});

describe('coverage', () => {
  it('ran every Lua script of the package on the cluster', async () => {
    expect(await scriptsNotLoaded(cluster.redis, scripts)).toEqual([]);
  });
});
