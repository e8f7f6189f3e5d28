import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { Logger } from '@chat/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AbuseLimitsConfig } from './limits-config.js';
import type { OriginCheck } from './origin.js';
import { consume, type RateLimits } from './rate-limits.js';

export interface HttpLimitsOptions {
  limits: AbuseLimitsConfig;
  rateLimits: RateLimits;
  originAllowed: OriginCheck;
  logger: Logger;
}

/** Operational routes the balancer and Prometheus poll; never limited. */
const UNLIMITED = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * Security headers, CORS and the HTTP rate limits, on the root instance before any route
 * is registered, so every route inherits the hooks.
 */
export function installHttpLimits(app: FastifyInstance, options: HttpLimitsOptions): void {
  const { rateLimits, logger } = options;

  void app.register(helmet, {
    // upgrade-insecure-requests would break the plain-HTTP local cluster (docs/PROTOCOL.md#section-6).
    contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } },
    crossOriginEmbedderPolicy: false,
  });
  // CORS headers only for listed origins; same-origin browsers and non-browsers need none.
  void app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && options.originAllowed({ origin })),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    maxAge: 600,
  });
  // Per client IP (request.ip follows TRUST_PROXY), as a root onRequest hook so it runs
  // before authentication: floods of bad tokens and unknown routes count too.
  app.addHook('onRequest', async (request) => {
    if (UNLIMITED.test(request.url)) return;
    await consume(rateLimits.httpIp, request.ip);
  });

  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.url;
    if (route === '/api/auth/register' && request.method === 'POST') {
      await consume(rateLimits.register, request.ip);
      return;
    }
    if (route === '/api/auth/login' && request.method === 'POST') {
      await consumeLogin(request);
      return;
    }
    const userId = request.identity?.userId;
    if (userId === undefined) return;
    // A POST of a message also spends the sender's message budget, inside messages.send.
    await consume(rateLimits.httpUser, userId);
  });

  /**
   * Every attempt costs a point up front (so parallel guesses cannot all slip through
   * before a failure is counted); a success gives it back. The key does not depend on
   * whether the user exists, so an unknown user is answered exactly like a wrong password.
   */
  async function consumeLogin(request: FastifyRequest): Promise<void> {
    const ipUser = `${request.ip}|${loginName(request.body)}`;
    const results = await Promise.allSettled([
      consume(rateLimits.loginIpUsername, ipUser),
      consume(rateLimits.loginIp, request.ip),
    ]);
    const refused = results.find((r) => r.status === 'rejected');
    if (refused) throw (refused as PromiseRejectedResult).reason;
  }

  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url !== '/api/auth/login' || reply.statusCode !== 200) return;
    const ipUser = `${request.ip}|${loginName(request.body)}`;
    await Promise.all([
      rateLimits.loginIpUsername.delete(ipUser),
      rateLimits.loginIp.reward(request.ip, 1),
    ]).catch((err: unknown) => logger.warn({ err }, 'login limiter reset failed'));
  });
}

function loginName(body: unknown): string {
  const username = (body as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' ? username.trim().toLowerCase() : '';
}
