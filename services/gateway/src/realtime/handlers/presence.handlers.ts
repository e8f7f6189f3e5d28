import { PresenceQueryPayload, TypingPayload } from '@chat/protocol';
import type { PresenceService } from '../../domain/presence.service.js';
import type { TypingService } from '../../domain/typing.service.js';
import { defineHandler } from '../define-handler.js';

/** presence:query and typing:start/stop (docs/PROTOCOL.md#section-3). */
export function presenceHandlers(presence: PresenceService, typing: TypingService) {
  return [
    // Any ids, also strangers': the answer reveals only online/lastSeen/devices.
    defineHandler('presence:query', PresenceQueryPayload, async ({ userIds }) => ({
      presence: await presence.query(userIds),
    })),
    defineHandler('typing:start', TypingPayload, async ({ conversationId }, { userId }) => {
      await typing.start(userId, conversationId);
      return {};
    }),
    defineHandler('typing:stop', TypingPayload, async ({ conversationId }, { userId }) => {
      await typing.stop(userId, conversationId);
      return {};
    }),
  ];
}
