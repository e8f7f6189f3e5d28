import { rooms, type Fanout } from '../domain/fanout.js';
import type { ChatServer } from './types.js';

/**
 * Fanout over Socket.IO rooms. With the Redis adapter, `to()` broadcasts and
 * `socketsJoin`/`socketsLeave` reach every node, so membership changes apply
 * cluster-wide without any userId→socket map (DESIGN decision 2).
 */
export function createIoFanout(io: ChatServer): Fanout {
  return {
    toConversation(conversationId, event, payload, { exceptSocket } = {}) {
      const target = io.to(rooms.conversation(conversationId));
      // Every socket is in the room named by its id, on every node: the adapter carries the
      // exception with the broadcast.
      const operator = exceptSocket === undefined ? target : target.except(exceptSocket);
      // The generic event/payload pair is checked by Fanout's signature; socket.io's
      // overloads cannot follow a generic key, hence the cast.
      (operator.emit as (e: string, p: unknown) => boolean)(event, payload);
    },
    toUsers(userIds, event, payload) {
      if (userIds.length === 0) return;
      (io.to(userIds.map(rooms.user)).emit as (e: string, p: unknown) => boolean)(event, payload);
    },
    toConversations(conversationIds, event, payload, { exceptUsers = [] } = {}) {
      if (conversationIds.length === 0) return;
      const target = io.to(conversationIds.map(rooms.conversation));
      const operator = exceptUsers.length > 0 ? target.except(exceptUsers.map(rooms.user)) : target;
      (operator.emit as (e: string, p: unknown) => boolean)(event, payload);
    },
    async joinConversation(userIds, conversationId) {
      if (userIds.length === 0) return;
      io.in(userIds.map(rooms.user)).socketsJoin(rooms.conversation(conversationId));
      await Promise.resolve();
    },
    async leaveConversation(userIds, conversationId) {
      if (userIds.length === 0) return;
      io.in(userIds.map(rooms.user)).socketsLeave(rooms.conversation(conversationId));
      await Promise.resolve();
    },
    disconnectSessions(sessionIds) {
      if (sessionIds.length === 0) return;
      // `true` closes the underlying connection: the client sees "io server disconnect" and
      // must hand a new token to come back, which a revoked session cannot get.
      io.in(sessionIds.map(rooms.session)).disconnectSockets(true);
    },
  };
}
