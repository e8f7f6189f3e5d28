import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatError, createHttpClient } from '../src/index.js';

// A real HTTP server that records what the SDK sends and answers what each test scripts.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let reply: (req: Seen) => Reply = () => ({ status: 204 });

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      const r = reply(s);
      const text = r.raw ?? (r.body === undefined ? '' : JSON.stringify(r.body));
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
});

const user = {
  id: 'a'.repeat(24),
  username: 'ann',
  displayName: 'Ann',
  createdAt: '2026-01-05T12:00:00.000Z',
};

describe('HttpClient', () => {
  it('login stores the token and later calls send it as a Bearer header', async () => {
    reply = (r) =>
      r.url === '/api/auth/login'
        ? { status: 200, body: { user, accessToken: 'tok' } }
        : { status: 200, body: user };
    const http = createHttpClient({ baseUrl });
    const res = await http.login({ username: 'ann', password: 'secret123' });
    expect(res.accessToken).toBe('tok');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/auth/login' });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ username: 'ann', password: 'secret123' });
    await expect(http.me()).resolves.toEqual(user);
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/api/users/me' });
    expect(seen[1]?.headers.authorization).toBe('Bearer tok');
  });

  it('builds paths and query strings for the documented routes', async () => {
    reply = () => ({
      status: 200,
      body: { messages: [], hasMore: false, users: [], notifications: [] },
    });
    const http = createHttpClient({ baseUrl, token: 't' });
    const id = 'c'.repeat(24);
    await http.history(id, { after: 5, limit: 10 });
    await http.searchUsers('an n', { limit: 5 });
    await http.notifications({ unread: true });
    await http.searchMessages(id, 'hello');
    await expect(http.blockedUsers()).resolves.toEqual([]);
    await http.patchConversation(id, { avatarAttachmentId: 'a'.repeat(24) });
    await http.patchConversation(id, { avatarUrl: null });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET /api/conversations/${id}/messages?after=5&limit=10`,
      'GET /api/users?query=an+n&limit=5',
      'GET /api/notifications?unread=true',
      `GET /api/conversations/${id}/messages/search?q=hello`,
      'GET /api/users/me/blocks',
      `PATCH /api/conversations/${id}`,
      `PATCH /api/conversations/${id}`,
    ]);
    expect(seen.slice(-2).map((s) => JSON.parse(s.body) as unknown)).toEqual([
      { avatarAttachmentId: 'a'.repeat(24) },
      { avatarUrl: null },
    ]);
  });

  it('postMessage generates a clientMsgId unless given; 204 answers resolve to undefined', async () => {
    reply = (r) =>
      r.method === 'POST' && r.url.endsWith('/messages')
        ? { status: 201, body: { id: 'm' } }
        : { status: 204 };
    const http = createHttpClient({ baseUrl, token: 't' });
    await http.postMessage('c'.repeat(24), { text: 'hi' });
    await http.postMessage('c'.repeat(24), { text: 'hi', clientMsgId: 'mine' });
    const ids = seen.map((s) => (JSON.parse(s.body) as { clientMsgId: string }).clientMsgId);
    expect(ids[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(ids[1]).toBe('mine');
    await expect(http.block('b'.repeat(24))).resolves.toBeUndefined();
    await expect(http.markNotificationsRead({ all: true })).resolves.toBeUndefined();
    expect(JSON.parse(seen.at(-1)?.body ?? '')).toEqual({ all: true });
  });

  it('uploads multipart with one field "file"', async () => {
    reply = () => ({ status: 201, body: { attachment: { id: 'x', name: 'a.txt' } } });
    const http = createHttpClient({ baseUrl, token: 't' });
    const att = await http.upload(new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    expect(att).toMatchObject({ id: 'x' });
    expect(seen[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]?.body).toContain('name="file"; filename="a.txt"');
    expect(seen[0]?.body).toContain('hello');
  });

  it('throws ChatError with code, status, message and details from { error } answers', async () => {
    reply = () => ({
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'bad',
          details: { fields: [{ path: '/title', message: 'x' }] },
        },
      },
    });
    const http = createHttpClient({ baseUrl, token: 't' });
    const err = await http.createGroup({ title: '', memberIds: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      message: 'bad',
      retryable: false,
    });
    expect((err as ChatError).details).toEqual({ fields: [{ path: '/title', message: 'x' }] });
  });

  it('maps foreign error pages by status and reads Retry-After', async () => {
    const http = createHttpClient({ baseUrl, token: 't' });
    reply = () => ({
      status: 502,
      raw: '<html>bad gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    await expect(http.me()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      status: 502,
      retryable: true,
    });
    reply = () => ({
      status: 429,
      body: { error: { code: 'RATE_LIMITED', message: 'slow' } },
      headers: { 'retry-after': '3' },
    });
    await expect(http.login({ username: 'a', password: 'b' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 3000,
    });
  });

  it('reports NETWORK when nothing answers', async () => {
    const http = createHttpClient({ baseUrl: 'http://127.0.0.1:1' });
    await expect(http.me()).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
