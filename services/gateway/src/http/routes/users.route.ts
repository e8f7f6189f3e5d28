import { IdParams, LIMITS, UserSearchQuery } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { UsersService } from '../../domain/users.service.js';
import { userIdOf } from '../authenticate.js';

export function usersRoutes(users: UsersService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/users/me', async (request) => users.me(userIdOf(request)));
    app.get('/api/users/me/blocks', async (request) => users.blocked(userIdOf(request)));
    app.get<{ Querystring: UserSearchQuery }>(
      '/api/users',
      { schema: { querystring: UserSearchQuery } },
      async (request) =>
        users.search(request.query.query, request.query.limit ?? LIMITS.userSearchLimitDefault),
    );
    app.get<{ Params: IdParams }>(
      '/api/users/:id',
      { schema: { params: IdParams } },
      async (request) => users.get(request.params.id),
    );
    app.post<{ Params: IdParams }>(
      '/api/users/:id/block',
      { schema: { params: IdParams } },
      async (request, reply) => {
        await users.block(userIdOf(request), request.params.id);
        return reply.status(204).send();
      },
    );
    app.delete<{ Params: IdParams }>(
      '/api/users/:id/block',
      { schema: { params: IdParams } },
      async (request, reply) => {
        await users.unblock(userIdOf(request), request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
