import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../src/http/openapi.js';
import { ROUTE_DOCS } from '../src/http/openapi-docs.js';
import { createLogger } from '@chat/core';
import { buildApp, type GatewayApp } from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import { createDeps, type GatewayDeps } from '../src/deps.js';
import { startTestCluster, type TestCluster } from './fixtures/cluster.js';

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        tags?: string[];
        security?: unknown[];
        responses?: Record<string, unknown>;
      }
    >
  >;
}

// Served by plugins for people, not part of the API contract.
const UNDOCUMENTED = /^\/(docs|files\/?$)|^\/\*$|^\/assets\//;

describe('OpenAPI document at /docs (generated from the route schemas)', () => {
  let cluster: TestCluster;
  let deps: GatewayDeps;
  let gateway: GatewayApp;
  let url: string;
  const routes: { method: string; url: string; hidden: boolean }[] = [];
  let doc: OpenApiDoc;

  beforeAll(async () => {
    // Redis + Mongo from the fixture; the node is built here so the route hook is in place
    // before fastify loads the plugins.
    cluster = await startTestCluster({ nodes: 0 });
    const config = loadGatewayConfig({ ...cluster.env, NODE_ID: 'docs-node' });
    deps = await createDeps(config, createLogger({ name: 'gateway', level: 'silent' }));
    gateway = buildApp(deps);
    gateway.app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        routes.push({
          method,
          url: route.url,
          hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true,
        });
      }
    });
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/docs/json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (gateway ? gateway.io.close(() => resolve()) : resolve()));
    await gateway?.app.close();
    await deps?.close();
    await cluster?.close();
  });

  it('lists every registered route under /api, /files and the operations routes', () => {
    const apiRoutes = routes.filter((r) => !r.hidden && !UNDOCUMENTED.test(r.url));
    expect(apiRoutes.length).toBeGreaterThan(20);
    const missing = apiRoutes.filter(
      (r) => doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined,
    );
    expect(missing).toEqual([]);
  });

  it('is a valid OpenAPI 3 document (every schema resolves and validates)', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents a summary, tags, bearer security and response bodies for each API route', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const key = `${method.toUpperCase()} ${path}`;
        expect(ROUTE_DOCS[key]?.summary, `${key} needs an entry in ROUTE_DOCS`).toBeDefined();
        expect(op.summary).toBe(ROUTE_DOCS[key]?.summary);
        expect(op.tags?.length).toBe(1);
        expect(op.responses?.['4XX']).toBeDefined();
        if (path.startsWith('/api/') && !path.startsWith('/api/auth/'))
          expect(op.security).toBeDefined();
      }
    }
    const list = doc.paths['/api/conversations']?.['get']?.responses?.['200'] as {
      content?: Record<string, { schema?: { properties?: object } }>;
    };
    expect(Object.keys(list.content?.['application/json']?.schema?.properties ?? {})).toContain(
      'conversations',
    );
  });

  it('serves the interactive UI at /docs', async () => {
    const res = await fetch(`${url}/docs/`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
