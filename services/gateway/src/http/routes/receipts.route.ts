import { MessageParams } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { MessageReceiptsService } from '../../domain/message-receipts.service.js';
import { userIdOf } from '../authenticate.js';

export function receiptsRoutes(receipts: MessageReceiptsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: MessageParams }>(
      '/api/conversations/:id/messages/:messageId/receipts',
      { schema: { params: MessageParams } },
      async (request) =>
        receipts.receipts(userIdOf(request), request.params.id, request.params.messageId),
    );
  };
}
