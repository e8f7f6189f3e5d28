import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { ChatServer } from '../realtime/types.js';
import { createClientIp } from './client-ip.js';
import { installHttpLimits } from './http-limits.js';
import { createOriginCheck } from './origin.js';
import { createRateLimits } from './rate-limits.js';
import { createSocketGuard } from './socket-guard.js';

/** Everything of the abuse limits built from the deps, so app.ts wires it in a few lines. */
export function createAbuseGuards(deps: GatewayDeps) {
  const { config, logger } = deps;
  const limits = config.abuse;
  const rateLimits = createRateLimits(deps.redis, config.redis.keyPrefix, limits);
  const originAllowed = createOriginCheck(limits.corsOrigins);
  const socket = createSocketGuard({
    limits: limits.socket,
    rateLimits,
    originAllowed,
    clientIp: createClientIp(config.trustProxy),
    logger,
  });
  return {
    rateLimits,
    socket,
    /** Root-level fastify plugins and hooks; before any route. */
    installHttp(app: FastifyInstance): void {
      installHttpLimits(app, {
        limits,
        rateLimits,
        originAllowed,
        logger,
      });
    },
    /** Per-socket event limits. The per-user socket cap is presence admission (presence-lifecycle). */
    attachSockets(io: ChatServer): void {
      io.on('connection', socket.install);
    },
  };
}
