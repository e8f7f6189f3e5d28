import { conversationKeyBase, hashTag } from '@chat/redis';

/**
 * Every Redis key the presence store touches is built here, so a test (or a second
 * cluster sharing one Redis) isolates itself by choosing another prefix.
 *
 * Users are spread over {@link PRESENCE_BUCKETS} buckets; all keys of one user and the
 * online index of that user's bucket carry the bucket's hash tag `{p:<n>}`, so each presence
 * script touches one Redis Cluster slot. 64 buckets spread the index over every master of
 * any cluster up to 64 shards while a sweep stays 64 small reads.
 */
export interface PresenceKeys {
  /** 0 … PRESENCE_BUCKETS-1: the bucket of a user's keys. */
  bucketOf(userId: string): number;
  /** String with a TTL: one live connection, value = JSON {@link ConnectionInfo}. */
  conn(userId: string, connId: string): string;
  /** Sorted set connId → expiry (ms since epoch) of one user's connections. */
  user(userId: string): string;
  /** Sorted set userId → latest expiry of that user's connections ("may be online"), per bucket. */
  index(bucket: number): string;
  /** String: last time (ms since epoch) any device of the user was seen alive. */
  lastSeen(userId: string): string;
}

/** @default 'presence:' */
export const DEFAULT_PRESENCE_PREFIX = 'presence:';
/** Buckets of users (and hash tags) of the presence keys. */
export const PRESENCE_BUCKETS = 64;

/** FNV-1a over the id's UTF-16 units: stable across processes and versions. */
export function presenceBucket(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % PRESENCE_BUCKETS;
}

export function createPresenceKeys(prefix: string = DEFAULT_PRESENCE_PREFIX): PresenceKeys {
  const base = (bucket: number): string => `${prefix}${hashTag(`p:${bucket}`)}`;
  const of = (userId: string): string => base(presenceBucket(userId));
  return {
    bucketOf: presenceBucket,
    conn: (userId, connId) => `${of(userId)}conn:${connId}`,
    user: (userId) => `${of(userId)}user:${userId}`,
    index: (bucket) => `${base(bucket)}online`,
    lastSeen: (userId) => `${of(userId)}lastseen:${userId}`,
  };
}

/**
 * Keys of the typing relay. Both keys of a (conversation, user) start with the conversation's
 * hash tag (as the send path's keys do): the MULTI and the DEL of typing-state.ts touch both,
 * which a Redis Cluster allows only within one slot.
 */
export interface TypingKeys {
  /** Exists while a relayed `start` must not be repeated (SET NX PX throttle). */
  throttle(conversationId: string, userId: string): string;
  /** Token of the latest start while the user counts as typing; the node that wrote it owns the automatic stop. */
  active(conversationId: string, userId: string): string;
}

export function createTypingKeys(prefix: string): TypingKeys {
  const conv = (conversationId: string) => conversationKeyBase(prefix, conversationId);
  return {
    throttle: (conversationId, userId) => `${conv(conversationId)}:typing:throttle:${userId}`,
    active: (conversationId, userId) => `${conv(conversationId)}:typing:active:${userId}`,
  };
}
