import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { Logger } from '@chat/core';
import type { FastifyInstance } from 'fastify';

/** API, files, built assets, sockets, docs, operations: a miss there is a real 404, never the SPA. */
const NOT_UI = /^\/(api|files|assets|socket\.io|docs|healthz|readyz|metrics)(\/|$)/;

/**
 * Serves the web UI build (packages/web/dist) at `/`: hashed assets with a long cache,
 * and index.html for every other GET so client-side routes survive a reload.
 * Without a build (no `dir`, or no index.html in it) the node serves the API only.
 */
export function webRoutes(dir: string | undefined, logger: Logger) {
  return async (app: FastifyInstance): Promise<void> => {
    if (dir === undefined || !existsSync(join(dir, 'index.html'))) {
      logger.info({ dir }, 'no web UI build found (WEB_DIST_DIR); serving the API only');
      return;
    }
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      // One route per built file at start-up; unknown paths fall through to the SPA route below.
      wildcard: false,
      index: false,
      // Vite names assets by content hash, so they never change under the same URL.
      maxAge: '365d',
      immutable: true,
    });
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (NOT_UI.test(path)) return reply.callNotFound();
      return reply
        .header('Cache-Control', 'no-cache')
        .sendFile('index.html', { cacheControl: false });
    });
  };
}
