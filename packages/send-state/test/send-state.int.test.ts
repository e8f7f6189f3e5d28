import { AppError } from '@chat/core';
import { startRedis, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandoffStream } from '../src/handoff-stream.js';
import {
  createSendState,
  SEND_CLAIM_TTL_MS,
  type SendRequest,
  type SendState,
} from '../src/send-state.js';
import { request } from './requests.js';

let server: RedisServer;
const clients: Redis[] = [];
let prefixes = 0;

/** One "node": its own connection to the shared Redis. */
function node(prefix: string, budget?: { perWindow: number; windowMs: number }): SendState {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return createSendState({ redis, prefix, ...(budget ? { budget } : {}) });
}
const freshPrefix = () => `t${++prefixes}:`;

/** Version known, counter seeded: what a node has after its first send to a conversation. */
async function ready(state: SendState, conversationId = 'c1', floor = 0): Promise<string> {
  await state.raiseCounter(conversationId, floor);
  return state.versionOf(conversationId);
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

describe('send state: budget, claim, seq and hand-off in one script', () => {
  it('asks for a membership version first, then for a seed, and only then hands out seqs', async () => {
    const state = node(freshPrefix());
    const stale = await state.allocate(request({ clientMsgId: 'm1' }));
    expect(stale).toEqual({ kind: 'stale', version: '' });
    const version = await state.versionOf('c1');
    expect(version.length).toBeGreaterThan(8);
    expect(await state.versionOf('c1')).toBe(version);
    expect(await state.allocate(request({ clientMsgId: 'm1', version }))).toEqual({
      kind: 'seed',
    });
    await state.raiseCounter('c1', 41);
    expect(await state.allocate(request({ clientMsgId: 'm1', version }))).toEqual({
      kind: 'ok',
      seq: 42,
    });
    expect(await state.allocate(request({ clientMsgId: 'm2', version }))).toEqual({
      kind: 'ok',
      seq: 43,
    });
    expect(await state.counters(['c1', 'c2'])).toEqual(new Map([['c1', 43]]));
  });

  it('a resend on any node is told the seq and id of the first attempt, for the claim TTL', async () => {
    const prefix = freshPrefix();
    const [a, b] = [node(prefix), node(prefix)];
    const version = await ready(a);
    expect(await a.allocate(request({ clientMsgId: 'x', version }))).toEqual({
      kind: 'ok',
      seq: 1,
    });
    const again = await b.allocate(request({ clientMsgId: 'x', version, messageId: 'other' }));
    expect(again).toEqual({ kind: 'resent', seq: 1, messageId: 'id-x' });
    const ttl = await clients.at(-1)!.pttl(a.keys.claim('c1', 'alice', 'x'));
    expect(ttl).toBeGreaterThan(SEND_CLAIM_TTL_MS - 60_000);
    // Another sender may use the same clientMsgId.
    expect(await b.allocate(request({ clientMsgId: 'x', version, senderId: 'bob' }))).toEqual({
      kind: 'ok',
      seq: 2,
    });
  });

  it('concurrent sends from four nodes take distinct, contiguous seqs; one send claims once', async () => {
    const prefix = freshPrefix();
    const nodes = Array.from({ length: 4 }, () => node(prefix));
    const version = await ready(nodes[0]!);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        nodes[i % 4]!.allocate(request({ clientMsgId: `m${i % 20}`, version })),
      ),
    );
    const seqs = outcomes.flatMap((o) => (o.kind === 'ok' ? [o.seq] : []));
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(outcomes.filter((o) => o.kind === 'resent')).toHaveLength(20);
  });

  it('a bumped version refuses every cache loaded before it, with no side effect', async () => {
    const prefix = freshPrefix();
    const [a, b] = [node(prefix), node(prefix)];
    const version = await ready(a);
    await b.bumpVersion('c1');
    const outcome = await a.allocate(request({ clientMsgId: 'y', version }));
    expect(outcome.kind).toBe('stale');
    const current = outcome.kind === 'stale' ? outcome.version : '';
    expect(current).not.toBe(version);
    expect(await a.counters(['c1'])).toEqual(new Map([['c1', 0]]));
    expect(await a.allocate(request({ clientMsgId: 'y', version: current }))).toEqual({
      kind: 'ok',
      seq: 1,
    });
  });

  it('one budget per user across nodes; refused sends take no seq and claim nothing', async () => {
    const prefix = freshPrefix();
    const budget = { perWindow: 5, windowMs: 30_000 };
    const [a, b] = [node(prefix, budget), node(prefix, budget)];
    const version = await ready(a);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).allocate(request({ clientMsgId: `d${i}`, version })).then(
          (o) => o,
          (err: unknown) => err,
        ),
      ),
    );
    const refused = outcomes.filter((o): o is AppError => o instanceof AppError);
    expect(refused).toHaveLength(3);
    for (const err of refused) {
      expect(err.code).toBe('RATE_LIMITED');
      const retryAfterMs = (err.details as { retryAfterMs: number }).retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(25_000);
      expect(retryAfterMs).toBeLessThanOrEqual(30_000);
    }
    expect(await a.counters(['c1'])).toEqual(new Map([['c1', 5]]));
    expect(await clients[0]!.keys(`${prefix}*claim*`)).toHaveLength(5);
    // Another user's budget is untouched.
    expect((await a.allocate(request({ clientMsgId: 'e', version, senderId: 'erin' }))).kind).toBe(
      'ok',
    );
  });

  it('the budget window ends: a refused user is admitted again afterwards', async () => {
    const prefix = freshPrefix();
    const state = node(prefix, { perWindow: 1, windowMs: 200 });
    const version = await ready(state);
    await state.allocate(request({ clientMsgId: 'f1', version }));
    expect((await refusal(state.allocate(request({ clientMsgId: 'f2', version })))).code).toBe(
      'RATE_LIMITED',
    );
    // Wait for the window to end by polling the counter in Redis, not by sleeping blind.
    const redis = clients.at(-1)!;
    for (let i = 0; i < 100 && (await redis.exists(state.keys.budget('alice'))); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await state.allocate(request({ clientMsgId: 'f2', version }))).kind).toBe('ok');
  });

  it('a retry after the seq index refused takes a fresh seq and moves the claim to it', async () => {
    const prefix = freshPrefix();
    const state = node(prefix);
    const version = await ready(state);
    expect(await state.allocate(request({ clientMsgId: 'r', version }))).toEqual({
      kind: 'ok',
      seq: 1,
    });
    // MongoDB already holds seq 7 (Redis came back from an older snapshot).
    expect(await state.raiseCounter('c1', 7)).toBe(7);
    expect(await state.raiseCounter('c1', 3)).toBe(7);
    expect(await state.allocate(request({ clientMsgId: 'r', version, mode: 'retry' }))).toEqual({
      kind: 'ok',
      seq: 8,
    });
    expect(await state.allocate(request({ clientMsgId: 'r', version }))).toEqual({
      kind: 'resent',
      seq: 8,
      messageId: 'id-r',
    });
  });

  it('every send and resend (not a retry) appends its hand-off entry; the worker reads and deletes them', async () => {
    const prefix = freshPrefix();
    const state = node(prefix);
    const version = await ready(state);
    await state.allocate(request({ clientMsgId: 'h1', version }));
    await state.allocate(request({ clientMsgId: 'h1', version, messageId: 'resend-id' }));
    await state.allocate(request({ clientMsgId: 'h1', version, mode: 'retry' }));
    await state.allocate(request({ clientMsgId: 'h2', version }));
    const reader = new Redis(server.url);
    clients.push(reader);
    const stream = createHandoffStream({
      redis: reader,
      key: state.keys.handoff(),
      consumer: 'w1',
    });
    await stream.ensureGroup();
    await stream.ensureGroup();
    const { records, malformed } = await stream.read(10, 100);
    expect(malformed).toEqual([]);
    expect(records.map((r) => r.messageId)).toEqual(['id-h1', 'id-h1', 'id-h2']);
    expect(records[0]).toMatchObject({ conversationId: 'c1', senderId: 'alice', version });
    // Read but not done: another consumer claims them once they are idle.
    const other = createHandoffStream({ redis: reader, key: state.keys.handoff(), consumer: 'w2' });
    const claimed = await other.claimIdle(0, 10);
    expect(claimed.records).toHaveLength(3);
    await other.done(claimed.records.map((r) => r.id));
    expect(await stream.length()).toBe(0);
  });

  it("reads the direct members' presence in the same script: sender's devices, recipient online", async () => {
    const state = node(freshPrefix());
    const version = await ready(state);
    const redis = clients.at(-1)!;
    const [alice, bob, carol] = ['pt:user:alice', 'pt:user:bob', 'pt:user:carol'];
    const now = 1_000_000;
    // Two live connections and one whose expiry passed (not yet swept); bob's only one expired.
    await redis.zadd(alice, now + 30_000, 'a1', now + 5, 'a2', now - 1, 'a-old');
    await redis.zadd(bob, now - 1, 'b-old');
    await redis.zadd(carol, now + 30_000, 'c1');
    const handoffs = async () => (await redis.xrange(state.keys.handoff(), '-', '+')).length;
    const send = (clientMsgId: string, presence: SendRequest['presence']) =>
      state.allocate({ ...request({ clientMsgId, version }), ...(presence ? { presence } : {}) });

    // bob is offline: handed off, and alice's live devices are counted.
    expect(await send('d1', { now, sender: alice, recipient: bob })).toEqual({
      kind: 'ok',
      seq: 1,
      devices: 2,
    });
    expect(await handoffs()).toBe(1);
    // A resend is told the same, and hands off again (the worker dedupes by message id).
    expect(await send('d1', { now, sender: alice, recipient: bob })).toEqual({
      kind: 'resent',
      seq: 1,
      messageId: 'id-d1',
      devices: 2,
    });
    expect(await handoffs()).toBe(2);
    // carol is online: she gets it live, no hand-off entry.
    expect(await send('d2', { now, recipient: carol })).toEqual({ kind: 'ok', seq: 2 });
    expect(await handoffs()).toBe(2);
    // No presence at all (groups, a Redis Cluster): always handed off, nothing counted.
    expect(await send('d3', undefined)).toEqual({ kind: 'ok', seq: 3 });
    expect(await send('d4', { now, sender: 'pt:user:nobody' })).toEqual({
      kind: 'ok',
      seq: 4,
      devices: 0,
    });
    expect(await handoffs()).toBe(4);
  });

  it('answers UNAVAILABLE when Redis cannot', async () => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
    clients.push(redis);
    const state = createSendState({ redis, prefix: freshPrefix() });
    redis.disconnect();
    const err = await refusal(state.allocate(request({ clientMsgId: 'u' })));
    expect(err.code).toBe('UNAVAILABLE');
  });
});
