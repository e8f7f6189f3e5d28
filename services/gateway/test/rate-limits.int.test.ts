import type { Conversation } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ack,
  startNode,
  useTestCluster,
  type ClientSocket,
  type TestNode,
  type TestUser,
} from './fixtures/cluster.js';

/**
 * Tight limits on a 3-node cluster. Every test speaks from its own client IP through
 * X-Forwarded-For (127.0.0.1 is a trusted proxy by default), so budgets do not leak
 * between tests.
 */
const TIGHT = {
  RATE_SOCKET_BURST: '20',
  RATE_SOCKET_PER_SEC: '10',
  RATE_SOCKET_FLOOD_DISCONNECT: '30',
  RATE_MESSAGES_PER_WINDOW: '30',
  RATE_MESSAGES_WINDOW_MS: '10s',
  RATE_LOGIN_PER_IP_USERNAME: '5',
  RATE_LOGIN_PER_IP: '12',
  RATE_REGISTER_PER_HOUR: '6',
  RATE_HTTP_PER_IP: '80',
  RATE_HTTP_PER_USER: '40',
  RATE_CONNECT_PER_IP_PER_MIN: '10',
  MAX_SOCKETS_PER_USER: '3',
};

const cluster = useTestCluster({ nodes: 3, env: TIGHT });
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;
let ipCounter = 0;
/** A fresh documentation-range client address per call (RFC 5737). */
const freshIp = () => `203.0.113.${++ipCounter}`;
const sockets: ClientSocket[] = [];

afterAll(async () => {
  for (const s of sockets) s.disconnect();
});

async function register(username: string, ip = freshIp()): Promise<TestUser> {
  const res = await cluster.http<{ user: { id: string }; accessToken: string }>(
    0,
    'POST',
    '/api/auth/register',
    {
      body: { username, password: 'correct horse battery' },
      headers: { 'x-forwarded-for': ip },
    },
  );
  if (res.status !== 201)
    throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.accessToken };
}

function rawSocket(user: TestUser, node: number, ip = freshIp()): ClientSocket {
  const socket: ClientSocket = connectSocket(cluster.nodes[node]!.url, {
    auth: { token: user.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { 'x-forwarded-for': ip },
  });
  sockets.push(socket);
  return socket;
}

async function connect(user: TestUser, node: number, ip?: string): Promise<ClientSocket> {
  const socket = rawSocket(user, node, ip);
  await waitForEvent(socket, 'session', { timeout: 10_000 });
  return socket;
}

function login(username: string, password: string, ip: string, node = 0) {
  return cluster.http<{
    error?: { code: string; message: string; details?: { retryAfterMs?: number } };
  }>(node, 'POST', '/api/auth/login', {
    body: { username, password },
    headers: { 'x-forwarded-for': ip },
  });
}

describe('messages per user, across devices and nodes', () => {
  it('one user flooding from three devices on three nodes at once gets exactly the window budget', async () => {
    const alice = await register(name('flood'));
    const bob = await register(name('peer'));
    const conv = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice.token,
      body: { userId: bob.id },
    });
    const devices = await Promise.all([0, 1, 2].map((node) => connect(alice, node)));

    // 45 sends (15 per device, inside each socket's burst of 20) against a budget of 30.
    const acks = await Promise.all(
      devices.flatMap((socket, d) =>
        Array.from({ length: 15 }, (_, i) =>
          ack(socket, 'message:send', {
            conversationId: conv.body.id,
            clientMsgId: `d${d}-${i}`,
            text: `m ${d} ${i}`,
          }),
        ),
      ),
    );
    const ok = acks.filter((a) => a.ok);
    const limited = acks.filter((a) => !a.ok);
    expect(ok).toHaveLength(30);
    expect(limited).toHaveLength(15);
    for (const a of limited) {
      expect(a.error?.code).toBe('RATE_LIMITED');
      const retryAfterMs = (a.error?.details as { retryAfterMs?: number } | undefined)
        ?.retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(10_000);
    }
    // Nothing refused was stored: exactly 30 messages exist.
    const history = await cluster.http<{ messages: unknown[] }>(
      1,
      'GET',
      `/api/conversations/${conv.body.id}/messages?limit=100`,
      {
        token: alice.token,
      },
    );
    expect(history.body.messages).toHaveLength(30);
    // Still refused from any device while the window lasts (the socket buckets have room left).
    const late = devices[0]!;
    const again = await ack(late, 'message:send', {
      conversationId: conv.body.id,
      clientMsgId: 'late',
      text: 'late',
    });
    expect(again.error?.code).toBe('RATE_LIMITED');
  });

  it('HTTP POST messages draws from the same budget', async () => {
    const alice = await register(name('http'));
    const bob = await register(name('peer'));
    const conv = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice.token,
      body: { userId: bob.id },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await cluster.http(i % 3, 'POST', `/api/conversations/${conv.body.id}/messages`, {
        token: alice.token,
        body: { clientMsgId: `h${i}`, text: `t${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(30);
    expect(statuses.slice(30)).toEqual([429, 429]);
  });
});

describe('events per socket', () => {
  it('a burst over the bucket is refused with RATE_LIMITED; ack-less refusals arrive as `error`', async () => {
    const user = await register(name('burst'));
    const socket = await connect(user, 1);
    const acks = await Promise.all(
      Array.from({ length: 30 }, () => ack(socket, 'presence:query', { userIds: [] })),
    );
    const refused = acks.filter((a) => a.error?.code === 'RATE_LIMITED');
    // 20 burst (+ maybe one refilled token while the 30 were in flight).
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(20);
    expect(acks.filter((a) => a.ok).length).toBeLessThanOrEqual(22);
    expect(refused.length).toBe(30 - acks.filter((a) => a.ok).length);
    const error = waitForEvent<{ event: string; code: string }>(socket, 'error');
    socket.emit('presence:query', { userIds: [] });
    expect(await error).toMatchObject({ event: 'presence:query', code: 'RATE_LIMITED' });
    // Sustained rate: the bucket refills at 10/s, so the socket works again shortly.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await ack(socket, 'presence:query', { userIds: [] })).ok).toBe(true);
  });

  it('a socket that keeps flooding after RATE_LIMITED is disconnected; other sockets of the user are not', async () => {
    const user = await register(name('flooder'));
    const flooder = await connect(user, 2);
    const calm = await connect(user, 0);
    const gone = waitForEvent<string>(flooder, 'disconnect', { timeout: 10_000 });
    // Unknown events count too: a flood cannot hide behind names with no handler.
    for (let i = 0; i < 200; i++)
      flooder.emit(i % 2 ? 'no:such:event' : 'typing:start', { conversationId: 'x' });
    expect(await gone).toBe('io server disconnect');
    expect((await ack(calm, 'presence:query', { userIds: [] })).ok).toBe(true);
  });
});

describe('connections', () => {
  it('at most MAX_SOCKETS_PER_USER sockets per user across the cluster', async () => {
    const user = await register(name('many'));
    await connect(user, 0);
    await connect(user, 1);
    await connect(user, 2);
    const fourth = rawSocket(user, 1);
    const err = await waitForEvent<Error & { data?: { code?: string } }>(fourth, 'connect_error');
    expect(err.message).toBe('RATE_LIMITED');
    expect(err.data?.code).toBe('RATE_LIMITED');
  });

  it('handshakes per IP are limited on both transports, other IPs unaffected', async () => {
    const user = await register(name('reconnector'));
    const ip = freshIp();
    const live = async () =>
      (await cluster.nodes[0]!.gateway.io.in(`user:${user.id}`).fetchSockets()).length;
    for (let i = 0; i < 10; i++) {
      const s = await connect(user, i % 3, ip);
      s.disconnect();
      // Stay under MAX_SOCKETS_PER_USER: this test is about handshakes per IP.
      await waitFor(async () => (await live()) === 0);
    }
    for (const transports of [['websocket'], ['polling']] as const) {
      const refused: ClientSocket = connectSocket(cluster.nodes[0]!.url, {
        auth: { token: user.token },
        transports: [...transports],
        reconnection: false,
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': ip },
      });
      sockets.push(refused);
      await waitForEvent(refused, 'connect_error');
      expect(refused.connected).toBe(false);
    }
    const other = await connect(user, 0);
    expect(other.connected).toBe(true);
  });
});

describe('login and register (docs/PROTOCOL.md#section-4)', () => {
  it('brute force on one account is limited; an unknown user gets the same answer as a wrong password', async () => {
    const ip = freshIp();
    const victim = await register(name('victim'));
    const ghost = name('ghost');
    const known: Array<{ status: number; body: unknown; ms: number }> = [];
    const unknown: Array<{ status: number; body: unknown; ms: number }> = [];
    for (let i = 0; i < 5; i++) {
      for (const [username, into] of [
        [victim.username, known],
        [ghost, unknown],
      ] as const) {
        const start = performance.now();
        const res = await login(username, `wrong-password-${i}`, ip);
        into.push({ status: res.status, body: res.body, ms: performance.now() - start });
      }
    }
    for (let i = 0; i < 5; i++) {
      expect(known[i]!.status).toBe(401);
      expect(unknown[i]!.status).toBe(401);
      expect(unknown[i]!.body).toEqual(known[i]!.body);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const knownMs = median(known.map((k) => k.ms));
    const unknownMs = median(unknown.map((k) => k.ms));
    // Both pay one password hash; only a gross difference would reveal which users exist.
    expect(Math.max(knownMs, unknownMs) / Math.min(knownMs, unknownMs)).toBeLessThan(3);

    // The 6th try on each name is refused, even with the right password, with Retry-After.
    for (const username of [victim.username, ghost]) {
      const res = await login(username, 'correct horse battery', ip, 2);
      expect(res.status).toBe(429);
      expect(res.body.error?.code).toBe('RATE_LIMITED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body.error?.details?.retryAfterMs).toBeGreaterThan(0);
    }
    // The account itself is not locked for everyone: another IP logs in.
    expect((await login(victim.username, 'correct horse battery', freshIp())).status).toBe(200);
  });

  it('one IP spraying many usernames hits the per-IP limit', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++)
      statuses.push((await login(name('spray'), 'wrong-password', ip, i % 3)).status);
    expect(statuses.slice(0, 12).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(12)).toEqual([429, 429]);
  });

  it('a successful login gives its attempt back (a user who logs in often is never locked out)', async () => {
    const ip = freshIp();
    const user = await register(name('regular'));
    for (let i = 0; i < 8; i++)
      expect((await login(user.username, 'correct horse battery', ip)).status).toBe(200);
  });

  it('registrations per IP per hour', async () => {
    const ip = freshIp();
    for (let i = 0; i < 6; i++) await register(name('reg'), ip);
    const res = await cluster.http<{ error: { code: string } }>(1, 'POST', '/api/auth/register', {
      body: { username: name('reg'), password: 'correct horse battery' },
      headers: { 'x-forwarded-for': ip },
    });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
  });
});

describe('HTTP requests', () => {
  it('per user across nodes and IPs → 429 with Retry-After and a coded body', async () => {
    const user = await register(name('busy'));
    const statuses: number[] = [];
    let last:
      | Awaited<
          ReturnType<
            typeof cluster.http<{ error?: { code: string; details?: { retryAfterMs: number } } }>
          >
        >
      | undefined;
    for (let i = 0; i < 42; i++) {
      last = await cluster.http(i % 3, 'GET', '/api/users/me', {
        token: user.token,
        headers: { 'x-forwarded-for': freshIp() },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(40)).toEqual([429, 429]);
    expect(last?.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('the HTTP forms of socket events (bots, docs/PROTOCOL.md#section-7) draw from the same per-user limit', async () => {
    const bot = await register(name('bot'));
    const group = await cluster.http<Conversation>(0, 'POST', '/api/conversations/group', {
      token: bot.token,
      body: { title: 'bots', memberIds: [] },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(group.status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) {
      const res = await cluster.http(i % 3, 'POST', `/api/conversations/${group.body.id}/read`, {
        token: bot.token,
        body: { seq: 0 },
        headers: { 'x-forwarded-for': freshIp() },
      });
      statuses.push(res.status);
    }
    // 40 per window, the group creation included.
    expect(statuses.slice(0, 39).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(39)).toEqual([429, 429]);
  });

  it('per IP, counted before authentication (bad tokens and unknown routes count)', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 82; i++) {
      const res = await cluster.http(i % 3, 'GET', i % 2 ? '/api/users/me' : '/api/nowhere', {
        token: 'garbage',
        headers: { 'x-forwarded-for': ip },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 80).every((s) => s === 401 || s === 404)).toBe(true);
    expect(statuses.slice(80)).toEqual([429, 429]);
    // Health checks are never limited.
    expect(
      (await cluster.http(0, 'GET', '/healthz', { headers: { 'x-forwarded-for': ip } })).status,
    ).toBe(200);
  });
});

describe('X-Forwarded-For from an untrusted peer', () => {
  let strict: TestNode;
  beforeAll(async () => {
    // Same Redis/Mongo, but this node trusts only a balancer address the test is not.
    strict = await startNode('strict', {
      ...cluster.env,
      TRUST_PROXY: '192.0.2.1',
      RATE_HTTP_PER_IP: '10000',
      RATE_LOGIN_PER_IP: '3',
    });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('a forged header does not change the IP used for limits', async () => {
    const attempt = (i: number) =>
      fetch(`${strict.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ username: `nobody${i}`, password: 'wrong-password' }),
      }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await attempt(i));
    // Every attempt counted under 127.0.0.1 despite five different forged addresses.
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
