import type { FastifyInstance } from 'fastify';

/** Polled by the balancer and Prometheus every few seconds: logged at debug, not info. */
const OPERATIONAL = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per HTTP response, at info. It names the route PATTERN
 * (`/files/:id/:name`), never `request.url`: a signed file URL's query string is a bearer
 * credential, and ids in paths say nothing the pattern does not. No headers are logged, so no
 * Authorization or cookie can leak; `userId` is the authenticated user when there is one.
 * The request id comes from `request.log`, fastify's child logger bound to `reqId`.
 * fastify's own request logging stays off (app.ts) because it logs the raw URL.
 */
export function installAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const line = {
      method: request.method,
      route: route ?? '(no route)',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(request.identity?.userId !== undefined ? { userId: request.identity.userId } : {}),
    };
    if (route !== undefined && OPERATIONAL.has(route)) request.log.debug(line, 'http');
    else request.log.info(line, 'http');
  });
}
