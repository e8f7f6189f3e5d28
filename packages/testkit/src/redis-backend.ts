import { startRedis, type RedisServer } from './redis.js';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

export type RedisKind = 'single' | 'cluster';

/** One Redis or a Redis Cluster, for suites that run on both. */
export type RedisBackend =
  | { kind: 'single'; server: RedisServer; env: Record<string, string>; stop(): Promise<void> }
  | { kind: 'cluster'; cluster: RedisCluster; env: Record<string, string>; stop(): Promise<void> };

/**
 * Starts the kind of Redis a suite asked for. `env` is what gateway and worker read
 * (REDIS_URL, or REDIS_CLUSTER_NODES), so a suite passes it on and stays the same for both.
 */
export async function startRedisBackend(kind: RedisKind): Promise<RedisBackend> {
  if (kind === 'single') {
    const server = await startRedis();
    return { kind, server, env: { REDIS_URL: server.url }, stop: () => server.stop() };
  }
  const cluster = await startRedisCluster();
  return {
    kind,
    cluster,
    env: { REDIS_CLUSTER_NODES: cluster.nodesEnv },
    stop: () => cluster.stop(),
  };
}
