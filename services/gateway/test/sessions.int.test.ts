/**
 * Sign-in sessions of docs/PROTOCOL.md#section-7 on two real nodes sharing one Redis and one Mongo: refresh
 * rotation and reuse detection, the devices list, revocation that disconnects a device's
 * sockets on another node, password change, logout, and the SDK keeping a session alive past
 * a short access-token lifetime (ACCESS_TOKEN_TTL_SECONDS=10 for this file).
 */
import {
  createAuthSession,
  createChatClient,
  createHttpClient,
  type ChatClient,
} from '@chat/client';
import { waitFor, waitForEvent } from '@chat/testkit';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCluster, type ClientSocket } from './fixtures/cluster.js';

const TTL_SECONDS = 10;
const PASSWORD = 'correct horse battery';
const cluster = useTestCluster({
  nodes: 2,
  env: { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) },
});
const clients: ChatClient[] = [];
const sockets: ClientSocket[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of sockets) s.disconnect();
});

interface Signed {
  user: { id: string };
  accessToken: string;
  refreshToken: string;
}

async function signUp(username: string, deviceName = 'laptop'): Promise<Signed> {
  const res = await cluster.http<Signed>(0, 'POST', '/api/auth/register', {
    body: { username, password: PASSWORD, deviceName },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function signIn(username: string, deviceName: string, node = 0): Promise<Signed> {
  const res = await cluster.http<Signed>(node, 'POST', '/api/auth/login', {
    body: { username, password: PASSWORD, deviceName },
  });
  expect(res.status).toBe(200);
  return res.body;
}

const refresh = (refreshToken: string, node = 0) =>
  cluster.http<Signed & { error?: { code: string } }>(node, 'POST', '/api/auth/refresh', {
    body: { refreshToken },
  });

/** A socket of the fixture (closed with the cluster), authenticated with this token. */
const socketOf = (token: string, node: number): Promise<ClientSocket> =>
  cluster.connect({ id: '', username: '', token }, node);

/** Resolves with the connect_error message of a fresh handshake, or 'connected'. */
async function handshake(token: string, node: number): Promise<string> {
  const socket: ClientSocket = connectSocket(cluster.nodes[node]!.url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('session', () => resolve('connected'));
    socket.once('connect_error', (err: Error) => resolve(err.message));
  });
}

describe('refresh tokens (rotation, reuse)', () => {
  it('register/login return an opaque refresh token; each refresh rotates it', async () => {
    const a = await signUp('sess_rot');
    expect(a.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const first = await refresh(a.refreshToken, 1);
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(a.refreshToken);
    // The new access token works on the other node.
    const me = await cluster.http<{ id: string }>(0, 'GET', '/api/users/me', {
      token: first.body.accessToken,
    });
    expect(me.body.id).toBe(a.user.id);
    // Stored hashed: neither token appears in the database.
    const stored = JSON.stringify(
      await cluster.nodes[0]!.deps.store.sessions.tokens.find({}).toArray(),
    );
    expect(stored).not.toContain(a.refreshToken);
    expect(stored).not.toContain(first.body.refreshToken);
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
  });

  it('a reused refresh token revokes the whole family: the newest token and its access token die', async () => {
    const a = await signUp('sess_reuse');
    const rotated = await refresh(a.refreshToken);
    expect(rotated.status).toBe(200);
    const victim = await socketOf(rotated.body.accessToken, 1);
    const dropped = waitForEvent(victim, 'disconnect', { timeout: 5000 });

    const replay = await refresh(a.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.error?.code).toBe('UNAUTHENTICATED');
    expect((await refresh(rotated.body.refreshToken)).status).toBe(401);
    await dropped;
    const me = await cluster.http(0, 'GET', '/api/users/me', { token: rotated.body.accessToken });
    expect(me.status).toBe(401);
    expect(await handshake(rotated.body.accessToken, 0)).toBe('UNAUTHENTICATED');
  });

  it('unknown and malformed refresh tokens are 401 / 400', async () => {
    expect((await refresh('x'.repeat(43))).status).toBe(401);
    expect((await refresh('')).status).toBe(400);
    const extra = await cluster.http(0, 'POST', '/api/auth/refresh', {
      body: { refreshToken: 'a', $where: 1 },
    });
    expect(extra.status).toBe(400);
  });

  it('logout ends the session; logging out twice is fine', async () => {
    const a = await signUp('sess_logout');
    const out = await cluster.http(0, 'POST', '/api/auth/logout', {
      body: { refreshToken: a.refreshToken },
    });
    expect(out.status).toBe(204);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    expect((await cluster.http(0, 'GET', '/api/users/me', { token: a.accessToken })).status).toBe(
      401,
    );
    const again = await cluster.http(0, 'POST', '/api/auth/logout', {
      body: { refreshToken: a.refreshToken },
    });
    expect(again.status).toBe(204);
  });
});

describe('devices', () => {
  it('lists the sessions with the current one marked; revoking one disconnects it on another node within 5 s', async () => {
    const laptop = await signUp('sess_dev', 'laptop');
    const phone = await signIn('sess_dev', 'phone', 1);
    const list = await cluster.http<{
      sessions: { id: string; deviceName: string; current: boolean; lastUsedAt: string }[];
    }>(0, 'GET', '/api/users/me/sessions', { token: laptop.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.sessions.map((s) => [s.deviceName, s.current]).sort()).toEqual([
      ['laptop', true],
      ['phone', false],
    ]);
    const phoneSession = list.body.sessions.find((s) => s.deviceName === 'phone')!;

    const phoneSocket = await socketOf(phone.accessToken, 1);
    const laptopSocket = await socketOf(laptop.accessToken, 0);
    const started = Date.now();
    const dropped = waitForEvent<string>(phoneSocket, 'disconnect', { timeout: 5000 });
    const del = await cluster.http(0, 'DELETE', `/api/users/me/sessions/${phoneSession.id}`, {
      token: laptop.accessToken,
    });
    expect(del.status).toBe(204);
    expect(await dropped).toBe('io server disconnect');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(laptopSocket.connected).toBe(true);
    // The revoked device cannot come back with what it holds.
    expect(await handshake(phone.accessToken, 1)).toBe('UNAUTHENTICATED');
    expect((await refresh(phone.refreshToken)).status).toBe(401);
    // Someone else's session, or one already ended: NOT_FOUND.
    const again = await cluster.http(0, 'DELETE', `/api/users/me/sessions/${phoneSession.id}`, {
      token: laptop.accessToken,
    });
    expect(again.status).toBe(404);
    const stranger = await signUp('sess_stranger');
    const foreign = await cluster.http(0, 'DELETE', `/api/users/me/sessions/${phoneSession.id}`, {
      token: stranger.accessToken,
    });
    expect(foreign.status).toBe(404);
  });

  it('"sign out all other devices" keeps only the current one', async () => {
    const a = await signUp('sess_others', 'a');
    const b = await signIn('sess_others', 'b', 1);
    const c = await signIn('sess_others', 'c', 0);
    const bSocket = await socketOf(b.accessToken, 1);
    const cSocket = await socketOf(c.accessToken, 0);
    const drops = [bSocket, cSocket].map((s) => waitForEvent(s, 'disconnect', { timeout: 5000 }));
    const res = await cluster.http(1, 'DELETE', '/api/users/me/sessions?others=true', {
      token: a.accessToken,
    });
    expect(res.status).toBe(204);
    await Promise.all(drops);
    const list = await cluster.http<{ sessions: { deviceName: string }[] }>(
      0,
      'GET',
      '/api/users/me/sessions',
      { token: a.accessToken },
    );
    expect(list.body.sessions.map((s) => s.deviceName)).toEqual(['a']);
    // Only the documented form: no "delete all including me" without the flag.
    const bare = await cluster.http(0, 'DELETE', '/api/users/me/sessions', {
      token: a.accessToken,
    });
    expect(bare.status).toBe(400);
  });

  it('a password change signs out every other device; the old password stops working', async () => {
    const a = await signUp('sess_pw', 'desk');
    const b = await signIn('sess_pw', 'tablet', 1);
    const bSocket = await socketOf(b.accessToken, 1);
    const dropped = waitForEvent(bSocket, 'disconnect', { timeout: 5000 });
    const wrong = await cluster.http<{ error: { code: string } }>(
      0,
      'POST',
      '/api/users/me/password',
      {
        token: a.accessToken,
        body: { currentPassword: 'nope nope', newPassword: 'new secret 123' },
      },
    );
    expect(wrong.status).toBe(403);
    const short = await cluster.http(0, 'POST', '/api/users/me/password', {
      token: a.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    const ok = await cluster.http(0, 'POST', '/api/users/me/password', {
      token: a.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'new secret 123' },
    });
    expect(ok.status).toBe(204);
    await dropped;
    expect((await refresh(b.refreshToken)).status).toBe(401);
    expect((await refresh(a.refreshToken)).status).toBe(200);
    const oldLogin = await cluster.http(0, 'POST', '/api/auth/login', {
      body: { username: 'sess_pw', password: PASSWORD },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await cluster.http(0, 'POST', '/api/auth/login', {
      body: { username: 'sess_pw', password: 'new secret 123' },
    });
    expect(newLogin.status).toBe(200);
  });
});

describe('the SDK keeps a session alive past the access-token lifetime', () => {
  it(`renews over HTTP and the socket (auth:renew) before a ${TTL_SECONDS} s token expires`, async () => {
    const a = await signUp('sess_sdk');
    const b = await signUp('sess_sdk_peer');
    const url = cluster.nodes[0]!.url;
    const session = createAuthSession({
      baseUrl: url,
      tokens: a,
      // Renew 4 s early: well before the server's expiry disconnect.
      renewBeforeMs: 4000,
    });
    const renewed: string[] = [];
    session.on('tokens', (t) => renewed.push(t.accessToken));
    const http = createHttpClient({ baseUrl: url, session });
    const chat = createChatClient({ url, session, transports: ['websocket'] });
    clients.push(chat);
    const states: string[] = [];
    chat.on('state', (s) => states.push(s));
    await chat.connect();
    const conv = await http.openDirect(b.user.id);

    // Past the first token's expiry (+ the 5 s verification tolerance would not matter: the
    // socket's own expiry timer uses exp exactly).
    await waitFor(() => renewed.length >= 2, { timeout: 3 * TTL_SECONDS * 1000 });
    expect(chat.state).toBe('connected');
    expect(states).not.toContain('reconnecting');
    const sent = await chat.send({ conversationId: conv.id, text: 'still here' });
    expect(sent.seq).toBe(1);
    expect((await http.me()).id).toBe(a.user.id);
    session.close();
  });

  it('retries a 401 once after a refresh, and reports a dead session as expired', async () => {
    const a = await signUp('sess_sdk401');
    const url = cluster.nodes[1]!.url;
    // An access token that is refused (its session was rotated by the pair given below):
    // simulate a stale token by handing the SDK a garbage access token with a live refresh token.
    const session = createAuthSession({
      baseUrl: url,
      tokens: { accessToken: 'not-a-jwt', refreshToken: a.refreshToken },
    });
    const http = createHttpClient({ baseUrl: url, session });
    expect((await http.me()).id).toBe(a.user.id);
    expect(session.accessToken).not.toBe('not-a-jwt');

    const expired = new Promise<string>((resolve) => session.on('expired', (e) => resolve(e.code)));
    const chat = createChatClient({ url, session, transports: ['websocket'] });
    clients.push(chat);
    await chat.connect();
    // Signed out elsewhere: the socket drops, the refresh is refused, the client closes.
    await cluster.http(0, 'POST', '/api/auth/logout', {
      body: { refreshToken: session.refreshToken },
    });
    expect(await expired).toBe('UNAUTHENTICATED');
    await waitFor(() => chat.state === 'closed', { timeout: 10_000 });
    await expect(http.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
