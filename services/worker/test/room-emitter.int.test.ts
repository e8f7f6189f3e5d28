import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADAPTER_CHANNEL, rooms, type PresenceEvent } from '@chat/protocol';
import { createAdapterFactory, type AdapterKind } from '@chat/redis';
import { startRedis, waitForEvent, type RedisServer } from '@chat/testkit';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoomEmitter } from '../src/room-emitter.js';

/*
 * The gateway and the worker never import each other: they agree on room names and on the
 * adapter channel only through @chat/protocol. This runs the gateway's half (its adapter
 * factory, a socket joined to rooms.conversation) against the worker's emitter, per adapter kind.
 */
let redisServer: RedisServer;
/**
 * Subscriber connections skip ioredis' ready check, as @chat/redis' `sub` role does: a
 * subscribe written before the check turns the connection deaf (redis/ioredis#2037).
 */
const NO_READY_CHECK = { enableReadyCheck: false } as const;
const closers: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
});

afterAll(async () => {
  // In order: each server or emitter closes before the Redis clients it runs on.
  for (const close of closers) await close();
  await redisServer?.stop();
});

async function gatewayWithSocketIn(kind: AdapterKind, room: string): Promise<Socket> {
  const pub = new Redis(redisServer.url);
  const sub = pub.duplicate(NO_READY_CHECK);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapterFactory(kind, pub, sub) });
  io.on('connection', (socket) => {
    void Promise.resolve(socket.join(room)).then(() => socket.emit('joined'));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    transports: ['websocket'],
  });
  closers.push(
    () => {
      client.disconnect();
    },
    () => new Promise((resolve) => io.close(resolve)),
    () => pub.quit(),
    () => sub.quit(),
  );
  await waitForEvent(client, 'joined');
  return client;
}

describe.each<AdapterKind>(['classic', 'sharded'])('worker room emitter (%s adapter)', (kind) => {
  it("reaches a socket in the gateway's conversation room, over ADAPTER_CHANNEL", async () => {
    const conversationId =
      kind === 'classic' ? '0123456789abcdef01234567' : '76543210fedcba9876543210';
    const client = await gatewayWithSocketIn(kind, rooms.conversation(conversationId));

    // Every publish of either kind goes to a channel named after ADAPTER_CHANNEL.
    const listener = new Redis(redisServer.url, NO_READY_CHECK);
    closers.push(() => listener.disconnect());
    const channels: string[] = [];
    if (kind === 'classic') {
      await listener.psubscribe(`${ADAPTER_CHANNEL}*`);
      listener.on('pmessage', (_pattern, channel: string) => channels.push(channel));
    } else {
      const channel = `${ADAPTER_CHANNEL}#/#${rooms.conversation(conversationId)}#`;
      await listener.ssubscribe(channel);
      listener.on('smessage', (ch: string) => channels.push(ch));
    }

    const pub = new Redis(redisServer.url);
    const emitter = createRoomEmitter(kind, pub, () => pub.duplicate(NO_READY_CHECK));
    closers.push(
      () => emitter.close(),
      () => pub.quit(),
    );
    const event: PresenceEvent = { userId: conversationId, online: false, devices: 0 };
    const received = waitForEvent<PresenceEvent>(client, 'presence', { timeout: 5000 });
    emitter.emitter.to([rooms.conversation(conversationId)]).emit('presence', event);

    expect(await received).toEqual(event);
    expect(channels.length).toBeGreaterThan(0);
    expect(channels.every((c) => c.startsWith(ADAPTER_CHANNEL))).toBe(true);
  });

  it('shows a message:new the transport repeats once, and what follows it', async () => {
    const conversationId =
      kind === 'classic' ? '0123456789abcdef0123cccc' : '76543210fedcba987654ssss';
    const room = rooms.conversation(conversationId);
    const client = await gatewayWithSocketIn(kind, room);
    const seen: string[] = [];
    client.on('message:new', (event: { message: { id: string } }) => seen.push(event.message.id));

    // What went over the wire, byte for byte, to resend it as ioredis would after a failover.
    const listener = new Redis(redisServer.url, NO_READY_CHECK);
    closers.push(() => listener.disconnect());
    const wire: Array<{ channel: string; bytes: Buffer }> = [];
    if (kind === 'classic') {
      await listener.psubscribe(`${ADAPTER_CHANNEL}*`);
      listener.on('pmessageBuffer', (_p: Buffer, channel: Buffer, bytes: Buffer) =>
        wire.push({ channel: channel.toString(), bytes }),
      );
    } else {
      await listener.ssubscribe(`${ADAPTER_CHANNEL}#/#${room}#`);
      listener.on('smessageBuffer', (channel: Buffer, bytes: Buffer) =>
        wire.push({ channel: channel.toString(), bytes }),
      );
    }
    // Another gateway node, broadcasting as the send path does.
    const pub = new Redis(redisServer.url);
    const sub = pub.duplicate(NO_READY_CHECK);
    const node = new Server({ adapter: createAdapterFactory(kind, pub, sub), serveClient: false });
    closers.push(
      async () => {
        await Promise.resolve(node.of('/').adapter.close()).catch(() => undefined);
      },
      () => pub.quit(),
      () => sub.quit(),
    );
    const broadcast = (id: string) => node.to(room).emit('message:new', { message: { id } });
    const first = waitForEvent(client, 'message:new', { timeout: 5000 });
    broadcast('m1');
    await first;
    const [sent] = wire;
    expect(sent).toBeDefined();
    if (kind === 'classic') await pub.publish(sent!.channel, sent!.bytes);
    else await pub.spublish(sent!.channel, sent!.bytes);

    const next = waitForEvent<{ message: { id: string } }>(client, 'message:new', {
      filter: (e) => e.message.id === 'm2',
      timeout: 5000,
    });
    broadcast('m2');
    await next;
    // Redis delivers in order on one connection: a repeat that got through is seen before m2.
    expect(seen).toEqual(['m1', 'm2']);
  });
});
