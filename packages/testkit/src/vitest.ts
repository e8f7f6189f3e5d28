import { afterAll, beforeAll } from 'vitest';
import { startRedisAndMongo, type RedisAndMongo } from './redis-and-mongo.js';
import {
  startRedisClusterWithClient,
  type RedisClusterWithClient,
} from './redis-cluster-client.js';

/*
 * Fixtures that live as long as a test file (or a describe block). A separate entry,
 * `@chat/testkit/vitest`, because the main entry also serves the local runner and the bench,
 * which run outside vitest.
 */

/**
 * Starts a fixture before the first test of the calling file (or describe block), closes it
 * after the last (also when a test failed), and returns a stand-in for it at once: a file says
 * `const cluster = useFixture(…)` instead of a `let` and two hooks, and its helpers can close
 * over the stand-in at module level. The stand-in forwards reads, writes and calls to the
 * fixture once it has started; using it earlier (at module level, outside tests and hooks)
 * throws, naming `what`.
 */
export function useFixture<T extends object>(
  what: string,
  start: () => Promise<T>,
  close: (fixture: T) => Promise<void>,
): T {
  let fixture: T | undefined;
  // The project's hookTimeout bounds the start (vitest.config.ts: 120 s for integration files).
  beforeAll(async () => {
    fixture = await start();
  });
  afterAll(async () => {
    if (fixture) await close(fixture);
  });
  return standIn(what, () => fixture);
}

/**
 * An object that forwards reads, writes and calls to what `current()` returns, throwing
 * (naming `what`) while that is undefined: the stand-in useFixture returns, and a way to hand
 * out parts of a fixture at module level (`standIn('the receiver', () => harness.receiver)`).
 */
export function standIn<T extends object>(what: string, current: () => T | undefined): T {
  const started = (): T => {
    const target = current();
    if (!target) throw new Error(`${what} is used before its beforeAll started it`);
    return target;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const target = started();
      const value: unknown = Reflect.get(target, key, target);
      // Bound, so a method read off the stand-in (`const { register } = cluster`) keeps its `this`.
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
    set: (_, key, value) => Reflect.set(started(), key, value),
    has: (_, key) => Reflect.has(started(), key),
  });
}

/** A real Redis Cluster and a production-configured client, for the calling test file. */
export function useRedisClusterWithClient(): RedisClusterWithClient {
  return useFixture('the Redis Cluster', startRedisClusterWithClient, (env) => env.stop());
}

/** A real redis-server and a Mongo, for the calling test file. */
export function useRedisAndMongo(): RedisAndMongo {
  return useFixture('redis-server and Mongo', startRedisAndMongo, (servers) => servers.stop());
}
