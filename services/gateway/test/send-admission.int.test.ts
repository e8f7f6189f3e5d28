import { AppError } from '@chat/core';
import { startRedis, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendAdmission, SEND_CLAIM_TTL_MS } from '../src/domain/send-admission.js';

let server: RedisServer;
const clients: Redis[] = [];
let prefixes = 0;

/** One "node": its own connection to the shared Redis. */
function node(prefix: string, perWindow = 100, windowMs = 60_000) {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return createSendAdmission({ redis, keyPrefix: prefix, perWindow, windowMs });
}

const freshPrefix = () => `t${++prefixes}:`;

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

describe('send admission: message budget + idempotency claim in one command', () => {
  it('is first once per (sender, clientMsgId), on any node, for the claim TTL', async () => {
    const prefix = freshPrefix();
    const [a, b] = [node(prefix), node(prefix)];
    expect(await a.admit('alice', 'm-1')).toEqual({ first: true });
    expect(await a.admit('alice', 'm-1')).toEqual({ first: false });
    expect(await b.admit('alice', 'm-1')).toEqual({ first: false });
    expect(await b.admit('bob', 'm-1')).toEqual({ first: true });
    expect(await a.admit('alice', 'm-2')).toEqual({ first: true });
    const ttl = await clients[0]!.pttl(`${prefix}sent:alice:m-1`);
    expect(ttl).toBeGreaterThan(SEND_CLAIM_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(SEND_CLAIM_TTL_MS);
  });

  it('concurrent claims of one send on four nodes: exactly one is first', async () => {
    const prefix = freshPrefix();
    const nodes = Array.from({ length: 4 }, () => node(prefix));
    const results = await Promise.all(nodes.map((n) => n.admit('carol', 'x')));
    expect(results.filter((r) => r.first)).toHaveLength(1);
  });

  it('one budget per user across nodes; refused sends claim nothing and say when to retry', async () => {
    const prefix = freshPrefix();
    const nodes = [node(prefix, 5, 30_000), node(prefix, 5, 30_000)];
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        nodes[i % 2]!.admit('dave', `d${i}`).then(
          () => 'ok',
          (err: unknown) => err,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    const refused = outcomes.filter((o): o is AppError => o instanceof AppError);
    expect(refused).toHaveLength(3);
    for (const err of refused) {
      expect(err.code).toBe('RATE_LIMITED');
      const retryAfterMs = (err.details as { retryAfterMs: number }).retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(25_000);
      expect(retryAfterMs).toBeLessThanOrEqual(30_000);
    }
    const claimed = await clients[0]!.keys(`${prefix}sent:dave:*`);
    expect(claimed).toHaveLength(5);
    // Another user's budget is untouched.
    expect(await nodes[0]!.admit('erin', 'e1')).toEqual({ first: true });
  });

  it('the budget window ends: a refused user is admitted again afterwards', async () => {
    const prefix = freshPrefix();
    const n = node(prefix, 1, 200);
    await n.admit('frank', 'f1');
    expect((await refusal(n.admit('frank', 'f2'))).code).toBe('RATE_LIMITED');
    // Wait for the window to end by polling the counter's TTL in Redis, not by sleeping blind.
    const redis = clients[clients.length - 1]!;
    for (let i = 0; i < 100 && (await redis.exists(`${prefix}rl:msg:frank`)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await n.admit('frank', 'f2')).toEqual({ first: true });
  });

  it('UNAVAILABLE when Redis cannot answer: never a silent pass', async () => {
    const down = new Redis(server.url.replace(/:\d+$/, ':1'), {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    clients.push(down);
    const admission = createSendAdmission({
      redis: down,
      keyPrefix: 'x:',
      perWindow: 10,
      windowMs: 1000,
    });
    expect((await refusal(admission.admit('gina', 'g'))).code).toBe('UNAVAILABLE');
  });
});
