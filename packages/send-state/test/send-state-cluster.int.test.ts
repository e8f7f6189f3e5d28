import { AppError } from '@chat/core';
import { scriptsNotLoaded } from '@chat/redis';
import { useRedisClusterWithClient } from '@chat/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { createHandoffStream } from '../src/handoff-stream.js';
import * as scripts from '../src/scripts.js';
import { createSendState } from '../src/send-state.js';
import { request } from './requests.js';

/*
 * The send path on a real Redis Cluster. A script whose keys span slots fails
 * there with CROSSSLOT, so running each one through the code that calls it checks its hash
 * tags; the last test checks that every script of the package really ran.
 */
const cluster = useRedisClusterWithClient();

describe('the send path on a Redis Cluster', () => {
  it('spends the budget once per send, across stale and seed rounds, and hands off after the seq', async () => {
    const state = createSendState({
      redis: cluster.redis,
      prefix: 'l1:',
      budget: { perWindow: 3, windowMs: 60_000 },
    });
    const budgetUsed = async () => Number(await cluster.redis.get(state.keys.budget('alice')));
    const stale = await state.allocate(
      request({ conversationId: 'conv-1', clientMsgId: 'a', version: 'old' }),
    );
    expect(stale).toMatchObject({ kind: 'stale', budgetSpent: true });
    const version = await state.versionOf('conv-1');
    const seed = await state.allocate(
      request({ conversationId: 'conv-1', clientMsgId: 'a', version, budgetSpent: true }),
    );
    expect(seed).toEqual({ kind: 'seed', budgetSpent: true });
    expect(await budgetUsed()).toBe(1);
    expect(await state.raiseCounter('conv-1', 0)).toBe(0);
    expect(
      await state.allocate(
        request({ conversationId: 'conv-1', clientMsgId: 'a', version, budgetSpent: true }),
      ),
    ).toEqual({
      kind: 'ok',
      seq: 1,
    });
    expect(await budgetUsed()).toBe(1);
    // A resend is told the first attempt's seq and id, and hands that id off.
    expect(
      await state.allocate(
        request({ conversationId: 'conv-1', clientMsgId: 'a', version, messageId: 'second-id' }),
      ),
    ).toEqual({ kind: 'resent', seq: 1, messageId: 'id-a' });
    expect(
      await state.allocate(request({ conversationId: 'conv-1', clientMsgId: 'b', version })),
    ).toEqual({
      kind: 'ok',
      seq: 2,
    });
    const limited = await state
      .allocate(request({ conversationId: 'conv-1', clientMsgId: 'c', version }))
      .catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(AppError);
    expect((limited as AppError).code).toBe('RATE_LIMITED');
    // The refused send took nothing: the next grant (a retry after the seq index) is seq 3.
    expect(
      await state.allocate(
        request({ conversationId: 'conv-1', clientMsgId: 'b', version, mode: 'retry' }),
      ),
    ).toEqual({
      kind: 'ok',
      seq: 3,
    });

    const stream = createHandoffStream({
      redis: cluster.redis,
      key: state.keys.handoff(),
      consumer: 'w1',
    });
    await stream.ensureGroup();
    const { records } = await stream.read(10, 100);
    expect(records.map((r) => r.messageId)).toEqual(['id-a', 'id-a', 'id-b']);
    await stream.done(records.map((r) => r.id));
    expect(await stream.length()).toBe(0);

    await state.bumpVersion('conv-1');
    expect(await state.versionOf('conv-1')).not.toBe(version);
  });

  it('reads the counters of conversations in many slots', async () => {
    const state = createSendState({ redis: cluster.redis, prefix: 'l2:' });
    const ids = Array.from({ length: 40 }, (_, i) => `conv-${i}`);
    await Promise.all(ids.map((id, i) => state.raiseCounter(id, i)));
    const counters = await state.counters([...ids, 'never-used']);
    expect(counters.size).toBe(40);
    expect(ids.every((id, i) => counters.get(id) === i)).toBe(true);
  });

  it('grants server-made seqs from the same counter, after seeding', async () => {
    const state = createSendState({ redis: cluster.redis, prefix: 'l3:' });
    expect(await state.nextSeq('conv-sys')).toBeUndefined();
    expect(await state.raiseCounter('conv-sys', 7)).toBe(7);
    expect(await state.nextSeq('conv-sys')).toBe(8);
    expect((await state.counters(['conv-sys'])).get('conv-sys')).toBe(8);
  });
});

describe('coverage', () => {
  it('ran every Lua script of the package on the cluster', async () => {
    expect(await scriptsNotLoaded(cluster.redis, scripts)).toEqual([]);
  });
});
