import { ADAPTER_CHANNEL } from '@chat/protocol';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Adapter } from 'socket.io-adapter';
import type { AdapterChoice } from './config.js';
import { dedupeClassicNewMessages, dedupeNewMessages } from './broadcast-dedupe.js';
import { redisMajorVersion, type RedisClient } from './clients.js';

export type AdapterKind = 'classic' | 'sharded';

/**
 * What Socket.IO's `adapter` option takes (the adapter libraries leave the namespace untyped).
 * Socket.IO calls it with `new`: a factory must be a function, not an arrow.
 */
export type AdapterFactory = (nsp: Parameters<ReturnType<typeof createAdapter>>[0]) => Adapter;

/**
 * `auto` → sharded where Redis ≥ 7 (SPUBLISH/SSUBSCRIBE), else classic. The sharded adapter
 * carries a remote `socketsJoin`/`socketsLeave` and a room broadcast on different channels,
 * which Redis does not order; the gateways make every membership change a request each node
 * answers once it holds (membership-sync.ts), so the order holds on it too.
 * Every node and the worker must end up with the same kind: a classic publisher is not heard
 * by sharded subscribers. They do: each resolves it from the same Redis.
 */
export async function resolveAdapterKind(
  choice: AdapterChoice,
  client: RedisClient,
): Promise<AdapterKind> {
  if (choice === 'classic') return 'classic';
  if ((await redisMajorVersion(client)) >= 7) return 'sharded';
  // Refuse at start rather than at the first emit.
  if (choice === 'sharded') throw new Error('REDIS_ADAPTER=sharded needs Redis 7 or newer');
  return 'classic';
}

/**
 * The Socket.IO adapter factory. Both publish on ADAPTER_CHANNEL, which the worker's emitter
 * shares.
 * - classic: every node receives every broadcast (egress = nodes × messages).
 * - sharded: a channel per room (`subscriptionMode: 'dynamic'`): a broadcast to ONE room
 *   reaches only the nodes with a socket in it; a broadcast to several rooms and the
 *   cluster-wide requests (socketsJoin, fetchSockets…) use the namespace channel.
 * With both, a repeated `message:new` (a publish ioredis resent across a failover) is dropped
 * on arrival (broadcast-dedupe.ts).
 */
export function createAdapterFactory(
  kind: AdapterKind,
  pub: RedisClient,
  sub: RedisClient,
): AdapterFactory {
  if (kind === 'classic') {
    const classic = createAdapter(pub, sub, { key: ADAPTER_CHANNEL });
    return function dedupedClassic(nsp) {
      return dedupeClassicNewMessages(classic(nsp));
    };
  }
  const sharded = createShardedAdapter(pub, sub, {
    subscriptionMode: 'dynamic',
    channelPrefix: ADAPTER_CHANNEL,
  });
  return function dedupedSharded(nsp) {
    return dedupeNewMessages(sharded(nsp));
  };
}
