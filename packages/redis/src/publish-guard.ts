import type { Logger } from '@chat/core';
import type { RedisClient } from './clients.js';

type Publish = (...args: unknown[]) => Promise<unknown>;

/**
 * The classic Socket.IO adapter and the redis-emitter publish without awaiting
 * (`this.pubClient.publish(channel, msg)`), so a PUBLISH that fails — a failover that outlasts
 * the cluster retries, or a command still queued when the client quits ("Cluster is ended") —
 * would be an unhandled rejection, which ends a Node process. Each publish promise gets a
 * handler that logs the failure; callers that await it still see the error. A broadcast lost
 * that way is what the clients' `sync` after a reconnect recovers.
 */
export function logUnawaitedPublishes(
  client: RedisClient,
  logger: Logger | undefined,
  name: string,
): void {
  for (const command of ['publish', 'spublish'] as const) {
    // The overloads of ioredis' command methods do not survive wrapping; the call is forwarded as is.
    const target = client as unknown as Record<string, Publish>;
    const original = target[command]!.bind(client);
    target[command] = (...args: unknown[]) => {
      const sent = original(...args);
      sent.catch((err: unknown) =>
        logger?.warn({ err, redis: name, command }, 'redis publish failed'),
      );
      return sent;
    };
  }
}
