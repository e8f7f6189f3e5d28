import { LIMITS } from '@chat/protocol';
import { pipelineResults as results, runBySlot, type RedisClient } from '@chat/redis';
import type { ChainableCommander } from 'ioredis';
import {
  createPresenceKeys,
  DEFAULT_PRESENCE_PREFIX,
  PRESENCE_BUCKETS,
  type PresenceKeys,
} from './keys.js';
import {
  CONNECT_LUA,
  DISCONNECT_LUA,
  HEARTBEAT_LUA,
  ONLINE_COUNTS_LUA,
  SWEEP_USER_LUA,
} from './scripts.js';

/**
 * Socket.IO's default pingInterval is 25 s: two missed heartbeats plus a 10 s margin
 * for Redis/event-loop latency before a silent connection counts as gone.
 * @default 60_000
 */
export const DEFAULT_PRESENCE_TTL_MS = 60_000;
/** Most ids one `presence:query` may ask about. */
export const MAX_PRESENCE_QUERY = LIMITS.presenceQueryMaxIds;
/** Candidates handled per sweep round trip, to keep each pipeline bounded. */
const SWEEP_BATCH = 500;

export interface PresenceStoreOptions {
  /** Shared client (one Redis or a cluster); the store never closes it (the owner does). */
  redis: RedisClient;
  /** @default 'presence:' */
  prefix?: string;
  /** How long a connection stays alive without a heartbeat. @default 60_000 */
  ttlMs?: number;
  /** Milliseconds since epoch. Nodes must have NTP-synced clocks; skew eats the TTL margin. @default Date.now */
  clock?: () => number;
}

export interface ConnectionRef {
  userId: string;
  connId: string;
}

export interface ConnectionEntry extends ConnectionRef {
  nodeId: string;
  device?: string;
}

export type Admission =
  { accepted: true; cameOnline: boolean; devices: number } | { accepted: false; devices: number };

export interface UserPresence {
  userId: string;
  online: boolean;
  /** ISO-8601; the last heartbeat/connect/disconnect seen from any device. */
  lastSeen?: string;
  devices: number;
}

export interface PresenceStore {
  readonly keys: PresenceKeys;
  readonly ttlMs: number;
  /** Registers a live connection. `cameOnline` is true when the user had no other live connection. */
  connect(entry: ConnectionEntry): Promise<{ cameOnline: boolean; devices: number }>;
  /**
   * `connect` with a cap, in one atomic step: refused (nothing written) when the user
   * already holds `maxConnections` live connections anywhere in the cluster. One round
   * trip, no cross-node request; concurrent handshakes cannot overshoot the cap.
   */
  admit(entry: ConnectionEntry, maxConnections: number): Promise<Admission>;
  /**
   * Refreshes many connections in one pipeline (call it for all local sockets on each
   * engine.io heartbeat or on a timer shorter than the TTL). Returns the connections
   * Redis no longer knows (swept after a stall, or Redis restarted): re-add them with
   * `reRegister` and broadcast the users that come back online.
   */
  heartbeat(entries: ConnectionRef[]): Promise<{ missing: ConnectionRef[] }>;
  /** Removes a connection. `wentOffline` is true for exactly one caller per offline transition. */
  disconnect(
    ref: ConnectionRef,
  ): Promise<{ wentOffline: boolean; lastSeen: Date; devices: number }>;
  /** One pipeline; at most {@link MAX_PRESENCE_QUERY} distinct ids. Result keeps the input order (deduplicated). */
  query(userIds: string[]): Promise<UserPresence[]>;
  isOnline(userIds: string[]): Promise<Set<string>>;
  /** Live connections of one user anywhere in the cluster (one ZCOUNT). */
  devices(userId: string): Promise<number>;
  /**
   * Users whose last live connection expired without a clean disconnect. Each such user
   * is removed atomically, so among concurrent sweepers exactly one reports it.
   */
  sweepExpired(now?: number): Promise<Array<{ userId: string; lastSeen: Date }>>;
  /** Re-adds live connections (e.g. after Redis came back empty). Returns users that came online by it. */
  reRegister(entries: ConnectionEntry[]): Promise<{ cameOnline: string[] }>;
}

/* The commands registered with defineCommand; ioredis adds them at run time, so the
   static types are declared here. */
type ScriptArg = string | number;
interface PresenceCommands {
  chatPresenceConnect(...args: ScriptArg[]): Promise<[number, number]>;
  chatPresenceHeartbeat(...args: ScriptArg[]): Promise<number>;
  chatPresenceDisconnect(...args: ScriptArg[]): Promise<[number, number]>;
  chatPresenceSweepUser(...args: ScriptArg[]): Promise<[string, string] | null>;
  /** Variable key count: the first argument is the number of keys. */
  chatPresenceOnlineCounts(...args: ScriptArg[]): Promise<number[]>;
}
type PresencePipeline = ChainableCommander & {
  [K in keyof PresenceCommands]: (...args: ScriptArg[]) => PresencePipeline;
};

function defineCommands(redis: RedisClient): void {
  redis.defineCommand('chatPresenceConnect', { numberOfKeys: 4, lua: CONNECT_LUA });
  redis.defineCommand('chatPresenceHeartbeat', { numberOfKeys: 4, lua: HEARTBEAT_LUA });
  redis.defineCommand('chatPresenceDisconnect', { numberOfKeys: 4, lua: DISCONNECT_LUA });
  redis.defineCommand('chatPresenceSweepUser', { numberOfKeys: 3, lua: SWEEP_USER_LUA });
  redis.defineCommand('chatPresenceOnlineCounts', { lua: ONLINE_COUNTS_LUA });
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}

export function createPresenceStore(options: PresenceStoreOptions): PresenceStore {
  const { redis } = options;
  const keys = createPresenceKeys(options.prefix ?? DEFAULT_PRESENCE_PREFIX);
  const ttlMs = options.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
  const clock = options.clock ?? Date.now;
  defineCommands(redis);
  const commands = redis as unknown as RedisClient & PresenceCommands;
  const pipeline = (): PresencePipeline => redis.pipeline() as PresencePipeline;

  /** KEYS of the connect, heartbeat and disconnect scripts: one user's, in its bucket's slot. */
  const connectionKeys = (userId: string, connId: string): string[] => [
    keys.user(userId),
    keys.index(keys.bucketOf(userId)),
    keys.conn(userId, connId),
    keys.lastSeen(userId),
  ];
  const connectArgs = (e: ConnectionEntry, now: number, maxConnections = 0): ScriptArg[] => [
    ...connectionKeys(e.userId, e.connId),
    e.connId,
    e.userId,
    now,
    now + ttlMs,
    ttlMs,
    JSON.stringify({ userId: e.userId, nodeId: e.nodeId, device: e.device, since: now }),
    maxConnections,
  ];

  /** One pipeline of per-connection commands (one per slot of users on a cluster), replies in order. */
  function pipelinedPerUser<E extends ConnectionRef>(
    entries: readonly E[],
    add: (p: PresencePipeline, entry: E) => void,
  ): Promise<unknown[]> {
    return runBySlot(
      redis,
      entries,
      (e) => keys.user(e.userId),
      async (group) => {
        const p = pipeline();
        for (const e of group) add(p, e);
        return results(await p.exec());
      },
    );
  }

  async function presenceOf(userIds: string[]): Promise<UserPresence[]> {
    const ids = uniq(userIds);
    if (ids.length > MAX_PRESENCE_QUERY) {
      throw new RangeError(
        `presence query takes at most ${MAX_PRESENCE_QUERY} user ids (got ${ids.length})`,
      );
    }
    if (ids.length === 0) return [];
    const now = clock();
    return runBySlot(redis, ids, keys.user, async (group) => {
      const p = pipeline();
      for (const id of group) {
        p.zcount(keys.user(id), `(${now}`, '+inf');
        p.get(keys.lastSeen(id));
      }
      const values = results(await p.exec());
      return group.map((userId, i) => {
        const devices = Number(values[2 * i]);
        const seen = values[2 * i + 1];
        const presence: UserPresence = { userId, online: devices > 0, devices };
        if (typeof seen === 'string') presence.lastSeen = new Date(Number(seen)).toISOString();
        return presence;
      });
    });
  }

  return {
    keys,
    ttlMs,

    async connect(entry) {
      const [came, devices] = await commands.chatPresenceConnect(...connectArgs(entry, clock()));
      return { cameOnline: came === 1, devices };
    },

    async admit(entry, maxConnections) {
      if (!Number.isInteger(maxConnections) || maxConnections < 1)
        throw new RangeError(`maxConnections must be a positive integer (got ${maxConnections})`);
      const [came, devices] = await commands.chatPresenceConnect(
        ...connectArgs(entry, clock(), maxConnections),
      );
      if (came === -1) return { accepted: false, devices };
      return { accepted: true, cameOnline: came === 1, devices };
    },

    async heartbeat(entries) {
      if (entries.length === 0) return { missing: [] };
      const now = clock();
      const values = await pipelinedPerUser(entries, (p, e) =>
        p.chatPresenceHeartbeat(
          ...connectionKeys(e.userId, e.connId),
          e.connId,
          e.userId,
          now,
          now + ttlMs,
          ttlMs,
        ),
      );
      return { missing: entries.filter((_, i) => values[i] !== 1) };
    },

    async disconnect({ userId, connId }) {
      const now = clock();
      const [went, devices] = await commands.chatPresenceDisconnect(
        ...connectionKeys(userId, connId),
        connId,
        userId,
        now,
      );
      return { wentOffline: went === 1, lastSeen: new Date(now), devices };
    },

    query: presenceOf,

    devices: (userId) => redis.zcount(keys.user(userId), `(${clock()}`, '+inf'),

    async isOnline(userIds) {
      const ids = uniq(userIds);
      if (ids.length === 0) return new Set();
      const now = clock();
      const [only] = ids;
      if (ids.length === 1 && only !== undefined) {
        const live = await redis.zcount(keys.user(only), `(${now}`, '+inf');
        return new Set(live > 0 ? ids : []);
      }
      // One script on one Redis; one per slot of users on a cluster.
      const counts = await runBySlot(redis, ids, keys.user, (group) =>
        commands.chatPresenceOnlineCounts(group.length, ...group.map(keys.user), now),
      );
      return new Set(ids.filter((_, i) => Number(counts[i]) > 0));
    },

    async sweepExpired(now = clock()) {
      const swept: Array<{ userId: string; lastSeen: Date }> = [];
      let buckets = Array.from({ length: PRESENCE_BUCKETS }, (_, b) => b);
      while (buckets.length > 0) {
        // Candidates whose latest known expiry has passed, per bucket index (one pipeline on
        // one Redis, one read per bucket on a cluster); the per-user script re-checks.
        const perBucket = await runBySlot(redis, buckets, keys.index, async (group) => {
          const p = pipeline();
          for (const b of group)
            p.zrangebyscore(keys.index(b), '-inf', now, 'LIMIT', 0, SWEEP_BATCH);
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
    },

    async reRegister(entries) {
      if (entries.length === 0) return { cameOnline: [] };
      const now = clock();
      const values = await pipelinedPerUser(entries, (p, e) =>
        p.chatPresenceConnect(...connectArgs(e, now)),
      );
      const came = entries
        .filter((_, i) => (values[i] as [number, number])[0] === 1)
        .map((e) => e.userId);
      return { cameOnline: uniq(came) };
    },
  };
}
