import { startMongo, type MongoFixture } from './mongo.js';
import { startRedis, type RedisServer } from './redis.js';

/** The two data servers most integration suites share: one redis-server and one Mongo. */
export interface RedisAndMongo {
  redis: RedisServer;
  mongo: MongoFixture;
  /** Closes Mongo, then stops Redis; idempotent as both are. */
  stop(): Promise<void>;
}

/** A real redis-server and a Mongo (a fresh database, see startMongo). */
export async function startRedisAndMongo(): Promise<RedisAndMongo> {
  const redis = await startRedis();
  let mongo: MongoFixture;
  try {
    mongo = await startMongo();
  } catch (err) {
    // The Redis that did start must not outlive the failure.
    await redis.stop();
    throw err;
  }
  return {
    redis,
    mongo,
    async stop() {
      await mongo.close();
      await redis.stop();
    },
  };
}
