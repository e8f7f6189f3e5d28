/**
 * The connect path's admission (presence-lifecycle + create-io) on two real Socket.IO
 * nodes sharing one real Redis and Mongo, wired directly rather than through app.ts so
 * the per-user cap can be set here. The cap is decided in the presence connect script:
 * no cross-node request, and concurrent handshakes cannot overshoot it.
 */
import { createTokenService } from '@chat/auth';
import { createLogger } from '@chat/core';
import { createPresenceKeys, createPresenceStore } from '@chat/presence';
import { connectMongo, type MongoStore, type UserDoc } from '@chat/store';
import { waitFor } from '@chat/testkit';
import { useRedisAndMongo } from '@chat/testkit/vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connectSocket, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../src/domain/auth.service.js';
import { hex, oid } from '../src/domain/ids.js';
import { createPresenceService } from '../src/domain/presence.service.js';
import { attachRealtime, createSocketServer } from '../src/realtime/create-io.js';
import { createIoFanout } from '../src/realtime/io-fanout.js';
import { createRevokedSessions } from '../src/redis-state/revoked-sessions.js';
import { createSessionsService } from '../src/domain/sessions/sessions.service.js';
import { createPresenceLifecycle } from '../src/realtime/presence-lifecycle.js';
import type { ChatServer } from '../src/realtime/types.js';

const MAX_SOCKETS = 3;
const SECRET = 'admission-test-secret-0123456789-abcdef';
/** Every test user shares this conversation, so presence events reach the other members. */
const CONVERSATION = 'c0ffee0000000000000000aa';

const logger = createLogger({ name: 'admission-test', level: 'silent' });
const tokens = createTokenService({
  secret: SECRET,
  issuer: 'chat-test',
  audience: 'chat-test',
  accessTokenTtlSeconds: 600,
});

/** The auth service as app.ts builds it, on one node's Redis and Socket.IO server. */
function authOn(redis: Redis, io: ChatServer) {
  const sessions = createSessionsService({
    store,
    tokens,
    revoked: createRevokedSessions({ redis, prefix, markTtlSeconds: 660 }),
    fanout: createIoFanout(io),
    logger,
    refreshTtlSeconds: 3600,
  });
  return createAuthService({ store, tokens, sessions });
}

interface Node {
  url: string;
  io: ChatServer;
  http: HttpServer;
  redis: Redis[];
  close(): Promise<void>;
}

const servers = useRedisAndMongo();
let store: MongoStore;
let prefix: string;
let nodes: Node[] = [];
/** A third middleware after admission refuses these user ids (the old guard's place). */
const refusedLater = new Set<string>();
const clients: ClientSocket[] = [];

async function startNode(nodeId: string): Promise<Node> {
  const [redis, pub, sub] = [0, 1, 2].map(() => new Redis(servers.redis.url)) as [
    Redis,
    Redis,
    Redis,
  ];
  const http = createServer();
  const io = createSocketServer({
    httpServer: http,
    pubClient: pub,
    subClient: sub,
    adapter: 'classic',
    nodeId,
    pingIntervalMs: 25_000,
    pingTimeoutMs: 20_000,
    maxFrameBytes: 1_000_000,
  });
  const service = createPresenceService({
    presence: createPresenceStore({ redis, prefix }),
    store,
    fanout: createIoFanout(io),
    logger,
    graceMs: 50,
  });
  const lifecycle = createPresenceLifecycle({
    service,
    redis,
    nodeId,
    flushMs: 5_000,
    isDraining: () => false,
    maxSocketsPerUser: MAX_SOCKETS,
    logger,
  });
  attachRealtime(io, {
    auth: authOn(redis, io),
    nodeId,
    logger,
    conversationIdsOf: async (userId) =>
      (await store.memberships.listConversationIdsOfUser(oid(userId))).map(hex),
    handlers: [],
    lifecycle: [lifecycle],
  });
  io.use((socket, next) => {
    next(refusedLater.has(socket.data.userId) ? new Error('FORBIDDEN') : undefined);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    http,
    redis: [redis, pub, sub],
    async close() {
      lifecycle.close();
      await io.close();
      for (const r of [redis, pub, sub]) r.disconnect();
    },
  };
}

beforeAll(async () => {
  const { mongo } = servers;
  store = await connectMongo({ url: mongo.url, dbName: mongo.databaseName, logger });
  await store.ensureIndexes();
  prefix = `adm-${randomUUID()}:`;
  nodes = [await startNode('node-a'), await startNode('node-b')];
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const n of nodes) await n.close();
  // useRedisAndMongo's afterAll, registered first, runs after this one (hooks unwind as a stack).
  await store?.close();
});

async function newUser(name: string): Promise<{ id: string; token: string }> {
  const doc = await store.users.create({
    username: `${name}-${randomUUID().slice(0, 8)}`,
    passwordHash: 'x',
  });
  await store.memberships.add(oid(CONVERSATION), { userId: doc._id, role: 'member' });
  const id = doc._id.toHexString();
  return {
    id,
    token: (await tokens.signAccessToken({ userId: id, username: doc.username })).token,
  };
}

function open(token: string, node: number): ClientSocket {
  const socket = connectSocket(nodes[node]!.url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  clients.push(socket);
  return socket;
}

type Outcome = { session: true } | { session: false; message: string; data: unknown };

function outcome(socket: ClientSocket): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('neither session nor connect_error')), 10_000);
    socket.once('session', () => {
      clearTimeout(timer);
      resolve({ session: true });
    });
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      clearTimeout(timer);
      resolve({ session: false, message: err.message, data: err.data });
    });
  });
}

const leases = (userId: string): Promise<number> =>
  nodes[0]!.redis[0]!.zcard(createPresenceKeys(prefix).user(userId));

describe('connect admission with MAX_SOCKETS_PER_USER', () => {
  it('concurrent handshakes of one user on two nodes: exactly the cap gets in, the rest get RATE_LIMITED', async () => {
    const user = await newUser('storm');
    const sockets = Array.from({ length: 12 }, (_, i) => open(user.token, i % 2));
    const results = await Promise.all(sockets.map(outcome));
    expect(results.filter((r) => r.session)).toHaveLength(MAX_SOCKETS);
    const refused = results.filter((r) => !r.session);
    expect(refused).toHaveLength(12 - MAX_SOCKETS);
    for (const r of refused) {
      expect(r).toEqual({
        session: false,
        message: 'RATE_LIMITED',
        data: {
          code: 'RATE_LIMITED',
          message: 'Too many connections for this user',
          maxSockets: MAX_SOCKETS,
        },
      });
    }
    expect(await leases(user.id)).toBe(MAX_SOCKETS);
    const live = await nodes[0]!.io.in(`user:${user.id}`).fetchSockets();
    expect(live).toHaveLength(MAX_SOCKETS);
  });

  it('a disconnect frees its slot for the next device', async () => {
    const user = await newUser('slots');
    const first = open(user.token, 0);
    for (let i = 0; i < MAX_SOCKETS; i++)
      expect(await outcome(i === 0 ? first : open(user.token, i % 2))).toEqual({ session: true });
    expect((await outcome(open(user.token, 1))).session).toBe(false);
    first.disconnect();
    await waitFor(async () => (await leases(user.id)) === MAX_SOCKETS - 1);
    expect(await outcome(open(user.token, 1))).toEqual({ session: true });
  });

  it('a socket admitted but refused by a later middleware leaves no lease behind', async () => {
    const user = await newUser('later');
    refusedLater.add(user.id);
    const results = await Promise.all([0, 1, 0].map((n) => outcome(open(user.token, n))));
    expect(results.map((r) => !r.session && r.message)).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'FORBIDDEN',
    ]);
    // The client gives up after connect_error and closes the transport: that releases it.
    await waitFor(async () => (await leases(user.id)) === 0);
    refusedLater.delete(user.id);
    expect(await outcome(open(user.token, 0))).toEqual({ session: true });
  });

  it('announces online once per user (not per device) to the conversation, and offline after the last device', async () => {
    const watcher = await newUser('watcher');
    expect(await outcome(open(watcher.token, 0))).toEqual({ session: true });
    const events: unknown[] = [];
    const user = await newUser('multi');
    // Other tests' users come and go in the same conversation: watch only this one.
    clients[0]!.on('presence', (p: { userId: string }) => {
      if (p.userId === user.id) events.push(p);
    });

    const phone = open(user.token, 1);
    expect(await outcome(phone)).toEqual({ session: true });
    const laptop = open(user.token, 0);
    expect(await outcome(laptop)).toEqual({ session: true });
    phone.disconnect();
    laptop.disconnect();
    await waitFor(() => events.length >= 2);
    expect(events).toEqual([
      { userId: user.id, online: true, devices: 1 },
      expect.objectContaining({ userId: user.id, online: false, devices: 0 }),
    ]);
  });

  it('user lookups: a token for a user that does not exist is refused, concurrent ones share one query, known users are cached', async () => {
    const ghost = await tokens.signAccessToken({ userId: '0123456789abcdef01234567' });
    expect(await outcome(open(ghost.token, 0))).toMatchObject({
      session: false,
      message: 'UNAUTHENTICATED',
    });
    const auth = authOn(nodes[0]!.redis[0]!, nodes[0]!.io);
    const users = await Promise.all([1, 2, 3, 4].map((i) => newUser(`batch${i}`)));
    // Concurrent calls (one batch) with a missing id among them: each caller gets its own answer.
    const answers = await Promise.allSettled([
      ...users.map((u) => auth.identify(u.token)),
      auth.identify(ghost.token),
    ]);
    expect(
      answers.slice(0, 4).map((a) => a.status === 'fulfilled' && a.value.identity?.userId),
    ).toEqual(users.map((u) => u.id));
    expect(answers[4]).toMatchObject({ status: 'rejected', reason: { code: 'UNAUTHENTICATED' } });
    // Once known, a user is answered from memory: removing it behind the service's back
    // (the product never deletes users) does not reach the cache within its lifetime.
    await store.db.collection<UserDoc>('users').deleteOne({ _id: oid(users[0]!.id) });
    expect((await auth.identify(users[0]!.token)).identity?.userId).toBe(users[0]!.id);
    expect(
      await authOn(nodes[0]!.redis[0]!, nodes[0]!.io)
        .identify(users[0]!.token)
        .catch((e: unknown) => e),
    ).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});
