import { pipelineResults as results, runBySlot, type RedisClient } from '@chat/redis';
import type { PresencePipeline } from './commands.js';
import { PRESENCE_BUCKETS, type PresenceKeys } from './keys.js';

/** Candidates handled per sweep round trip, to keep each pipeline bounded. */
const SWEEP_BATCH = 500;

/**
 * Removes every user whose connections all expired and returns them with their lastSeen. Each
 * user goes through the sweep script, which re-checks and removes atomically: with several
 * workers sweeping at once, every user is reported exactly once.
 */
export async function sweepExpired(
  deps: {
    redis: RedisClient;
    keys: PresenceKeys;
    ttlMs: number;
    pipeline: () => PresencePipeline;
  },
  now: number,
): Promise<Array<{ userId: string; lastSeen: Date }>> {
  const { redis, keys, ttlMs, pipeline } = deps;
  const swept: Array<{ userId: string; lastSeen: Date }> = [];
  let buckets = Array.from({ length: PRESENCE_BUCKETS }, (_, b) => b);
  while (buckets.length > 0) {
    // Candidates whose latest known expiry has passed, per bucket index (one pipeline on
    // one Redis, one read per bucket on a cluster); the per-user script re-checks.
    const perBucket = await runBySlot(redis, buckets, keys.index, async (group) => {
      const p = pipeline();
      for (const b of group) p.zrangebyscore(keys.index(b), '-inf', now, 'LIMIT', 0, SWEEP_BATCH);
      return results(await p.exec()) as string[][];
    });
    const candidates = perBucket.flat();
    if (candidates.length === 0) break;
    const values = await runBySlot(redis, candidates, keys.user, async (group) => {
      const p = pipeline();
      for (const userId of group) {
        p.chatPresenceSweepUser(
          keys.user(userId),
          keys.index(keys.bucketOf(userId)),
          keys.lastSeen(userId),
          userId,
          now,
        );
      }
      return results(await p.exec());
    });
    candidates.forEach((userId, i) => {
      const value = values[i];
      if (!Array.isArray(value)) return;
      const [seen, expiry] = value as [string, string];
      // Without a recorded heartbeat time, expiry − TTL is the last refresh.
      const ms = seen === '' ? Number(expiry) - ttlMs : Number(seen);
      swept.push({ userId, lastSeen: new Date(ms) });
    });
    // Only a bucket that filled its batch may hold more.
    buckets = buckets.filter((_, i) => (perBucket[i]?.length ?? 0) >= SWEEP_BATCH);
  }
  return swept;
}
