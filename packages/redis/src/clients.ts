import { readFileSync } from 'node:fs';
import type { Logger } from '@chat/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config.js';
import { logUnawaitedPublishes } from './publish-guard.js';

/** A connection to the cluster's Redis: one server or a Redis Cluster (same command API). */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for; each role has its own retry and timeout rules.
 * - `commands`, `pub`: a stalled Redis turns into UNAVAILABLE within seconds.
 * - `sub`: the adapter's subscriber; retries forever and replays its subscriptions.
 * - `blocking`: BullMQ workers and the hand-off reader (blocking reads need
 *   `maxRetriesPerRequest: null`, as BullMQ requires).
 */
export type RedisRole = 'commands' | 'pub' | 'sub' | 'blocking';

export interface CreateRedisClientOptions {
  role: RedisRole;
  /** CLIENT SETNAME, and the name in logs. */
  name: string;
  logger?: Logger;
  /**
   * The subscriber of the sharded adapter: one SSUBSCRIBE connection per master (ioredis
   * `shardedSubscribers`). Only for role `sub` on a cluster.
   */
  sharded?: boolean;
}

/** @default 5000: a stalled Redis must become UNAVAILABLE quickly, not a hung request. */
const COMMAND_TIMEOUT_MS = 5000;
const retryStrategy = (attempt: number): number => Math.min(attempt * 200, 2000);

function roleOptions(role: RedisRole): RedisOptions {
  switch (role) {
    case 'commands':
    case 'pub':
      return { commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 2, retryStrategy };
    case 'sub':
      // No ready check: ioredis writes (S|P)SUBSCRIBE as soon as the socket connects (Redis
      // allows them while loading), before its ready check's INFO. Once a subscription reply
      // is in, that INFO is refused ("Connection in subscriber mode"), the check fails, the
      // connection is dropped, and on the next one the subscriptions were not always restored:
      // the node was deaf to its namespace channel (redis/ioredis#2037, fixed in ioredis 6;
      // this is 5.11). A subscriber needs no loading check.
      return { retryStrategy, enableReadyCheck: false };
    case 'blocking':
      return { maxRetriesPerRequest: null, retryStrategy };
  }
}

function tlsOptions(config: RedisConfig): RedisOptions['tls'] {
  if (!config.tls) return undefined;
  return {
    rejectUnauthorized: config.tls.rejectUnauthorized,
    ...(config.tls.caFile ? { ca: readFileSync(config.tls.caFile) } : {}),
  };
}

/** Logs a lost and a restored connection once per change, not per failed command. */
function logStateChanges(client: RedisClient, logger: Logger | undefined, name: string): void {
  let down = false;
  client.on('error', (err: unknown) => {
    if (!down) logger?.warn({ err, redis: name }, 'redis connection lost');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger?.info({ redis: name }, 'redis connection restored');
    down = false;
  });
}

/**
 * One connection for `role`. On a cluster, ioredis follows MOVED/ASK redirections, refreshes
 * the slot map after a failover and retries the commands that hit a dead master
 * (`retryDelayOnFailover`), so callers see a failover as a short delay.
 */
export function createRedisClient(
  config: RedisConfig,
  options: CreateRedisClientOptions,
): RedisClient {
  const base: RedisOptions = {
    ...roleOptions(options.role),
    connectionName: options.name,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
  };
  const tls = tlsOptions(config);
  let client: RedisClient;
  if (config.topology.kind === 'single') {
    client = new Redis(config.topology.url, { ...base, ...(tls ? { tls } : {}) });
  } else {
    const { retryStrategy: _perNode, ...redisOptions } = base;
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...redisOptions, ...(tls ? { tls } : {}) },
      clusterRetryStrategy: retryStrategy,
      // A failover takes a few seconds (cluster-node-timeout + election): commands wait and
      // retry on the new master instead of failing at once.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 100,
      retryDelayOnMoved: 0,
      maxRedirections: 32,
      slotsRefreshTimeout: 2000,
      scaleReads: 'master',
      ...(options.sharded ? { shardedSubscribers: true } : {}),
    };
    client = new Cluster(config.topology.nodes, clusterOptions);
  }
  logStateChanges(client, options.logger, options.name);
  // Any connection may be handed to an adapter or emitter (the worker's emitter uses its
  // command connection).
  logUnawaitedPublishes(client, options.logger, options.name);
  return client;
}

/** True for an ioredis Cluster client (pipelines and multi-key commands then need one slot). */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The Redis server's major version (INFO server; on a cluster, any master's). */
export async function redisMajorVersion(client: RedisClient): Promise<number> {
  const node = isCluster(client) ? (client.nodes('master')[0] ?? client) : client;
  const info = await node.info('server');
  const match = /redis_version:(\d+)/.exec(info);
  return match ? Number(match[1]) : 0;
}
