import { HistoryQuery, IdParams, PostMessageBody, SearchMessagesQuery } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { MessagesService } from '../../domain/messages.service.js';
import { userIdOf } from '../authenticate.js';

export function messagesRoutes(messages: MessagesService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: IdParams; Querystring: HistoryQuery }>(
      '/api/conversations/:id/messages',
      { schema: { params: IdParams, querystring: HistoryQuery } },
      async (request) =>
        messages.history(userIdOf(request), {
          conversationId: request.params.id,
          ...request.query,
        }),
    );
    app.post<{ Params: IdParams; Body: PostMessageBody }>(
      '/api/conversations/:id/messages',
      { schema: { params: IdParams, body: PostMessageBody } },
      async (request, reply) => {
        const { message, created } = await messages.send(userIdOf(request), {
          conversationId: request.params.id,
          ...request.body,
        });
        return reply.status(created ? 201 : 200).send(message);
      },
    );
    app.get<{ Params: IdParams; Querystring: SearchMessagesQuery }>(
      '/api/conversations/:id/messages/search',
      { schema: { params: IdParams, querystring: SearchMessagesQuery } },
      async (request) =>
        messages.search(userIdOf(request), request.params.id, request.query.q, request.query.limit),
    );
  };
}
