import type { FastifyInstance } from 'fastify';

export interface Readiness {
  /** Set on SIGTERM: the load balancer should stop sending new clients here. */
  draining: boolean;
  /** Rejects when Mongo or Redis does not answer. */
  check(): Promise<void>;
}

/** How long readiness may wait on a dependency before calling it down. */
const CHECK_TIMEOUT_MS = 2000;

export function healthRoutes(readiness: Readiness) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      if (readiness.draining) return reply.status(503).send({ status: 'draining' });
      try {
        await Promise.race([
          readiness.check(),
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error('readiness check timed out')),
              CHECK_TIMEOUT_MS,
            ).unref(),
          ),
        ]);
        return { status: 'ready' };
      } catch {
        return reply.status(503).send({ status: 'unavailable' });
      }
    });
  };
}
