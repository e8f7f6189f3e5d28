import type { PresenceStore } from '@chat/presence';
import { rooms, type PresenceEvent } from '@chat/protocol';
import { parseObjectId, type MongoStore } from '@chat/store';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics.js';

/** What the sweep needs to reach sockets on every node (see ../room-emitter.ts). */
export interface RoomEmitter {
  to(rooms: string[]): { emit(event: 'presence', payload: PresenceEvent): unknown };
}

export interface SweepResult {
  swept: number;
}

/**
 * Finds users whose last connection expired without a clean disconnect (node crash,
 * network loss), stores their lastSeen in Mongo and tells the people who share a
 * conversation with them. sweepExpired removes each user atomically, so with several
 * workers every user is reported once.
 */
export function createPresenceSweepProcessor(deps: {
  presence: PresenceStore;
  store: Pick<MongoStore, 'users' | 'memberships'>;
  emitter: RoomEmitter;
  logger: Logger;
  metrics: WorkerMetrics;
}): () => Promise<SweepResult> {
  const { presence, store, emitter, logger, metrics } = deps;

  async function announce(userId: string, lastSeen: Date): Promise<void> {
    const id = parseObjectId(userId);
    if (id === undefined) {
      logger.warn({ userId }, 'presence sweep: not an ObjectId, skipped');
      return;
    }
    const conversationIds = await store.memberships.listConversationIdsOfUser(id);
    const event: PresenceEvent = {
      userId,
      online: false,
      lastSeen: lastSeen.toISOString(),
      devices: 0,
    };
    // One emit to all rooms: Socket.IO delivers once per socket even if it is in several.
    if (conversationIds.length > 0)
      emitter
        .to(conversationIds.map((c) => rooms.conversation(c.toHexString())))
        .emit('presence', event);
    await store.users.setLastSeen(id, lastSeen);
  }

  return async () => {
    const swept = await presence.sweepExpired();
    if (swept.length === 0) return { swept: 0 };
    metrics.presenceSwept.inc(swept.length);
    // The users are already out of Redis: a failure for one must not skip the others, and
    // retrying the job cannot find them again (Redis keeps their lastSeen for queries).
    const results = await Promise.allSettled(swept.map((s) => announce(s.userId, s.lastSeen)));
    results.forEach((r, i) => {
      if (r.status === 'rejected')
        logger.error(
          { err: r.reason as unknown, userId: swept[i]?.userId },
          'presence sweep: announce failed',
        );
    });
    logger.info({ swept: swept.length }, 'presence sweep: users went offline');
    return { swept: swept.length };
  };
}
