import { createLogger } from '@chat/core';
import { startRedis, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendClaims, SEND_CLAIM_TTL_MS } from '../src/domain/send-claims.js';

const logger = createLogger({ name: 'send-claims-test', level: 'silent' });
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('send claims (idempotency fast path)', () => {
  it('is first once per (sender, clientMsgId), cluster-wide, for the TTL', async () => {
    const claims = createSendClaims({ redis, keyPrefix: 'chat:', logger });
    // A second node: its own connection to the same Redis.
    const other = new Redis(server.url);
    const onOtherNode = createSendClaims({ redis: other, keyPrefix: 'chat:', logger });
    try {
      expect(await claims.isFirst('alice', 'm-1')).toBe(true);
      expect(await claims.isFirst('alice', 'm-1')).toBe(false);
      expect(await onOtherNode.isFirst('alice', 'm-1')).toBe(false);
      expect(await onOtherNode.isFirst('bob', 'm-1')).toBe(true);
      expect(await claims.isFirst('alice', 'm-2')).toBe(true);
      const ttl = await redis.pttl('chat:sent:alice:m-1');
      expect(ttl).toBeGreaterThan(SEND_CLAIM_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(SEND_CLAIM_TTL_MS);
    } finally {
      other.disconnect();
    }
  });

  it('two nodes claiming the same send at once: exactly one is first', async () => {
    const nodes = Array.from({ length: 4 }, () => new Redis(server.url));
    try {
      const results = await Promise.all(
        nodes.map((r) =>
          createSendClaims({ redis: r, keyPrefix: 'race:', logger }).isFirst('carol', 'x'),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      for (const r of nodes) r.disconnect();
    }
  });

  it('answers "not first" when Redis cannot answer, so the MongoDB lookup runs', async () => {
    const down = new Redis(server.url.replace(/:\d+$/, ':1'), {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    try {
      expect(
        await createSendClaims({ redis: down, keyPrefix: 'chat:', logger }).isFirst('dave', 'y'),
      ).toBe(false);
    } finally {
      down.disconnect();
    }
  });
});
