import { waitForEvent } from '@chat/testkit';
import { createHmac } from 'node:crypto';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ack, startTestCluster, type ClientSocket, type TestCluster } from './fixtures/cluster.js';

// Tokens are forged by hand (node:crypto HMAC) rather than with jose: the gateway has no
// jose dependency, and hand-made tokens can break the rules jose refuses to (alg "none").

interface ErrorBody {
  code: string;
  message: string;
  details?: { fields?: Array<{ path: string }> };
}
interface UserDto {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

const ISSUER = 'chat-cluster';
const AUDIENCE = 'chat-clients';
const OTHER_SECRET = 'another-secret-0123456789-0123456789-xyz';

let cluster: TestCluster;
let counter = 0;
const run = Date.now().toString(36);
const fresh = (prefix: string): string => `${prefix}_${run}_${counter++}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const opened: ClientSocket[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2 });
});
afterAll(async () => {
  for (const s of opened) s.disconnect();
  await cluster?.close();
});

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with HMAC; `alg: 'none'` gets an empty signature. */
function forge(
  payload: Record<string, unknown>,
  options: { secret?: string; alg?: 'HS256' | 'HS512' | 'none' } = {},
): string {
  const alg = options.alg ?? 'HS256';
  const input = `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}`;
  if (alg === 'none') return `${input}.`;
  const hash = alg === 'HS512' ? 'sha512' : 'sha256';
  return `${input}.${createHmac(hash, options.secret ?? cluster.env.JWT_SECRET!)
    .update(input)
    .digest('base64url')}`;
}

function claims(userId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return { sub: userId, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, ...overrides };
}

/** Connects without the fixture's wait for `session`: resolves with the outcome of the handshake. */
function handshake(
  auth: Record<string, unknown> | undefined,
  node = 0,
): Promise<{ connected: true; socket: ClientSocket } | { connected: false; message: string }> {
  const socket: ClientSocket = connectSocket(cluster.nodes[node]!.url, {
    ...(auth ? { auth } : {}),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  opened.push(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('handshake: neither session nor connect_error within 10 s')),
      10_000,
    );
    socket.once('session', () => {
      clearTimeout(timer);
      resolve({ connected: true, socket });
    });
    socket.once('connect_error', (err: Error) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ connected: false, message: err.message });
    });
  });
}

describe('register and login', () => {
  it('register → 201 { user, accessToken }; the token works for GET /api/users/me', async () => {
    const username = fresh('reg');
    const res = await cluster.http<{ user: UserDto; accessToken: string }>(
      0,
      'POST',
      '/api/auth/register',
      {
        body: { username, password: 'long enough pw', displayName: 'Reggie' },
      },
    );
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username, displayName: 'Reggie' });
    expect(res.body.user.id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash/i);
    const me = await cluster.http<UserDto>(1, 'GET', '/api/users/me', {
      token: res.body.accessToken,
    });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('username rules: 3–32 chars of [a-z0-9_.-], password ≥ 8', async () => {
    const bad: Array<[unknown, string]> = [
      [{ username: 'ab', password: 'long enough pw' }, '/username'],
      [{ username: 'a'.repeat(33), password: 'long enough pw' }, '/username'],
      [{ username: 'has space', password: 'long enough pw' }, '/username'],
      [{ username: 'émile', password: 'long enough pw' }, '/username'],
      [{ username: 'semi;colon', password: 'long enough pw' }, '/username'],
      [{ username: { $ne: '' }, password: 'long enough pw' }, '/username/$ne'],
      [{ username: fresh('pw'), password: 'short' }, '/password'],
      [{ username: fresh('pw') }, '/password'],
      [{ username: fresh('pw'), password: 'long enough pw', isAdmin: true }, '/isAdmin'],
    ];
    for (const [body, path] of bad) {
      const res = await cluster.http<{ error: ErrorBody }>(0, 'POST', '/api/auth/register', {
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details?.fields?.map((f) => f.path)).toContain(path);
    }
    // The edges of the rules are accepted (each cluster has its own database, so these are free).
    for (const username of ['a_1', 'b'.repeat(32), 'x.y-z_0']) {
      const res = await cluster.http(0, 'POST', '/api/auth/register', {
        body: { username, password: '12345678' },
      });
      expect(res.status, username).toBe(201);
    }
  });

  it('usernames are unique case-insensitively → 409 CONFLICT, also across nodes', async () => {
    const username = fresh('Case');
    const first = await cluster.http<{ user: UserDto }>(0, 'POST', '/api/auth/register', {
      body: { username, password: 'long enough pw' },
    });
    expect(first.status).toBe(201);
    expect(first.body.user.username).toBe(username.toLowerCase());
    for (const [node, variant] of [
      [0, username],
      [1, username.toLowerCase()],
      [1, username.toUpperCase()],
    ] as const) {
      const res = await cluster.http<{ error: ErrorBody }>(node, 'POST', '/api/auth/register', {
        body: { username: variant, password: 'other password' },
      });
      expect(res.status, variant).toBe(409);
      expect(res.body.error.code).toBe('CONFLICT');
    }
    // Login is case-insensitive too.
    const login = await cluster.http<{ user: UserDto }>(1, 'POST', '/api/auth/login', {
      body: { username: username.toUpperCase(), password: 'long enough pw' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(first.body.user.id);
  });

  it('login → 200; wrong password and unknown user → 401 with an identical body', async () => {
    const user = await cluster.register(fresh('log'));
    const ok = await cluster.http<{ user: UserDto; accessToken: string }>(
      1,
      'POST',
      '/api/auth/login',
      {
        body: { username: user.username, password: 'correct horse battery' },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    expect(typeof ok.body.accessToken).toBe('string');
    const me = await cluster.http<UserDto>(0, 'GET', '/api/users/me', {
      token: ok.body.accessToken,
    });
    expect(me.body.id).toBe(user.id);

    const wrong = await cluster.http<{ error: ErrorBody }>(0, 'POST', '/api/auth/login', {
      body: { username: user.username, password: 'incorrect horse' },
    });
    const unknown = await cluster.http<{ error: ErrorBody }>(0, 'POST', '/api/auth/login', {
      body: { username: fresh('ghost'), password: 'incorrect horse' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
    expect(unknown.body).toEqual(wrong.body);
    // A short password is still a plain 401, not a 400 that reveals the rules.
    const short = await cluster.http<{ error: ErrorBody }>(0, 'POST', '/api/auth/login', {
      body: { username: user.username, password: 'x' },
    });
    expect(short.status).toBe(401);
    expect(short.body).toEqual(wrong.body);
  });
});

describe('bad tokens are refused on HTTP and on the socket handshake', () => {
  type Case = [name: string, token: (userId: string) => string | undefined];
  const cases: Case[] = [
    ['missing', () => undefined],
    ['empty', () => ''],
    ['garbage', () => 'not-a-jwt'],
    ['garbage with dots', () => 'aaa.bbb.ccc'],
    ['forged signature (other secret)', (id) => forge(claims(id), { secret: OTHER_SECRET })],
    ['alg none', (id) => forge(claims(id), { alg: 'none' })],
    [
      'alg HS512 (not allow-listed) with the right secret',
      (id) => forge(claims(id), { alg: 'HS512' }),
    ],
    ['expired', (id) => forge(claims(id, { iat: nowSeconds() - 3600, exp: nowSeconds() - 60 }))],
    ['wrong audience', (id) => forge(claims(id, { aud: 'someone-else' }))],
    ['wrong issuer', (id) => forge(claims(id, { iss: 'evil-issuer' }))],
    ['missing exp', (id) => forge(claims(id, { exp: undefined }))],
    ['sub not a user id', () => forge(claims('admin'))],
    ['sub of no existing user', () => forge(claims('0123456789abcdef01234567'))],
  ];

  it('a correctly forged token is accepted (the forging helper is right)', async () => {
    const user = await cluster.register(fresh('good'));
    const token = forge(claims(user.id));
    const me = await cluster.http<UserDto>(0, 'GET', '/api/users/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
    const result = await handshake({ token }, 1);
    expect(result.connected).toBe(true);
  });

  it.each(cases)('%s → HTTP 401 UNAUTHENTICATED', async (_name, make) => {
    const user = await cluster.register(fresh('tok'));
    const token = make(user.id);
    const res = await fetch(`${cluster.nodes[0]!.url}/api/users/me`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: ErrorBody };
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(res.headers.get('x-node-id')).toBe(cluster.nodes[0]!.id);
  });

  it.each(cases)('%s → socket connect_error "UNAUTHENTICATED"', async (_name, make) => {
    const user = await cluster.register(fresh('tok'));
    const token = make(user.id);
    const result = await handshake(token === undefined ? undefined : { token }, 1);
    expect(result).toEqual({ connected: false, message: 'UNAUTHENTICATED' });
  });

  it('a non-string token on the handshake → connect_error "UNAUTHENTICATED"', async () => {
    for (const token of [{ $ne: '' }, 42, ['a'], null]) {
      expect(await handshake({ token })).toEqual({ connected: false, message: 'UNAUTHENTICATED' });
    }
  });

  it('Authorization schemes other than Bearer are refused', async () => {
    const user = await cluster.register(fresh('scheme'));
    for (const header of [
      `Basic ${user.token}`,
      `bearer${user.token}`,
      `Bearer ${user.token} extra`,
      user.token,
    ]) {
      const res = await fetch(`${cluster.nodes[1]!.url}/api/users/me`, {
        headers: { authorization: header },
      });
      expect(res.status, header.slice(0, 12)).toBe(401);
    }
  });
});

describe('auth:renew and token expiry on sockets', () => {
  async function login(username: string): Promise<string> {
    const res = await cluster.http<{ accessToken: string }>(1, 'POST', '/api/auth/login', {
      body: { username, password: 'correct horse battery' },
    });
    expect(res.status).toBe(200);
    return res.body.accessToken;
  }

  it("renew with a new token of the same user → { ok: true, exp }; another user's token → UNAUTHENTICATED", async () => {
    const alice = await cluster.register(fresh('ren'));
    const bob = await cluster.register(fresh('ren'));
    const socket = await cluster.connect(alice, 0);
    const exp = nowSeconds() + 1800;
    const renewed = await ack<{ exp: number }>(socket, 'auth:renew', {
      token: forge(claims(alice.id, { exp })),
    });
    expect(renewed).toEqual({ ok: true, exp });
    const viaLogin = await ack<{ exp: number }>(socket, 'auth:renew', {
      token: await login(alice.username),
    });
    expect(viaLogin.ok).toBe(true);
    expect(viaLogin.exp).toBeGreaterThan(nowSeconds());

    const stolen = await ack(socket, 'auth:renew', { token: bob.token });
    expect(stolen.ok).toBe(false);
    expect(stolen.error?.code).toBe('UNAUTHENTICATED');
    for (const token of [
      forge(claims(alice.id), { secret: OTHER_SECRET }),
      forge(claims(alice.id), { alg: 'none' }),
      'junk',
    ]) {
      const res = await ack(socket, 'auth:renew', { token });
      expect(res.ok).toBe(false);
      expect(res.error?.code).toBe('UNAUTHENTICATED');
    }
    // A refused renewal does not end the session.
    expect(socket.connected).toBe(true);
    expect((await ack(socket, 'sync', { cursors: [] })).ok).toBe(true);
  });

  it('a socket whose token expires is disconnected by the server unless it renewed first', async () => {
    const alice = await cluster.register(fresh('exp'));
    // Both tokens expire at the same second; the renewing socket connects first, so its
    // original expiry timer would have fired no later than the other socket's.
    const exp = nowSeconds() + 4;
    const renewing = await cluster.connect(
      { ...alice, token: forge(claims(alice.id, { exp })) },
      0,
    );
    const expiring = await cluster.connect(
      { ...alice, token: forge(claims(alice.id, { exp })) },
      1,
    );
    const renewed = await ack<{ exp: number }>(renewing, 'auth:renew', {
      token: await login(alice.username),
    });
    expect(renewed.ok).toBe(true);
    let renewingDisconnected = false;
    renewing.on('disconnect', () => {
      renewingDisconnected = true;
    });

    const reason = await waitForEvent<string>(expiring, 'disconnect', { timeout: 15_000 });
    expect(reason).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 1000);

    // The renewed socket outlived its original expiry and still answers.
    const answer = await ack(renewing, 'sync', { cursors: [] });
    expect(answer.ok).toBe(true);
    expect(renewingDisconnected).toBe(false);
    expect(renewing.connected).toBe(true);
  });
});

describe('operations endpoints and X-Node-Id', () => {
  it('/healthz and /readyz answer 200 on every node, each with its own X-Node-Id', async () => {
    for (const [i, node] of cluster.nodes.entries()) {
      for (const path of ['/healthz', '/readyz']) {
        const res = await cluster.http(i, 'GET', path);
        expect(res.status, `${node.id}${path}`).toBe(200);
        expect(res.headers.get('x-node-id')).toBe(node.id);
      }
    }
  });

  it('every HTTP response carries X-Node-Id: success, client errors, 404s, auth routes', async () => {
    const user = await cluster.register(fresh('hdr'), 1);
    const responses = await Promise.all([
      cluster.http(1, 'GET', '/api/users/me', { token: user.token }),
      cluster.http(1, 'GET', '/api/users/me'),
      // Outside /api the web UI's client-side routes answer index.html; API misses are 404s.
      cluster.http(1, 'GET', '/api/no/such/route'),
      cluster.http(1, 'POST', '/api/auth/login', { body: { username: 'x', password: 'y' } }),
      cluster.http(1, 'POST', '/api/auth/register', { body: { username: '!' } }),
      cluster.http(1, 'POST', '/api/conversations/direct', {
        token: user.token,
        body: { userId: user.id },
      }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 401, 400, 400]);
    for (const res of responses) expect(res.headers.get('x-node-id')).toBe(cluster.nodes[1]!.id);
  });
});
