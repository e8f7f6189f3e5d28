import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPresenceStore } from '@chat/presence';
import { rooms, type PresenceEvent } from '@chat/protocol';
import { createAdapterFactory } from '@chat/redis';
import { connectMongo, type MongoStore } from '@chat/store';
import {
  startMongo,
  startRedis,
  startWorker,
  waitForEvent,
  waitFor,
  type ManagedProcess,
  type RedisServer,
} from '@chat/testkit';
import { Redis } from 'ioredis';
import { ObjectId } from 'mongodb';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redisServer: RedisServer;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let store: MongoStore;
let redis: Redis;
let pub: Redis;
let sub: Redis;
let ioServer: Server;
let port: number;
const clients: Socket[] = [];
let worker: ManagedProcess | undefined;

/** A client whose socket the test server puts in the given rooms (as the gateway would, with the gateway's adapter). */
async function clientInRooms(rooms: string[]): Promise<Socket> {
  const socket = connectClient(`http://127.0.0.1:${port}`, {
    auth: { rooms },
    transports: ['websocket'],
  });
  clients.push(socket);
  await waitForEvent(socket, 'joined');
  return socket;
}

beforeAll(async () => {
  [redisServer, mongo] = await Promise.all([startRedis(), startMongo()]);
  store = await connectMongo({ url: mongo.url, dbName: mongo.databaseName });
  redis = new Redis(redisServer.url);
  pub = new Redis(redisServer.url);
  // No ready check on a subscriber: a subscribe before it turns it deaf (redis/ioredis#2037).
  sub = pub.duplicate({ enableReadyCheck: false });
  const http = createServer();
  ioServer = new Server(http, { adapter: createAdapterFactory('classic', pub, sub) });
  ioServer.on('connection', (socket) => {
    const { rooms } = socket.handshake.auth as { rooms: string[] };
    void socket.join(rooms);
    socket.emit('joined');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  await worker?.stop();
  for (const c of clients) c.disconnect();
  if (ioServer) await new Promise((resolve) => ioServer.close(resolve));
  for (const r of [redis, pub, sub]) r?.disconnect();
  await store?.close();
  await mongo?.close();
  await redisServer?.stop();
});

describe('presence sweep', () => {
  it('reports a user whose connection expired to the rooms of their conversations and stores lastSeen', async () => {
    const alice = await store.users.create({ username: 'alice' });
    const bob = await store.users.create({ username: 'bob' });
    const convAlice = new ObjectId();
    const convBob = new ObjectId();
    await store.memberships.add(convAlice, { userId: alice._id, role: 'member' });
    await store.memberships.add(convBob, { userId: bob._id, role: 'member' });

    const watchesAlice = await clientInRooms([rooms.conversation(convAlice.toHexString())]);
    const watchesBob = await clientInRooms([
      rooms.conversation(convBob.toHexString()),
      rooms.conversation('unrelated'),
    ]);
    const seenByAliceWatcher: PresenceEvent[] = [];
    watchesAlice.on('presence', (e: PresenceEvent) => seenByAliceWatcher.push(e));

    worker = await startWorker({
      REDIS_URL: redisServer.url,
      // The stand-in gateway above runs the classic adapter; the worker must publish alike.
      REDIS_ADAPTER: 'classic',
      MONGO_URL: mongo.url,
      MONGO_DB: mongo.databaseName,
      PRESENCE_SWEEP_INTERVAL_MS: '200',
    });
    // Connections registered with a 1 s TTL and never refreshed (a crashed node).
    const presence = createPresenceStore({ redis, ttlMs: 1_000 });
    const aliceEvent = waitForEvent<PresenceEvent>(watchesAlice, 'presence', { timeout: 20_000 });
    const bobEvent = waitForEvent<PresenceEvent>(watchesBob, 'presence', { timeout: 20_000 });
    const connectedAt = Date.now();
    await presence.connect({ userId: alice._id.toHexString(), connId: 'a1', nodeId: 'crashed' });
    await presence.connect({ userId: bob._id.toHexString(), connId: 'b1', nodeId: 'crashed' });

    const [a, b] = await Promise.all([aliceEvent, bobEvent]);
    expect(a).toEqual({
      userId: alice._id.toHexString(),
      online: false,
      devices: 0,
      lastSeen: expect.any(String) as string,
    });
    expect(b).toMatchObject({ userId: bob._id.toHexString(), online: false, devices: 0 });
    const lastSeen = Date.parse(a.lastSeen ?? '');
    expect(lastSeen).toBeGreaterThanOrEqual(connectedAt);
    expect(lastSeen).toBeLessThan(connectedAt + 1_000);

    await waitFor(
      async () => (await store.users.findById(alice._id))?.lastSeenAt?.getTime() === lastSeen,
      {
        message: 'lastSeen stored in Mongo',
      },
    );
    expect((await presence.query([alice._id.toHexString()]))[0]).toMatchObject({
      online: false,
      devices: 0,
    });
    // Presence goes only to rooms of shared conversations: Alice's watcher never heard of Bob.
    expect(seenByAliceWatcher.map((e) => e.userId)).toEqual([alice._id.toHexString()]);
  });
});
