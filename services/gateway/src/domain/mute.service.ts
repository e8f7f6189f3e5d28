import { AppError } from '@chat/core';
import type { Conversation, MuteBody } from '@chat/protocol';
import { MUTED_FOREVER, type MongoStore } from '@chat/store';
import { requireMember, toConversationDtos } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { oid } from './ids.js';
import type { CounterReader } from './send/latest-seq.js';

export type MuteService = ReturnType<typeof createMuteService>;

/**
 * Per-member mute (docs/PROTOCOL.md#section-7). It is the member's own setting: only their view carries it,
 * and only their other devices hear of it (`conversation:updated` to their own sockets). The
 * worker reads it when it hands a message to the offline pipeline (services/worker handoff).
 */
export function createMuteService({
  store,
  fanout,
  counters,
  now = () => new Date(),
}: {
  store: MongoStore;
  fanout: Fanout;
  counters?: CounterReader;
  now?: () => Date;
}) {
  return {
    async setMute(
      userHex: string,
      conversationHex: string,
      mutedUntil: MuteBody['mutedUntil'],
    ): Promise<Conversation> {
      const userId = oid(userHex);
      const view = await requireMember(store, oid(conversationHex), userId);
      const until =
        mutedUntil === null
          ? null
          : mutedUntil === 'forever'
            ? MUTED_FOREVER
            : new Date(mutedUntil);
      if (until !== null && Number.isNaN(until.getTime())) {
        throw AppError.validation({
          fields: [{ path: '/mutedUntil', message: 'Expected an ISO time or "forever"' }],
        });
      }
      // A time already past is an unmute: nothing to store that could ever apply.
      const effective = until !== null && until.getTime() <= now().getTime() ? null : until;
      const membership = await store.memberships.setMutedUntil(
        view.conversation._id,
        userId,
        effective,
      );
      if (!membership) throw AppError.notFound('Conversation not found');
      const [conversation] = await toConversationDtos(
        store,
        [{ conversation: view.conversation, membership }],
        counters,
      );
      if (!conversation) throw new Error('conversation DTO missing');
      fanout.toUsers([userHex], 'conversation:updated', { conversation });
      return conversation;
    },
  };
}
