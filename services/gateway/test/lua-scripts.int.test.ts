import { createHash } from 'node:crypto';
import { AppError } from '@chat/core';
import { createPresenceStore, presenceScripts } from '@chat/presence';
import { createRedisClient, isCluster, readRedisConfig, type RedisClient } from '@chat/redis';
import {
  createHandoffStream,
  createSendState,
  sendScripts,
  type SendRequest,
} from '@chat/send-state';
import { createEnvReader } from '@chat/core';
import { startRedisCluster, type RedisCluster } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Every Lua script of the project on a real Redis Cluster (issue 15). A script whose keys
 * span slots fails there with CROSSSLOT, so running each one through the code that calls it
 * is the check that its keys share a hash tag. The last test proves each script really ran:
 * its SHA1 is loaded on a master (ioredis runs EVALSHA and loads on NOSCRIPT).
 */
let cluster: RedisCluster;
let redis: RedisClient;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const config = readRedisConfig(createEnvReader({ REDIS_CLUSTER_NODES: cluster.nodesEnv }));
  redis = createRedisClient(config, { role: 'commands', name: 'lua-test' });
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await cluster?.stop();
});

function request(over: Partial<SendRequest> & { clientMsgId: string }): SendRequest {
  const merged = {
    conversationId: 'conv-1',
    senderId: 'alice',
    messageId: `id-${over.clientMsgId}`,
    version: '',
    ...over,
  };
  return {
    ...merged,
    handoff: {
      conversationId: merged.conversationId,
      messageId: merged.messageId,
      senderId: merged.senderId,
      version: merged.version,
      preview: 'hi',
    },
  };
}

describe('the send path on a Redis Cluster', () => {
  it('spends the budget once per send, across stale and seed rounds, and hands off after the seq', async () => {
    const state = createSendState({
      redis,
      prefix: 'l1:',
      budget: { perWindow: 3, windowMs: 60_000 },
    });
    const budgetUsed = async () => Number(await redis.get(state.keys.budget('alice')));
    const stale = await state.allocate(request({ clientMsgId: 'a', version: 'old' }));
    expect(stale).toMatchObject({ kind: 'stale', budgetSpent: true });
    const version = await state.versionOf('conv-1');
    const seed = await state.allocate(request({ clientMsgId: 'a', version, budgetSpent: true }));
    expect(seed).toEqual({ kind: 'seed', budgetSpent: true });
    expect(await budgetUsed()).toBe(1);
    expect(await state.raiseCounter('conv-1', 0)).toBe(0);
    expect(await state.allocate(request({ clientMsgId: 'a', version, budgetSpent: true }))).toEqual(
      {
        kind: 'ok',
        seq: 1,
      },
    );
    expect(await budgetUsed()).toBe(1);
    // A resend is told the first attempt's seq and id, and hands that id off.
    expect(
      await state.allocate(request({ clientMsgId: 'a', version, messageId: 'second-id' })),
    ).toEqual({ kind: 'resent', seq: 1, messageId: 'id-a' });
    expect(await state.allocate(request({ clientMsgId: 'b', version }))).toEqual({
      kind: 'ok',
      seq: 2,
    });
    const limited = await state
      .allocate(request({ clientMsgId: 'c', version }))
      .catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(AppError);
    expect((limited as AppError).code).toBe('RATE_LIMITED');
    // The refused send took nothing: the next grant (a retry after the seq index) is seq 3.
    expect(await state.allocate(request({ clientMsgId: 'b', version, mode: 'retry' }))).toEqual({
      kind: 'ok',
      seq: 3,
    });

    const stream = createHandoffStream({ redis, key: state.keys.handoff(), consumer: 'w1' });
    await stream.ensureGroup();
    const { records } = await stream.read(10, 100);
    expect(records.map((r) => r.messageId)).toEqual(['id-a', 'id-a', 'id-b']);
    await stream.done(records.map((r) => r.id));
    expect(await stream.length()).toBe(0);

    await state.bumpVersion('conv-1');
    expect(await state.versionOf('conv-1')).not.toBe(version);
  });

  it('reads the counters of conversations in many slots', async () => {
    const state = createSendState({ redis, prefix: 'l2:' });
    const ids = Array.from({ length: 40 }, (_, i) => `conv-${i}`);
    await Promise.all(ids.map((id, i) => state.raiseCounter(id, i)));
    const counters = await state.counters([...ids, 'never-used']);
    expect(counters.size).toBe(40);
    expect(ids.every((id, i) => counters.get(id) === i)).toBe(true);
  });
});

describe('presence on a Redis Cluster', () => {
  it('admits, refreshes, queries, sweeps and re-registers users of every bucket', async () => {
    let now = 1_000_000;
    const store = createPresenceStore({ redis, prefix: 'lp:', ttlMs: 10_000, clock: () => now });
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
  it('ran every Lua script of the project on the cluster', async () => {
    const scripts = { ...sendScripts, ...presenceScripts };
    const sha = (lua: string) => createHash('sha1').update(lua).digest('hex');
    if (!isCluster(redis)) throw new Error('expected a cluster client');
    const masters = redis.nodes('master');
    const loaded = await Promise.all(
      Object.entries(scripts).map(async ([name, lua]) => {
        const exists = await Promise.all(
          masters.map((m) => m.script('EXISTS', sha(lua)) as Promise<number[]>),
        );
        return [name, exists.some(([one]) => one === 1)] as const;
      }),
    );
    expect(Object.fromEntries(loaded)).toEqual(
      Object.fromEntries(Object.keys(scripts).map((name) => [name, true])),
    );
  });
});
