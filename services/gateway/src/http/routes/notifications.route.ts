import {
  NotificationsListQuery,
  NotificationsReadBody,
  PostNotificationBody,
} from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { NotificationsService } from '../../domain/notifications.service.js';
import { userIdOf } from '../authenticate.js';

/** `GET /api/notifications`, `POST /api/notifications/read`: register under the user-token hook. */
export function notificationsRoutes(notifications: NotificationsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: NotificationsListQuery }>(
      '/api/notifications',
      { schema: { querystring: NotificationsListQuery } },
      async (request) => notifications.list(userIdOf(request), request.query),
    );
    app.post<{ Body: NotificationsReadBody }>(
      '/api/notifications/read',
      { schema: { body: NotificationsReadBody } },
      async (request, reply) => {
        await notifications.markRead(userIdOf(request), request.body);
        return reply.status(204).send();
      },
    );
  };
}

/** `POST /api/notifications`: register under the service-token hook (a user token → 403). */
export function serviceNotificationsRoutes(notifications: NotificationsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: PostNotificationBody }>(
      '/api/notifications',
      { schema: { body: PostNotificationBody } },
      async (request, reply) => reply.status(201).send(await notifications.create(request.body)),
    );
  };
}
