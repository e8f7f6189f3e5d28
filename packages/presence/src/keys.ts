/**
 * Every Redis key the presence store touches is built here, so a test (or a second
 * cluster sharing one Redis) isolates itself by choosing another prefix.
 */
export interface PresenceKeys {
  /** String with a TTL: one live connection, value = JSON {@link ConnectionInfo}. */
  conn(connId: string): string;
  /** Sorted set connId → expiry (ms since epoch) of one user's connections. */
  user(userId: string): string;
  /** Sorted set userId → latest expiry of that user's connections ("may be online"). */
  index(): string;
  /** String: last time (ms since epoch) any device of the user was seen alive. */
  lastSeen(userId: string): string;
}

/** @default 'presence:' */
export const DEFAULT_PRESENCE_PREFIX = 'presence:';

export function createPresenceKeys(prefix: string = DEFAULT_PRESENCE_PREFIX): PresenceKeys {
  return {
    conn: (connId) => `${prefix}conn:${connId}`,
    user: (userId) => `${prefix}user:${userId}`,
    index: () => `${prefix}online`,
    lastSeen: (userId) => `${prefix}lastseen:${userId}`,
  };
}
