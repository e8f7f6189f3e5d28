import { AppError } from '@chat/core';
import type { Principal } from '@chat/auth';
import { LIMITS } from '@chat/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Identity } from '../domain/auth.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` for user tokens. */
    identity: Identity | null;
    principal: Principal | null;
  }
}

/** `Bearer <token>`, the token no longer than the protocol allows any token to be. */
const BEARER = new RegExp(`^Bearer ([^\\s]{1,${LIMITS.tokenMaxChars}})$`);

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match?.[1]) throw AppError.unauthenticated('Missing bearer token');
  return match[1];
}

/** onRequest hook for every `/api` route except `/api/auth/*` (docs/PROTOCOL.md#section-1). */
export function authenticate(auth: AuthService, accept: 'user' | 'service' = 'user') {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const { principal, identity } = await auth.identify(bearer(request));
    if (accept === 'user' && !identity) throw AppError.forbidden('A user token is required');
    if (accept === 'service' && principal.kind !== 'service')
      throw AppError.forbidden('A service token is required');
    request.principal = principal;
    request.identity = identity;
  };
}

/** The authenticated user of a request that passed `authenticate('user')`. */
export function userIdOf(request: FastifyRequest): string {
  if (!request.identity) throw AppError.unauthenticated();
  return request.identity.userId;
}
