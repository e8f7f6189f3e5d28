import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './fixtures/cluster.js';

describe('web UI served at / (WEB_DIST_DIR)', () => {
  const dist = mkdtempSync(join(tmpdir(), 'web-dist-'));
  let cluster: TestCluster;
  let url: string;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><title>Chat</title><div id="app"></div>',
    );
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    cluster = await startTestCluster({ nodes: 1, env: { WEB_DIST_DIR: dist } });
    url = cluster.nodes[0]!.url;
  });
  afterAll(async () => {
    await cluster?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / and for client-side paths, never cached', async () => {
    for (const path of ['/', '/c/123', '/settings/profile?x=1']) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it('serves hashed assets with a long immutable cache', async () => {
    const res = await fetch(`${url}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('keeps API, file and socket paths out of the SPA fallback (JSON 404s)', async () => {
    for (const path of [
      '/api/nope',
      '/files/nope',
      '/socket.io-nope/x',
      '/docs/nope-not-here',
      '/assets/missing.js',
    ]) {
      const res = await fetch(url + path);
      if (path.startsWith('/socket.io-nope')) {
        // Not a reserved prefix: the SPA answers (its own not-found view), as HTML.
        expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
        continue;
      }
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
  });

  it('runs without a UI when the folder has no build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'web-empty-'));
    const other = await startTestCluster({ nodes: 1, env: { WEB_DIST_DIR: empty } });
    try {
      const res = await fetch(`${other.nodes[0]!.url}/`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    } finally {
      await other.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
