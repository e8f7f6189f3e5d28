import { ChangePasswordBody, RevokeSessionsQuery, SessionParams } from '@chat/protocol';
import { AppError } from '@chat/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Identity } from '../../domain/auth.service.js';
import type { SessionsService } from '../../domain/sessions/sessions.service.js';

function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw AppError.unauthenticated();
  return request.identity;
}

/** The caller's devices and password (docs/PROTOCOL.md#section-7). */
export function sessionsRoutes(sessions: SessionsService, auth: AuthService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/users/me/sessions', async (request) => {
      const me = identityOf(request);
      return sessions.list(me.userId, me.sessionId);
    });
    app.delete<{ Params: SessionParams }>(
      '/api/users/me/sessions/:id',
      { schema: { params: SessionParams } },
      async (request, reply) => {
        await sessions.revoke(identityOf(request).userId, request.params.id);
        return reply.status(204).send();
      },
    );
    app.delete<{ Querystring: RevokeSessionsQuery }>(
      '/api/users/me/sessions',
      { schema: { querystring: RevokeSessionsQuery } },
      async (request, reply) => {
        const me = identityOf(request);
        await sessions.revokeOthers(me.userId, me.sessionId);
        return reply.status(204).send();
      },
    );
    app.post<{ Body: ChangePasswordBody }>(
      '/api/users/me/password',
      { schema: { body: ChangePasswordBody } },
      async (request, reply) => {
        await auth.changePassword(identityOf(request), request.body);
        return reply.status(204).send();
      },
    );
  };
}
