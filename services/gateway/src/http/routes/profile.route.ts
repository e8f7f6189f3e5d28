import { AvatarParams, PatchMeBody } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import type { Avatars } from '../../domain/avatars.js';
import type { ProfileService } from '../../domain/profile.service.js';
import type { FileStorage } from '../../files/file-storage.js';
import { userIdOf } from '../authenticate.js';

export function profileRoutes(profile: ProfileService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.patch<{ Body: PatchMeBody }>(
      '/api/users/me',
      { schema: { body: PatchMeBody } },
      async (request) => profile.update(userIdOf(request), request.body),
    );
  };
}

/**
 * GET /avatars/:id — public (an <img> sends no token), but only for images that are some user's
 * avatar or an open group's photo now; with the same defensive headers as /files.
 */
export function avatarRoutes(avatars: Avatars, storage: FileStorage) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: AvatarParams }>(
      '/avatars/:id',
      { schema: { params: AvatarParams } },
      async (request, reply) => {
        const att = await avatars.servable(request.params.id);
        void reply
          .header('X-Content-Type-Options', 'nosniff')
          .header('Content-Security-Policy', "default-src 'none'; sandbox")
          .header('Content-Type', att.mime)
          .header('Content-Disposition', 'inline')
          // A new avatar is a new id: the old one may be cached for a while.
          .header('Cache-Control', 'public, max-age=300')
          .header('Content-Length', String(att.size));
        return reply.send(createReadStream(storage.pathOf(att.storageKey)));
      },
    );
  };
}
