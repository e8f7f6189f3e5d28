import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

/** Commands served so far, by name, as the servers themselves count them. */
export interface CommandCounts {
  /** MongoDB `serverStatus` → `metrics.commands.<name>.total` (data commands only). */
  mongo: Record<string, number>;
  /**
   * Redis `INFO commandstats` calls by command. Redis also counts the commands a script runs,
   * so a send script of 8 calls shows as `evalsha` plus its 8 (`redisSent` has round trips).
   */
  redis: Record<string, number>;
  /** Commands the chat nodes sent to Redis (a script is one), from their /metrics; ours only. */
  redisSent?: number;
}

/** Handshakes, monitoring and the counters' own reads: not work a message causes. */
const NOT_DATA = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'serverStatus',
  'endSessions',
  'saslStart',
  'saslContinue',
  'getParameter',
  '<UNKNOWN>',
]);
const COUNTER_READS = new Set(['info', 'ping']);

/** `cmdstat_<name>:calls=N,...` lines of INFO commandstats, by name. */
export function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const [, name, calls] = match;
    if (name !== undefined && !COUNTER_READS.has(name)) out[name] = Number(calls);
  }
  return out;
}

/** `chat_redis_commands_total{connection="…"} N` lines of a gateway's /metrics, summed. */
export function parseRedisSent(metrics: string): number {
  let sum = 0;
  for (const match of metrics.matchAll(/^chat_redis_commands_total\{[^}]*\} (\d+(?:\.\d+)?)/gm))
    sum += Number(match[1]);
  return sum;
}

/** `after - before` per name (names that did not move are left out). */
export function diffCounts(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

export const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);

/** Reads the counters of one target's Redis, Mongo (if any) and chat nodes (if they expose them). */
export async function createCommandCounter(options: {
  redisUrl: string;
  mongoUrl?: string;
  nodeUrls?: readonly string[];
}): Promise<{ read(): Promise<CommandCounts>; close(): Promise<void> }> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const mongo = options.mongoUrl ? new MongoClient(options.mongoUrl) : undefined;
  await mongo?.connect();
  return {
    async read() {
      const [info, status, sent] = await Promise.all([
        redis.info('commandstats'),
        mongo?.db('admin').command({ serverStatus: 1 }),
        options.nodeUrls
          ? Promise.all(
              options.nodeUrls.map((url) =>
                fetch(`${url}/metrics`).then(async (res) => parseRedisSent(await res.text())),
              ),
            ).then((counts) => counts.reduce((a, b) => a + b, 0))
          : undefined,
      ]);
      const commands = (status?.metrics as { commands?: Record<string, { total: number }> })
        ?.commands;
      const mongoCounts: Record<string, number> = {};
      for (const [name, c] of Object.entries(commands ?? {}))
        if (!NOT_DATA.has(name)) mongoCounts[name] = Number(c.total);
      return {
        mongo: mongoCounts,
        redis: parseCommandStats(info),
        ...(sent !== undefined ? { redisSent: sent } : {}),
      };
    },
    async close() {
      redis.disconnect();
      await mongo?.close();
    },
  };
}
