import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_RESPONSE, ROUTE_DOCS } from './openapi-docs.js';

type Schema = Record<string, unknown>;

/** `/api/conversations/:id` → `/api/conversations/{id}` (the key style of ROUTE_DOCS and OpenAPI). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const TAGS = [
  { name: 'auth', description: 'Register and log in (no token needed)' },
  { name: 'users', description: 'Profiles, search, presence, blocking' },
  { name: 'conversations', description: 'Direct chats and groups, members and roles' },
  { name: 'messages', description: 'History, sending, search' },
  { name: 'uploads', description: 'Files and their signed download links' },
  { name: 'notifications', description: 'Per-user notifications; creation needs a service token' },
  { name: 'operations', description: 'Health and readiness for load balancers' },
];

function tagOf(url: string): string {
  if (url.includes('/messages')) return 'messages';
  const [, first, second] = url.split('/');
  if (first === 'api') return second ?? 'api';
  return first === 'files' ? 'uploads' : 'operations';
}

function securityOf(method: string, url: string): Schema['security'] {
  if (!url.startsWith('/api/') || url.startsWith('/api/auth/')) return undefined;
  if (method === 'POST' && url === '/api/notifications') return [{ serviceToken: [] }];
  return [{ bearerAuth: [] }];
}

function responsesOf(key: string): Schema {
  const doc = ROUTE_DOCS[key];
  const responses: Schema = {};
  for (const [status, body] of Object.entries(doc?.responses ?? { 200: null })) {
    responses[status] =
      body === null
        ? { description: 'Success', type: 'null' }
        : { description: 'Success', ...body };
  }
  responses['4XX'] = {
    description: 'Error (docs/PROTOCOL.md#section-1: `{ error: { code, message, details? } }`)',
    ...ERROR_RESPONSE,
  };
  return responses;
}

/**
 * OpenAPI 3 from the TypeBox schemas the routes validate with (@fastify/swagger reads them
 * as routes register), plus tags, security and response bodies from ROUTE_DOCS; UI at /docs.
 * Registered before the routes so its onRoute hook sees every one of them.
 */
export const openApi = fp(async (app: FastifyInstance, options: { version: string }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Chat cluster API',
        version: options.version,
        description:
          'HTTP API of docs/PROTOCOL.md#section-2. Realtime events (Socket.IO, path /socket.io) are described in docs/PROTOCOL.md#section-3.',
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'accessToken from register/login',
          },
          serviceToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'JWT with scope "service" (npm run service-token)',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const method = (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET';
      const path = openApiPath(url);
      const key = `${method} ${path}`;
      const security = securityOf(method, url);
      const transformed: Schema = {
        ...(schema as Schema | undefined),
        tags: [tagOf(url)],
        summary: ROUTE_DOCS[key]?.summary ?? key,
        response: responsesOf(key),
        ...(security ? { security } : {}),
      };
      return { schema: transformed as never, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
});
