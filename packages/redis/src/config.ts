import type { EnvReader } from '@chat/core';

/** Where the cluster's Redis is: one server, or a Redis Cluster (docs/PROTOCOL.md#section-6). */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }> };

/**
 * Socket.IO adapter: `classic` (PUBLISH/PSUBSCRIBE, every node gets every broadcast) or
 * `sharded` (SPUBLISH/SSUBSCRIBE on a channel per room, Redis ≥ 7). `auto` picks sharded
 * when the server is Redis ≥ 7 (always on a cluster).
 */
export type AdapterChoice = 'classic' | 'sharded' | 'auto';

export interface RedisConfig {
  topology: RedisTopology;
  adapter: AdapterChoice;
  /**
   * TLS to Redis. A single Redis takes it from a `rediss://` URL; cluster nodes from
   * REDIS_TLS. `caFile`: a PEM bundle to trust instead of the system's.
   */
  tls?: { caFile?: string; rejectUnauthorized: boolean };
  /** ACL user/password for the cluster nodes (a single Redis takes them from its URL). */
  username?: string;
  password?: string;
}

const HOST_PORT = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/;

/** Parses `host:port,host:port,…`; undefined entries are reported to the reader. */
export function parseClusterNodes(
  raw: readonly string[],
  report: (message: string) => void,
): Array<{ host: string; port: number }> {
  const nodes: Array<{ host: string; port: number }> = [];
  for (const entry of raw) {
    const match = HOST_PORT.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) {
      report(`"${entry}" is not host:port`);
      continue;
    }
    nodes.push({ host: match[1], port });
  }
  return nodes;
}

/**
 * Reads REDIS_URL / REDIS_CLUSTER_NODES / REDIS_ADAPTER / REDIS_TLS* / REDIS_USERNAME /
 * REDIS_PASSWORD. REDIS_CLUSTER_NODES wins over REDIS_URL: every Redis user of the
 * process then talks to the cluster.
 */
export function readRedisConfig(r: EnvReader, options: { defaultUrl?: string } = {}): RedisConfig {
  const clusterNodes = r.list('REDIS_CLUSTER_NODES', { optional: true });
  let topology: RedisTopology;
  if (clusterNodes && clusterNodes.length > 0) {
    const nodes = parseClusterNodes(clusterNodes, (m) => r.problem('REDIS_CLUSTER_NODES', m));
    topology = { kind: 'cluster', nodes };
  } else {
    const url =
      options.defaultUrl === undefined
        ? r.url('REDIS_URL', { protocols: ['redis:', 'rediss:'] })
        : r.url('REDIS_URL', { default: options.defaultUrl, protocols: ['redis:', 'rediss:'] });
    topology = { kind: 'single', url };
  }
  const adapter = r.oneOf('REDIS_ADAPTER', ['classic', 'sharded', 'auto'], { default: 'auto' });
  const tlsOn = r.bool('REDIS_TLS', { default: false });
  const caFile = r.str('REDIS_TLS_CA_FILE', { optional: true });
  const rejectUnauthorized = r.bool('REDIS_TLS_VERIFY', { default: true });
  const username = r.str('REDIS_USERNAME', { optional: true });
  const password = r.str('REDIS_PASSWORD', { optional: true });
  const tls =
    tlsOn || caFile !== undefined
      ? { rejectUnauthorized, ...(caFile !== undefined ? { caFile } : {}) }
      : undefined;
  return {
    topology,
    adapter,
    ...(tls ? { tls } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** The variables gateway and worker must agree on, as one env map (runner, tests). */
export function redisEnvOf(topology: RedisTopology): Record<string, string> {
  return topology.kind === 'single'
    ? { REDIS_URL: topology.url }
    : { REDIS_CLUSTER_NODES: topology.nodes.map((n) => `${n.host}:${n.port}`).join(',') };
}

/**
 * BullMQ's keys of one queue must share a slot on a Redis Cluster; BullMQ documents a hash
 * tag in the prefix for that. The default on a cluster.
 */
export const CLUSTER_QUEUE_PREFIX = '{bull}';

/**
 * QUEUE_PREFIX (the same on gateway and worker). On a cluster it defaults to
 * {@link CLUSTER_QUEUE_PREFIX} and must contain a `{hash tag}`; on one Redis it stays as set
 * (undefined = the jobs package's default, `bull`, so existing queues keep their keys).
 */
export function readQueuePrefix(r: EnvReader, topology: RedisTopology): string | undefined {
  const prefix = r.str('QUEUE_PREFIX', { optional: true });
  if (topology.kind === 'single') return prefix;
  if (prefix === undefined) return CLUSTER_QUEUE_PREFIX;
  if (!/\{[^}]+\}/.test(prefix))
    r.problem('QUEUE_PREFIX', 'needs a {hash tag} on a Redis Cluster, e.g. {bull}');
  return prefix;
}
