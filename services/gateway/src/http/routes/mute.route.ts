import { IdParams, MuteBody } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { MuteService } from '../../domain/mute.service.js';
import { userIdOf } from '../authenticate.js';

export function muteRoutes(mute: MuteService) {
  return async (app: FastifyInstance): Promise<void> => {
    // A static `me` segment wins over `:userId` in fastify's router, so this does not clash
    // with the owner's role change on /members/:userId.
    app.patch<{ Params: IdParams; Body: MuteBody }>(
      '/api/conversations/:id/members/me',
      { schema: { params: IdParams, body: MuteBody } },
      async (request) =>
        mute.setMute(userIdOf(request), request.params.id, request.body.mutedUntil),
    );
  };
}
