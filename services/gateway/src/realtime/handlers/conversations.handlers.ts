import { ConversationDeliveredPayload, ConversationReadPayload, SyncPayload } from '@chat/protocol';
import type { ReceiptsService } from '../../domain/receipts.service.js';
import type { SyncService } from '../../domain/sync.service.js';
import { defineHandler } from '../define-handler.js';

export function conversationHandlers(receipts: ReceiptsService, sync: SyncService) {
  return [
    defineHandler(
      'conversation:read',
      ConversationReadPayload,
      async ({ conversationId, seq }, { userId }) => ({
        readSeq: await receipts.read(userId, conversationId, seq),
      }),
    ),
    defineHandler(
      'conversation:delivered',
      ConversationDeliveredPayload,
      async ({ conversationId, seq }, { userId }) => ({
        deliveredSeq: await receipts.delivered(userId, conversationId, seq),
      }),
    ),
    defineHandler('sync', SyncPayload, (payload, { userId }) => sync.sync(userId, payload)),
  ];
}
