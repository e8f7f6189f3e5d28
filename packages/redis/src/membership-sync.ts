import type { Logger } from '@chat/core';
import type { RedisClient } from './clients.js';

/**
 * Ordered room membership on the sharded adapter.
 *
 * The sharded adapter carries a remote `socketsJoin`/`socketsLeave` on the namespace channel and
 * a broadcast to one room on that room's own channel, which a node subscribes to (SSUBSCRIBE)
 * only once one of its sockets is in the room. Redis orders neither against the other, so a
 * message sent right after a membership change could miss a member just added or reach one
 * just removed. Here every join or leave is a request that each node answers only once it has
 * applied the change and, for a join, once its subscription to the room's channel is confirmed:
 * when the request resolves, the next broadcast reaches exactly the new members.
 */

/** The server-side event every node (gateways and the worker's emitter) answers. */
export const MEMBERSHIP_REQUEST = 'chat:membership';

export interface MembershipRequest {
  op: 'join' | 'leave';
  /** Rooms naming the sockets to move (their users' own rooms). */
  from: string[];
  /** The room they join or leave. */
  room: string;
}

/** The adapters' default channel prefix and namespace, shared with the worker's emitter. */
const NAMESPACE_CHANNEL = 'socket.io#/#';

/** The channel a sharded adapter in `dynamic` mode uses for one room (sharded-adapter.js). */
export function roomChannel(room: string): string {
  return `${NAMESPACE_CHANNEL}${room}#`;
}

export interface SubscriptionTracker {
  /** Resolves once every room's channel subscription is confirmed by Redis (or has failed). */
  ready(rooms: readonly string[]): Promise<void>;
  /**
   * Resolves once no subscription is pending; rejects while one that failed is being retried.
   * Readiness waits on it: a node missing its namespace channel would hear no membership
   * request, and a node nobody counts is never waited for.
   */
  healthy(): Promise<void>;
}

type Subscribe = (...channels: string[]) => Promise<unknown>;

export interface TrackSubscriptionsOptions {
  logger?: Logger;
  /** Delay before a failed SSUBSCRIBE is sent again. @default 500 */
  retryMs?: number;
}

/**
 * Remembers the reply of each SSUBSCRIBE the adapter sends (it does not wait for them), so a
 * caller can wait for the ones it depends on. A channel no longer subscribed, or subscribed
 * before tracking began, counts as ready: the adapter subscribes when a room is created, in
 * the same turn as the join that created it.
 *
 * The adapter drops a refused SSUBSCRIBE (an error reply, or a command ioredis gave up on
 * after its retries): nothing would ever subscribe that channel again, and the node would
 * silently miss its rooms' messages. Here a refused channel is sent again, for as long as the
 * adapter still wants it.
 */
export function trackShardedSubscriptions(
  sub: RedisClient,
  options: TrackSubscriptionsOptions = {},
): SubscriptionTracker {
  const retryMs = options.retryMs ?? 500;
  const pending = new Map<string, Promise<void>>();
  const wanted = new Set<string>();
  const failing = new Set<string>();
  // The overloads of ioredis' command methods do not survive wrapping; calls are forwarded as is.
  const target = sub as unknown as Record<'ssubscribe' | 'sunsubscribe', Subscribe>;
  const ssubscribe = target.ssubscribe.bind(sub);
  const sunsubscribe = target.sunsubscribe.bind(sub);

  function track(channels: string[], reply: Promise<unknown>): void {
    // A waiter is released on failure rather than held for as long as Redis refuses.
    const settled = reply.then(
      () => {
        for (const channel of channels) failing.delete(channel);
      },
      (err: unknown) => {
        const refused = channels.filter((channel) => wanted.has(channel));
        if (refused.length === 0) return;
        for (const channel of refused) failing.add(channel);
        options.logger?.error(
          { err, channels: refused },
          'shard channel subscription refused; retrying',
        );
        setTimeout(() => {
          const still = refused.filter((channel) => wanted.has(channel));
          if (still.length > 0) track(still, ssubscribe(...still));
        }, retryMs).unref();
      },
    );
    for (const channel of channels) pending.set(channel, settled);
    void settled.then(() => {
      for (const channel of channels) if (pending.get(channel) === settled) pending.delete(channel);
    });
  }

  target.ssubscribe = (...channels) => {
    for (const channel of channels) wanted.add(channel);
    const reply = ssubscribe(...channels);
    track(channels, reply);
    return reply;
  };
  target.sunsubscribe = (...channels) => {
    for (const channel of channels) {
      wanted.delete(channel);
      failing.delete(channel);
      pending.delete(channel);
    }
    return sunsubscribe(...channels);
  };
  return {
    async ready(rooms) {
      const waits = rooms.flatMap((room) => pending.get(roomChannel(room)) ?? []);
      if (waits.length > 0) await Promise.all(waits);
    },
    async healthy() {
      await Promise.all(pending.values());
      if (failing.size > 0)
        throw new Error(`shard channel subscriptions failing: ${[...failing].join(', ')}`);
    },
  };
}

/** The part of a Socket.IO server membership requests need. */
export interface MembershipServer {
  local: {
    in(rooms: string[]): { socketsJoin(room: string): void; socketsLeave(room: string): void };
  };
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * Applies `request` to this node's sockets; resolves once a join's subscription is confirmed.
 */
export async function applyMembership(
  io: MembershipServer,
  tracker: SubscriptionTracker | undefined,
  request: MembershipRequest,
): Promise<void> {
  const sockets = io.local.in(request.from);
  if (request.op === 'join') {
    sockets.socketsJoin(request.room);
    await tracker?.ready([request.room]);
  } else {
    sockets.socketsLeave(request.room);
  }
}

/**
 * Answers other nodes' membership requests. Every process whose adapter subscribes to the
 * namespace channel must, or each request waits for its timeout: the worker's emitter answers
 * with no sockets to move.
 */
export function answerMembershipRequests(
  io: MembershipServer,
  tracker?: SubscriptionTracker,
): void {
  io.on(MEMBERSHIP_REQUEST, (request: MembershipRequest, ack: (ok: boolean) => void) => {
    applyMembership(io, tracker, request).then(
      () => ack(true),
      () => ack(false),
    );
  });
}
