import { createTokenService, type TokenService } from '@chat/auth';
import type { Logger } from '@chat/core';
import { createOfflineDeliveryProducer, type OfflineDeliveryProducer } from '@chat/jobs';
import { connectMongo, type MongoStore } from '@chat/store';
import {
  createRedisClient,
  resolveAdapterKind,
  trackShardedSubscriptions,
  type AdapterKind,
  type RedisClient,
  type RedisRole,
  type SubscriptionTracker,
} from '@chat/redis';
import { Redis } from 'ioredis';
import type { GatewayConfig } from './config.js';

/** Everything a gateway node talks to, created once in main.ts (or by a test). */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  store: MongoStore;
  /** Commands (presence, rate limits, queues): one Redis or a Redis Cluster. */
  redis: RedisClient;
  /** The Socket.IO adapter's publisher and subscriber. */
  pub: RedisClient;
  sub: RedisClient;
  /** Which Socket.IO adapter the node runs (REDIS_ADAPTER, `auto` resolved at start). */
  adapter: AdapterKind;
  /** Sharded adapter: the subscriber's room subscriptions, which joins wait for. */
  subscriptions?: SubscriptionTracker;
  tokens: TokenService;
  /** Offline-delivery jobs (BullMQ) on the command client. */
  offlineDelivery: OfflineDeliveryProducer;
  close(): Promise<void>;
}

export async function createDeps(config: GatewayConfig, logger: Logger): Promise<GatewayDeps> {
  const store = await connectMongo({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    sharded: config.mongo.sharded,
    writeBehindMs: config.writeBehindMs,
    logger,
  });
  await store.ensureIndexes();
  const client = (role: RedisRole, name: string, sharded = false) =>
    createRedisClient(config.redis, { role, name: `${config.nodeId}:${name}`, logger, sharded });
  const redis = client('commands', 'cmd');
  const adapter = await resolveAdapterKind(config.redis.adapter, redis);
  const pub = client('pub', 'pub');
  // The subscriber keeps retrying forever and replays its subscriptions (ioredis does; on a
  // cluster with the sharded adapter, one SSUBSCRIBE connection per master).
  const sub = client('sub', 'sub', adapter === 'sharded');
  const subscriptions =
    adapter === 'sharded' ? trackShardedSubscriptions(sub, { logger }) : undefined;
  const tokens = createTokenService({
    secret: config.auth.jwtSecret,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
    ...(config.auth.external ? { external: config.auth.external } : {}),
  });
  const offlineDelivery = createOfflineDeliveryProducer({
    connection: redis,
    prefix: config.queuePrefix,
  });
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    redis,
    pub,
    sub,
    adapter,
    ...(subscriptions ? { subscriptions } : {}),
    tokens,
    offlineDelivery,
    close() {
      closing ??= (async () => {
        await offlineDelivery.close().catch(() => undefined);
        await settleSubscriber(sub);
        await Promise.allSettled([redis.quit(), pub.quit(), sub.quit()]);
        await store.close();
      })();
      return closing;
    },
  };
}

/**
 * The adapter's close() sends UNSUBSCRIBE/PUNSUBSCRIBE without awaiting them, and ioredis
 * rejects commands still queued when QUIT closes the socket (redis/ioredis#2025): unhandled
 * rejections at every shutdown. Replies come in order, so once our own unsubscribes answer,
 * the adapter's have too.
 */
async function settleSubscriber(sub: RedisClient): Promise<void> {
  // A cluster subscriber spreads its shard channels over one connection per master; the race
  // was seen (and is fixed) on the single-connection subscriber.
  if (!(sub instanceof Redis) || sub.status !== 'ready') return;
  await Promise.allSettled([sub.unsubscribe(), sub.punsubscribe(), sub.sunsubscribe()]);
}
