import {
  CursorBody,
  DeleteMessageQuery,
  EditMessageBody,
  IdParams,
  ReactBody,
} from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { MessageLifecycleService } from '../../domain/message-lifecycle.service.js';
import type { ReceiptsService } from '../../domain/receipts.service.js';
import { userIdOf } from '../authenticate.js';

/**
 * HTTP forms of the socket events (docs/PROTOCOL.md#section-7) for bots that speak only HTTP. Each route
 * calls the same domain service as its socket handler (realtime/handlers/conversations and
 * lifecycle), so membership, sender/admin rules, the edit window, idempotency and the fan-out
 * are one code path; the per-user HTTP rate limit (limits/http-limits.ts) stands in for the
 * per-socket event budget. Plus the edit history, which has no socket form.
 */
export function botActionsRoutes(receipts: ReceiptsService, lifecycle: MessageLifecycleService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Params: IdParams; Body: CursorBody }>(
      '/api/conversations/:id/read',
      { schema: { params: IdParams, body: CursorBody } },
      async (request) => ({
        readSeq: await receipts.read(userIdOf(request), request.params.id, request.body.seq),
      }),
    );
    app.post<{ Params: IdParams; Body: CursorBody }>(
      '/api/conversations/:id/delivered',
      { schema: { params: IdParams, body: CursorBody } },
      async (request) => ({
        deliveredSeq: await receipts.delivered(
          userIdOf(request),
          request.params.id,
          request.body.seq,
        ),
      }),
    );
    app.patch<{ Params: IdParams; Body: EditMessageBody }>(
      '/api/messages/:id',
      { schema: { params: IdParams, body: EditMessageBody } },
      async (request) => {
        const { message } = await lifecycle.edit(userIdOf(request), {
          messageId: request.params.id,
          text: request.body.text,
        });
        return message;
      },
    );
    app.delete<{ Params: IdParams; Querystring: DeleteMessageQuery }>(
      '/api/messages/:id',
      { schema: { params: IdParams, querystring: DeleteMessageQuery } },
      async (request, reply) => {
        await lifecycle.delete(userIdOf(request), {
          messageId: request.params.id,
          scope: request.query.scope,
        });
        return reply.status(204).send();
      },
    );
    app.post<{ Params: IdParams; Body: ReactBody }>(
      '/api/messages/:id/reactions',
      { schema: { params: IdParams, body: ReactBody } },
      async (request) =>
        lifecycle.react(userIdOf(request), { messageId: request.params.id, ...request.body }),
    );
    app.get<{ Params: IdParams }>(
      '/api/messages/:id/edits',
      { schema: { params: IdParams } },
      async (request) => lifecycle.history(userIdOf(request), request.params.id),
    );
  };
}
