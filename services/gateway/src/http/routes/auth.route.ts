import { LoginBody, RefreshBody, RegisterBody } from '@chat/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../../domain/auth.service.js';
import { deviceNameOf } from '../../domain/sessions/device-name.js';
import type { SessionsService } from '../../domain/sessions/sessions.service.js';

const deviceOf = (request: FastifyRequest<{ Body: { deviceName?: string } }>) =>
  deviceNameOf(request.body.deviceName, request.headers['user-agent']);

export function authRoutes(auth: AuthService, sessions: SessionsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: RegisterBody }>(
      '/api/auth/register',
      { schema: { body: RegisterBody } },
      async (request, reply) => {
        const { deviceName: _device, ...input } = request.body;
        return reply.status(201).send(await auth.register(input, deviceOf(request)));
      },
    );
    app.post<{ Body: LoginBody }>(
      '/api/auth/login',
      { schema: { body: LoginBody } },
      async (request) => {
        const { deviceName: _device, ...input } = request.body;
        return auth.login(input, deviceOf(request));
      },
    );
    // No bearer token: the refresh token is the credential (docs/PROTOCOL.md#section-7).
    app.post<{ Body: RefreshBody }>(
      '/api/auth/refresh',
      { schema: { body: RefreshBody } },
      async (request) => sessions.refresh(request.body.refreshToken),
    );
    // Logout names the refresh token to end, so it takes the refresh body.
    app.post<{ Body: RefreshBody }>(
      '/api/auth/logout',
      { schema: { body: RefreshBody } },
      async (request, reply) => {
        await sessions.logout(request.body.refreshToken);
        return reply.status(204).send();
      },
    );
  };
}
