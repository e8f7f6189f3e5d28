import type { Logger } from '@chat/core';
import { rooms } from '@chat/protocol';
import {
  applyMembership,
  MEMBERSHIP_REQUEST,
  type AdapterKind,
  type MembershipRequest,
  type SubscriptionTracker,
} from '@chat/redis';
import type { Fanout } from '../domain/fanout.js';
import type { ChatServer } from './types.js';

export interface IoFanoutOptions {
  /** @default 'classic' */
  adapter?: AdapterKind;
  /** Live devices of a user anywhere in the cluster (presence); for direct messages. */
  devicesOf?: (userId: string) => Promise<number>;
  /** Sharded adapter: this node's room subscriptions, which a join waits for. */
  subscriptions?: SubscriptionTracker;
  logger?: Logger;
}

type Emitting = { emit: (event: string, payload: unknown) => boolean };
// The generic event/payload pair is checked by Fanout's signature; socket.io's overloads
// cannot follow a generic key, hence the cast.
const emit = (operator: unknown, event: string, payload: unknown): void => {
  (operator as Emitting).emit(event, payload);
};

/**
 * Fanout over Socket.IO rooms. With the Redis adapter, `to()` broadcasts and
 * `socketsJoin`/`socketsLeave` reach every node, so membership changes apply
 * cluster-wide without any userId→socket map (docs/DESIGN.md#decision-2).
 *
 * Direct messages on the sharded adapter go to user rooms, one channel per user, so Redis
 * sends a message only to the nodes holding the recipient's sockets (docs/SCALING.md). The
 * sender's own node would also get its own publish back (its sending socket is in the
 * sender's room); when presence says every device of the sender is on this node, the copy
 * for the sender's other devices is delivered locally instead of published. The send script
 * counts those devices (`senderDevices`, no round trip of its own) just before the insert: a
 * device of the sender that connects elsewhere between that count and the insert, and syncs
 * before the insert lands, sees the message at its next gap fill (the SDK's sequencer asks for
 * a missing seq when a later one arrives) or its next sync. It is stored either way.
 */
export function createIoFanout(io: ChatServer, options: IoFanoutOptions = {}): Fanout {
  const sharded = options.adapter === 'sharded';

  function toDirect(
    members: { memberIds: readonly string[]; senderId: string; senderDevices?: number },
    event: string,
    payload: unknown,
    exceptSocket: string | undefined,
  ): void {
    const { senderId } = members;
    for (const id of members.memberIds)
      if (id !== senderId) emit(io.to(rooms.user(id)), event, payload);
    const ownRoom = rooms.user(senderId);
    const local = io.of('/').adapter.rooms.get(ownRoom)?.size ?? 0;
    const others = (operator: { except(s: string): unknown }) =>
      exceptSocket === undefined ? operator : operator.except(exceptSocket);
    const everywhere = () => emit(others(io.to(ownRoom)), event, payload);
    const deliver = (devices: number): void => {
      if (devices > local) everywhere();
      else if (local > (exceptSocket === undefined ? 0 : 1))
        emit(others(io.local.to(ownRoom)), event, payload);
    };
    if (members.senderDevices !== undefined) deliver(members.senderDevices);
    else if (!options.devicesOf) everywhere();
    // Presence unknown: publish, the safe direction.
    else options.devicesOf(senderId).then(deliver, () => everywhere());
  }

  /**
   * Classic adapter: one publish; Redis delivers it before any later broadcast, since both
   * travel through the one pattern subscription. Sharded adapter: they travel on different
   * channels, so the change is a request every node answers once it holds (membership-sync.ts).
   */
  async function changeMembership(
    op: MembershipRequest['op'],
    userIds: readonly string[],
    conversationId: string,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const request: MembershipRequest = {
      op,
      from: userIds.map(rooms.user),
      room: rooms.conversation(conversationId),
    };
    if (!sharded) {
      const sockets = io.in(request.from);
      if (op === 'join') sockets.socketsJoin(request.room);
      else sockets.socketsLeave(request.room);
      return;
    }
    await Promise.all([
      applyMembership(io, options.subscriptions, request),
      // The adapter gives up after 5 s on a node that does not answer (frozen, or gone before it
      // noticed): the change is stored, and that node's sockets get it right on their next sync.
      io.serverSideEmitWithAck(MEMBERSHIP_REQUEST, request).then(
        (answers: unknown[]) => {
          const failed = answers.filter((answer) => answer !== true).length;
          if (failed > 0)
            options.logger?.warn({ ...request, failed }, 'membership change: a node failed it');
        },
        (err: unknown) =>
          options.logger?.warn({ err, ...request }, 'membership change: a node did not answer'),
      ),
    ]);
  }

  return {
    toConversation(conversationId, event, payload, { exceptSocket, direct } = {}) {
      if (sharded && direct) {
        toDirect(direct, event, payload, exceptSocket);
        return;
      }
      const target = io.to(rooms.conversation(conversationId));
      // Every socket is in the room named by its id, on every node: the adapter carries the
      // exception with the broadcast.
      emit(exceptSocket === undefined ? target : target.except(exceptSocket), event, payload);
    },
    toUsers(userIds, event, payload) {
      if (userIds.length === 0) return;
      emit(io.to(userIds.map(rooms.user)), event, payload);
    },
    toConversations(conversationIds, event, payload, { exceptUsers = [] } = {}) {
      if (conversationIds.length === 0) return;
      const target = io.to(conversationIds.map(rooms.conversation));
      emit(
        exceptUsers.length > 0 ? target.except(exceptUsers.map(rooms.user)) : target,
        event,
        payload,
      );
    },
    joinConversation: (userIds, conversationId) =>
      changeMembership('join', userIds, conversationId),
    leaveConversation: (userIds, conversationId) =>
      changeMembership('leave', userIds, conversationId),
    disconnectSessions(sessionIds) {
      if (sessionIds.length === 0) return;
      // `true` closes the underlying connection: the client sees "io server disconnect" and
      // must hand a new token to come back, which a revoked session cannot get.
      io.in(sessionIds.map(rooms.session)).disconnectSockets(true);
    },
  };
}
