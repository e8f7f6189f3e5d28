/**
 * Names every gateway and the worker must agree on to reach the same sockets: the Socket.IO
 * rooms and the Redis pub/sub channel the adapter and the worker's emitter speak on. Renaming a
 * room prefix here is the only change a rename needs (services never import each other).
 */
const CONVERSATION_PREFIX = 'conv:';

export const rooms = {
  /** Every socket of one user, on every node. */
  user: (userId: string): string => `user:${userId}`,
  /** Every socket of the conversation's members. */
  conversation: (conversationId: string): string => `${CONVERSATION_PREFIX}${conversationId}`,
  /** The conversation id of a conversation room's name; undefined for any other room. */
  conversationIdOf: (room: string): string | undefined =>
    room.startsWith(CONVERSATION_PREFIX) ? room.slice(CONVERSATION_PREFIX.length) : undefined,
  /** Sockets authenticated with a token of that sign-in session (revoked devices are closed through it). */
  session: (sessionId: string): string => `sess:${sessionId}`,
};

/**
 * Channel prefix of the Socket.IO Redis adapter (classic `key`, sharded `channelPrefix`) and of
 * the worker's `@socket.io/redis-emitter` (`key`). It is the libraries' default, stated here so
 * a publisher and its subscribers cannot drift apart.
 */
export const ADAPTER_CHANNEL = 'socket.io';
