import { startRedisCluster } from '@chat/testkit';
import type { Supervisor } from './processes.js';
import { provideRedis, type Endpoint } from './services.js';

export interface RedisBackendEndpoint {
  /** For cluster.json: one Redis, or the first node of a cluster. */
  endpoint: Endpoint;
  /** What every gateway and the worker get: REDIS_URL, or REDIS_CLUSTER_NODES. */
  env: Record<string, string>;
  describe: string;
}

/**
 * The runner's Redis: REDIS_CLUSTER_NODES as given, a local Redis Cluster for
 * `--redis-cluster` (3 masters + 3 replicas on free ports), else one Redis (REDIS_URL or a
 * redis-server it starts).
 */
export async function provideRedisBackend(
  supervisor: Supervisor,
  env: NodeJS.ProcessEnv,
  cluster: boolean,
): Promise<RedisBackendEndpoint> {
  const given = env.REDIS_CLUSTER_NODES?.trim();
  if (given) {
    const first = given.split(',')[0] ?? '';
    return {
      endpoint: { url: `redis://${first}` },
      env: { REDIS_CLUSTER_NODES: given },
      describe: `redis cluster ${given} (REDIS_CLUSTER_NODES)`,
    };
  }
  if (cluster) {
    const redis = await startRedisCluster();
    for (const node of redis.nodes) {
      if (node.process)
        supervisor.adopt(`redis-cluster:${node.port}`, node.process, () => redis.stop());
    }
    const [first] = redis.nodes;
    return {
      endpoint: { url: `redis://127.0.0.1:${first?.port ?? 0}`, pid: first?.pid },
      env: { REDIS_CLUSTER_NODES: redis.nodesEnv },
      describe: `redis cluster ${redis.nodesEnv} (3 masters + 3 replicas)`,
    };
  }
  const redis = await provideRedis(supervisor, env);
  return {
    endpoint: redis,
    env: { REDIS_URL: redis.url },
    describe: `redis ${redis.url}${redis.pid ? ` (pid ${redis.pid})` : ' (REDIS_URL)'}`,
  };
}
