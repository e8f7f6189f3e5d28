import type { Logger } from '@chat/core';
import type { Admission, ConnectionEntry, ConnectionRef, PresenceStore } from '@chat/presence';
import type { Presence } from '@chat/protocol';
import type { MongoStore } from '@chat/store';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';

export interface PresenceServiceOptions {
  presence: PresenceStore;
  store: MongoStore;
  fanout: Fanout;
  logger: Logger;
  /** Delay before a clean offline is announced; a reconnect within it shows no flap. @default 5_000 */
  graceMs: number;
}

export type PresenceService = ReturnType<typeof createPresenceService>;

/**
 * Presence transitions and who hears about them (docs/DESIGN.md#decision-6). Redis holds the
 * truth (@chat/presence); this decides when to tell, and tells only the people who share
 * a conversation with the user, through one emit to all their conversation rooms.
 * Crashed nodes and lost networks are the worker's sweep; clean disconnects are here.
 */
export function createPresenceService(options: PresenceServiceOptions) {
  const { presence, store, fanout, logger, graceMs } = options;
  const graceTimers = new Set<NodeJS.Timeout>();

  async function announce(event: Presence): Promise<void> {
    const conversationIds = (
      await store.memberships.listConversationIdsOfUser(oid(event.userId))
    ).map(hex);
    fanout.toConversations(conversationIds, 'presence', event);
  }

  /** No Redis `devices` read: the admission's count is what the event reports. */
  function announceCameOnline(userId: string, devices: number, conversationIds: readonly string[]) {
    fanout.toConversations(conversationIds, 'presence', { userId, online: true, devices });
  }

  async function announceOnline(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    // devices from the same read as the event, so late joiners of the count still agree.
    const states = await presence.query([...userIds]);
    await Promise.all(states.filter((s) => s.online).map((s) => announce(s)));
  }

  /** After the grace period: still offline everywhere in the cluster? Then say so, once. */
  async function settleOffline(userId: string, lastSeen: Date): Promise<void> {
    if ((await presence.isOnline([userId])).has(userId)) return;
    await store.users.setLastSeen(oid(userId), lastSeen);
    await announce({ userId, online: false, lastSeen: lastSeen.toISOString(), devices: 0 });
  }

  async function reRegister(entries: ConnectionEntry[]): Promise<void> {
    const { cameOnline } = await presence.reRegister(entries);
    await announceOnline(cameOnline);
  }

  return {
    reRegister,

    /**
     * Registers a connection during its handshake; with `maxConnections`, refused when
     * the user already holds that many anywhere in the cluster (one atomic Redis script).
     * Nothing is announced yet: the socket has no rooms and may still fail to connect.
     */
    async admit(entry: ConnectionEntry, maxConnections?: number): Promise<Admission> {
      if (maxConnections !== undefined) return presence.admit(entry, maxConnections);
      return { accepted: true, ...(await presence.connect(entry)) };
    },

    /**
     * After an admission that brought the user online, once the socket sits in its
     * conversation rooms: tells the people who share one of `conversationIds` (the
     * socket's rooms, so no second membership read from Mongo). A user who was already
     * online (another device) is not announced again.
     */
    cameOnline: announceCameOnline,

    /** Registration and announcement in one step, for sockets that skipped admission. */
    async connected(entry: ConnectionEntry): Promise<void> {
      const { cameOnline, devices } = await presence.connect(entry);
      if (cameOnline) await announce({ userId: entry.userId, online: true, devices });
    },

    async disconnected(ref: ConnectionRef): Promise<void> {
      const { wentOffline, lastSeen } = await presence.disconnect(ref);
      if (!wentOffline) return;
      const timer = setTimeout(() => {
        graceTimers.delete(timer);
        settleOffline(ref.userId, lastSeen).catch((err: unknown) =>
          logger.warn({ err, userId: ref.userId }, 'presence: offline announcement failed'),
        );
      }, graceMs);
      timer.unref();
      graceTimers.add(timer);
    },

    /**
     * Refreshes the leases of live local connections in one pipeline. Connections Redis
     * no longer knows (it restarted empty, or a stall let the sweeper take them) are
     * registered again, and users who thereby come back online are announced.
     */
    async heartbeat(entries: ConnectionEntry[]): Promise<void> {
      const { missing } = await presence.heartbeat(entries);
      if (missing.length === 0) return;
      const byConnId = new Map(entries.map((e) => [e.connId, e]));
      const lost = missing.flatMap((m) => byConnId.get(m.connId) ?? []);
      logger.info({ connections: lost.length }, 'presence: re-registering connections Redis lost');
      await reRegister(lost);
    },

    /**
     * docs/PROTOCOL.md#section-3 `presence:query`: anyone may ask about any ids; the answer reveals only
     * online/lastSeen/devices. lastSeen falls back to Mongo when Redis lost it.
     */
    async query(userIds: string[]): Promise<Presence[]> {
      const states = await presence.query(userIds);
      const unknown = states.filter((s) => !s.online && s.lastSeen === undefined);
      if (unknown.length === 0) return states;
      const docs = await store.users.findByIds(unknown.map((s) => oid(s.userId)));
      const seen = new Map(
        docs.flatMap((d) => (d.lastSeenAt ? [[hex(d._id), d.lastSeenAt.toISOString()]] : [])),
      );
      return states.map((s) => {
        const lastSeen = s.lastSeen ?? seen.get(s.userId);
        return lastSeen === undefined ? s : { ...s, lastSeen };
      });
    },

    /** Pending offline announcements die with the node; the Mongo lastSeen then stays older. */
    close(): void {
      for (const timer of graceTimers) clearTimeout(timer);
      graceTimers.clear();
    },
  };
}
