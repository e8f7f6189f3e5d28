import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Adapter } from 'socket.io-adapter';
import type { RedisTopology, AdapterChoice } from './config.js';
import { redisMajorVersion, type RedisClient } from './clients.js';

export type AdapterKind = 'classic' | 'sharded';

/** What Socket.IO's `adapter` option takes (the adapter libraries leave the namespace untyped). */
export type AdapterFactory = (nsp: Parameters<ReturnType<typeof createAdapter>>[0]) => Adapter;

/**
 * `auto` → sharded on a cluster and on a Redis ≥ 7 (SPUBLISH/SSUBSCRIBE exist), else classic.
 * Every node and the worker must end up with the same kind: a classic publisher is not heard
 * by sharded subscribers. Nodes of one deployment share the Redis, so `auto` agrees with itself.
 */
export async function resolveAdapterKind(
  choice: AdapterChoice,
  topology: RedisTopology,
  client: RedisClient,
): Promise<AdapterKind> {
  if (choice !== 'auto') return choice;
  if (topology.kind === 'cluster') return 'sharded';
  return (await redisMajorVersion(client)) >= 7 ? 'sharded' : 'classic';
}

/**
 * The Socket.IO adapter factory. Both use the library's default channel prefix
 * ("socket.io"), which the worker's emitter shares.
 * - classic: every node receives every broadcast (egress = nodes × messages).
 * - sharded: a channel per room (`subscriptionMode: 'dynamic'`): a broadcast to ONE room
 *   reaches only the nodes with a socket in it; a broadcast to several rooms and the
 *   cluster-wide requests (socketsJoin, fetchSockets…) use the namespace channel.
 */
export function createAdapterFactory(
  kind: AdapterKind,
  pub: RedisClient,
  sub: RedisClient,
): AdapterFactory {
  return kind === 'sharded'
    ? createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic' })
    : createAdapter(pub, sub);
}
