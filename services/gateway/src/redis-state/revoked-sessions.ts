import type { RedisClient } from '@chat/redis';
import { createGatewayKeys } from './keys.js';

/**
 * Access tokens are JWTs checked without a database, so a revoked session's access token would
 * keep working until it expires (default 1 h). Revocation therefore leaves a mark in Redis that
 * lives as long as any access token of the session can: every node refuses such a token at the
 * socket handshake and on `auth:renew` (always asked: a reconnect must not slip back in), and on
 * HTTP requests (answers cached for CACHE_MS per node, so a busy API costs one GET per session
 * per second, not one per request).
 */
export interface RevokedSessions {
  mark(sessionIds: readonly string[]): Promise<void>;
  /** `fresh`: skip the node's cache. */
  isRevoked(sessionId: string, options?: { fresh?: boolean }): Promise<boolean>;
}

/** @default 1000 — what an HTTP request of a just revoked device may still get through in. */
const CACHE_MS = 1000;
const CACHE_MAX = 50_000;

export function createRevokedSessions(options: {
  redis: RedisClient;
  prefix: string;
  /** The access-token lifetime plus clock tolerance: after it no token of the session verifies. */
  markTtlSeconds: number;
  clock?: () => number;
}): RevokedSessions {
  const { redis, prefix, markTtlSeconds, clock = Date.now } = options;
  const keys = createGatewayKeys(prefix);
  const cache = new Map<string, { revoked: boolean; until: number }>();

  return {
    async mark(sessionIds) {
      if (sessionIds.length === 0) return;
      // One SET per key, not a pipeline: the keys sit in different slots of a Redis Cluster,
      // and a failed SET must reject (pipeline.exec() resolves with per-command errors).
      await Promise.all(
        sessionIds.map((id) => redis.set(keys.revokedSession(id), '1', 'EX', markTtlSeconds)),
      );
      for (const id of sessionIds)
        cache.set(id, { revoked: true, until: Number.POSITIVE_INFINITY });
    },

    async isRevoked(sessionId, { fresh = false } = {}) {
      const hit = cache.get(sessionId);
      if (hit?.revoked) return true;
      if (!fresh && hit && hit.until > clock()) return false;
      const revoked = (await redis.exists(keys.revokedSession(sessionId))) === 1;
      if (cache.size >= CACHE_MAX) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(sessionId, {
        revoked,
        until: revoked ? Number.POSITIVE_INFINITY : clock() + CACHE_MS,
      });
      return revoked;
    },
  };
}
