import { LIMITS, SearchQuery } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { SearchService } from '../../domain/search.service.js';
import { userIdOf } from '../authenticate.js';

export function searchRoutes(search: SearchService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: SearchQuery }>(
      '/api/search',
      { schema: { querystring: SearchQuery } },
      async (request) =>
        search.search(userIdOf(request), {
          q: request.query.q,
          limit: request.query.limit ?? LIMITS.messageSearchLimitDefault,
          ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}),
        }),
    );
  };
}
