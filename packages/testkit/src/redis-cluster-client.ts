import { createEnvReader } from '@chat/core';
import { createRedisClient, readRedisConfig, type RedisClient } from '@chat/redis';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

export interface RedisClusterWithClient {
  cluster: RedisCluster;
  /** A command client made the way the services make theirs (@chat/redis, REDIS_CLUSTER_NODES). */
  redis: RedisClient;
  stop(): Promise<void>;
}

/** A real Redis Cluster and a production-configured client for it (package tests on a cluster). */
export async function startRedisClusterWithClient(): Promise<RedisClusterWithClient> {
  const cluster = await startRedisCluster();
  const config = readRedisConfig(createEnvReader({ REDIS_CLUSTER_NODES: cluster.nodesEnv }));
  const redis = createRedisClient(config, { role: 'commands', name: 'cluster-test' });
  return {
    cluster,
    redis,
    async stop() {
      await redis.quit().catch(() => undefined);
      await cluster.stop();
    },
  };
}
