import { LIMITS } from '@chat/protocol';
import { pipelineResults as results, runBySlot, type RedisClient } from '@chat/redis';
import { createPresenceKeys, DEFAULT_PRESENCE_PREFIX, type PresenceKeys } from './keys.js';
import {
  defineCommands,
  type PresenceCommands,
  type PresencePipeline,
  type ScriptArg,
} from './commands.js';
import { sweepExpired } from './sweep.js';

/**
 * Socket.IO's default pingInterval is 25 s: two missed heartbeats plus a 10 s margin
 * for Redis/event-loop latency before a silent connection counts as gone.
 * @default 60_000
 */
export const DEFAULT_PRESENCE_TTL_MS = 60_000;
/** Most ids one `presence:query` may ask about. */
export const MAX_PRESENCE_QUERY = LIMITS.presenceQueryMaxIds;

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

    sweepExpired: (now = clock()) => sweepExpired({ redis, keys, ttlMs, pipeline }, now),

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
