import { LoginBody, RegisterBody } from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../domain/auth.service.js';

export function authRoutes(auth: AuthService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: RegisterBody }>(
      '/api/auth/register',
      { schema: { body: RegisterBody } },
      async (request, reply) => reply.status(201).send(await auth.register(request.body)),
    );
    app.post<{ Body: LoginBody }>(
      '/api/auth/login',
      { schema: { body: LoginBody } },
      async (request) => auth.login(request.body),
    );
  };
}
