import { AppError, type Logger } from '@chat/core';
import type { ConnectionEntry } from '@chat/presence';
import type { RedisClient } from '@chat/redis';
import { rooms } from '@chat/protocol';
import type { PresenceService } from '../domain/presence.service.js';
import type { SocketLifecycle } from './create-io.js';
import type { ChatSocket } from './types.js';

export interface PresenceLifecycleOptions {
  service: PresenceService;
  /** The command client: its `ready` after an outage means Redis may have come back empty. */
  redis: RedisClient;
  nodeId: string;
  /** Heartbeats collected since the last flush go to Redis in one pipeline. @default 5_000 */
  flushMs: number;
  /** While draining, leases are left to expire instead of being removed (see disconnected). */
  isDraining: () => boolean;
  /**
   * MAX_SOCKETS_PER_USER, enforced at admission in the same Redis script that registers
   * the connection: exact across nodes, no cross-node request. Unset: no cap here.
   */
  maxSocketsPerUser?: number;
  logger: Logger;
}

/** Bounds each re-registration pipeline after an outage (a node may hold ~10k sockets). */
const REREGISTER_BATCH = 500;

export interface PresenceLifecycle extends SocketLifecycle {
  /** Stops the flush timer and pending offline announcements; idempotent. */
  close(): void;
}

/**
 * Ties Socket.IO connections to presence leases. The only per-node state is the list
 * of this node's own live sockets, which is exactly what must be written back when Redis
 * lost it; who is online cluster-wide is always read from Redis.
 */
export function createPresenceLifecycle(options: PresenceLifecycleOptions): PresenceLifecycle {
  const { service, redis, logger } = options;
  const local = new Map<string, ConnectionEntry>();
  /** Admitted sockets that brought their user online: device count to announce at `connected`. */
  const toAnnounce = new Map<string, number>();
  /** Sockets whose engine.io heartbeat (pong) arrived since the last flush. */
  const beating = new Set<string>();

  // engine.io emits `heartbeat` on every pong of the connection (engine.io/build/socket.js
  // onPacket), so a lease lives exactly as long as the transport answers pings.
  const flushTimer = setInterval(() => void flush(), options.flushMs);
  flushTimer.unref();

  async function flush(): Promise<void> {
    if (redis.status === 'end') {
      clearInterval(flushTimer);
      return;
    }
    if (beating.size === 0 || redis.status !== 'ready') return;
    const entries = [...beating].flatMap((id) => local.get(id) ?? []);
    beating.clear();
    try {
      await service.heartbeat(entries);
    } catch (err) {
      // Keep them for the next flush: waiting for the next pong could outlive the TTL.
      for (const e of entries) if (local.has(e.connId)) beating.add(e.connId);
      logger.warn({ err, connections: entries.length }, 'presence: heartbeat flush failed');
    }
  }

  let outage = false;
  const onClose = () => {
    outage = true;
  };
  const onReady = () => {
    if (!outage) return;
    outage = false;
    void reRegisterAll();
  };
  redis.on('close', onClose);
  redis.on('ready', onReady);

  /** Redis may have restarted empty: write every local lease back within one round. */
  async function reRegisterAll(): Promise<void> {
    const entries = [...local.values()];
    logger.info(
      { connections: entries.length },
      'presence: redis is back; re-registering local connections',
    );
    for (let i = 0; i < entries.length; i += REREGISTER_BATCH) {
      try {
        await service.reRegister(entries.slice(i, i + REREGISTER_BATCH));
      } catch (err) {
        // The next heartbeat flush reports them missing and registers them then.
        logger.warn({ err }, 'presence: re-registration failed');
      }
    }
  }

  /** Removes a connection's lease once, whichever of disconnect / abandoned handshake comes first. */
  async function release(socketId: string): Promise<void> {
    const entry = local.get(socketId);
    if (!entry) return;
    local.delete(socketId);
    beating.delete(socketId);
    toAnnounce.delete(socketId);
    // A draining node's clients reconnect elsewhere within seconds: leaving the lease to
    // expire avoids an offline/online flap, and if one does not come back the worker's
    // sweep announces it (this process is about to exit and could not).
    if (options.isDraining()) return;
    await service.disconnected({ userId: entry.userId, connId: entry.connId });
  }

  function entryOf(socket: ChatSocket): ConnectionEntry {
    return { userId: socket.data.userId, connId: socket.id, nodeId: options.nodeId };
  }

  return {
    async admit(socket: ChatSocket) {
      const entry = entryOf(socket);
      local.set(socket.id, entry);
      // Socket.IO emits no 'disconnect' for a socket that never connected (the client left
      // during the handshake): release the lease when the transport goes away. After a
      // normal disconnect this finds nothing left to do.
      socket.conn.once('close', () => {
        release(socket.id).catch((err: unknown) =>
          logger.warn({ err, userId: entry.userId }, 'presence: release failed'),
        );
      });
      let admission;
      try {
        admission = await service.admit(entry, options.maxSocketsPerUser);
      } catch (err) {
        // Fail open as before: the socket stays usable and its first heartbeat flush finds
        // the lease missing and adds it. A Redis that is down already refused the handshake
        // at the per-IP limiter, so this is a transient error, not a way around the cap.
        beating.add(socket.id);
        logger.warn({ err, userId: entry.userId }, 'presence: admission failed; allowing');
        return;
      }
      if (!admission.accepted) {
        local.delete(socket.id);
        throw new AppError('RATE_LIMITED', 'Too many connections for this user', {
          details: { maxSockets: options.maxSocketsPerUser },
        });
      }
      // The transport closed while Redis answered: release already ran (after this script,
      // on the same connection), so there is nothing left to announce.
      if (!local.has(socket.id)) return;
      if (admission.cameOnline) toAnnounce.set(socket.id, admission.devices);
    },

    async connected(socket: ChatSocket) {
      if (!socket.connected) return;
      socket.conn.on('heartbeat', () => {
        if (local.has(socket.id)) beating.add(socket.id);
      });
      if (local.has(socket.id)) {
        const devices = toAnnounce.get(socket.id);
        toAnnounce.delete(socket.id);
        if (devices === undefined) return;
        const conversationIds = [...socket.rooms].flatMap((room) => {
          const id = rooms.conversationIdOf(room);
          return id === undefined ? [] : [id];
        });
        service.cameOnline(socket.data.userId, devices, conversationIds);
        return;
      }
      // Not admitted by this lifecycle (it was not wired into the handshake): register now.
      const entry = entryOf(socket);
      local.set(socket.id, entry);
      try {
        await service.connected(entry);
      } catch (err) {
        // The socket stays usable; its first heartbeat finds the lease missing and adds it.
        beating.add(socket.id);
        logger.warn({ err, userId: entry.userId }, 'presence: connect failed');
      }
    },

    async disconnected(socket: ChatSocket) {
      await release(socket.id);
    },

    close() {
      clearInterval(flushTimer);
      redis.off('close', onClose);
      redis.off('ready', onReady);
      service.close();
    },
  };
}
