import { createTokenService, type TokenService } from '@chat/auth';
import type { Logger } from '@chat/core';
import { createOfflineDeliveryProducer, type OfflineDeliveryProducer } from '@chat/jobs';
import { connectMongo, type MongoStore } from '@chat/store';
import { Redis } from 'ioredis';
import type { GatewayConfig } from './config.js';

/** Everything a gateway node talks to, created once in main.ts (or by a test). */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  store: MongoStore;
  /** Commands (presence, rate limits, queues). */
  redis: Redis;
  /** The Socket.IO adapter's publisher and subscriber. */
  pub: Redis;
  sub: Redis;
  tokens: TokenService;
  /** Offline-delivery jobs (BullMQ) on the command client. */
  offlineDelivery: OfflineDeliveryProducer;
  close(): Promise<void>;
}

export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    // A stalled Redis must turn into UNAVAILABLE quickly, not a hung request.
    commandTimeout: 5000,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.warn({ err, redis: name }, 'redis connection lost');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: name }, 'redis connection restored');
    down = false;
  });
  return redis;
}

export async function createDeps(config: GatewayConfig, logger: Logger): Promise<GatewayDeps> {
  const store = await connectMongo({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    writeBehindMs: config.writeBehindMs,
    logger,
  });
  await store.ensureIndexes();
  const redis = createRedis(config.redis.url, logger, `${config.nodeId}:cmd`);
  const pub = createRedis(config.redis.url, logger, `${config.nodeId}:pub`);
  // The subscriber must keep retrying forever and replay its subscriptions (ioredis does).
  const sub = pub.duplicate({
    connectionName: `${config.nodeId}:sub`,
    commandTimeout: undefined,
  });
  sub.on('error', () => undefined);
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
async function settleSubscriber(sub: Redis): Promise<void> {
  if (sub.status !== 'ready') return;
  await Promise.allSettled([sub.unsubscribe(), sub.punsubscribe()]);
}
