import type { Conversation, Message } from '@chat/protocol';
import { waitFor } from '@chat/testkit';
import type { Socket as NetSocket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ack, useTestCluster, type ClientSocket } from './fixtures/cluster.js';

const BACKLOG_LIMIT = 1024 * 1024;
const CHUNK = 64 * 1024;
/** Loopback TCP buffers absorb several MiB before anything queues in the process. */
const MAX_FLOOD_BYTES = 200 * 1024 * 1024;

const cluster = useTestCluster({
  nodes: 2,
  env: { SOCKET_BACKLOG_MAX_BYTES: String(BACKLOG_LIMIT) },
});

/** Stops reading from the TCP connection under the client's websocket (a frozen phone). */
function stopReading(socket: ClientSocket): void {
  // engine.io-client keeps the `ws` WebSocket on the transport; not public API, hence the cast.
  const transport = socket.io.engine.transport as unknown as { ws?: { _socket?: NetSocket } };
  const raw = transport.ws?._socket;
  if (!raw) throw new Error('no raw websocket to pause');
  raw.pause();
}

const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

describe('slow consumers', () => {
  it(
    'a socket that stops reading is cut off at the backlog limit; the others get everything; it recovers with sync',
    { timeout: 120_000 },
    async () => {
      const [sender, slow, healthy] = await Promise.all(
        ['sender', 'slow', 'healthy'].map((n) => cluster.register(`${n}_${process.pid % 1000}`)),
      );
      const group = await cluster.http<Conversation>(0, 'POST', '/api/conversations/group', {
        token: sender!.token,
        body: { title: 'busy', memberIds: [slow!.id, healthy!.id] },
      });
      const senderSocket = await cluster.connect(sender!, 0);
      const slowSocket = await cluster.connect(slow!, 1);
      const healthySocket = await cluster.connect(healthy!, 1);
      const node = cluster.nodes[1]!.gateway.io;
      const slowOnServer = async () =>
        (await node.local.in(`user:${slow!.id}`).fetchSockets()).length;
      expect(await slowOnServer()).toBe(1);

      stopReading(slowSocket);
      // Real messages first: they are in the slow socket's backlog when it is cut, so only sync can bring them back.
      const real: Message[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await ack<{ message: Message }>(senderSocket, 'message:send', {
          conversationId: group.body.id,
          clientMsgId: `real-${i}`,
          text: `real ${i}`,
        });
        expect(res.ok).toBe(true);
        real.push(res.message);
      }

      // Then the busy group: big events through the Redis adapter from the other node.
      let healthyGot = 0;
      // Only the flood counts: a real message's event may still be on its way.
      healthySocket.on('message:new', (event: { message: { filler?: string } }) => {
        if (event.message.filler !== undefined) healthyGot += 1;
      });
      const filler = 'x'.repeat(CHUNK);
      const before = memory();
      let peak = before;
      let sent = 0;
      let flooded = 0;
      while ((await slowOnServer()) > 0 && flooded < MAX_FLOOD_BYTES) {
        // A few at a time: a healthy reader's momentary backlog stays well under the limit.
        for (let i = 0; i < 4; i++) {
          cluster.nodes[0]!.gateway.io.to(`conv:${group.body.id}`)
            .except(`user:${sender!.id}`)
            .emit('message:new', { message: { filler, n: sent } } as never);
          sent += 1;
          flooded += CHUNK;
        }
        // Let node 2 receive and write; the healthy socket keeps up, the slow one cannot.
        // Generous: the whole suite may be running on two busy cores.
        await waitFor(
          () => {
            if (!healthySocket.connected) throw new Error('the healthy member was disconnected');
            return healthyGot >= sent - 4;
          },
          { timeout: 30_000, interval: 5, message: 'the healthy member to keep up' },
        );
        peak = Math.max(peak, memory());
      }
      expect(await slowOnServer()).toBe(0);
      // Cut off after the kernel's socket buffers plus ~1 MiB of process backlog, not after 200 MiB.
      expect(flooded).toBeLessThan(64 * 1024 * 1024);
      expect(peak - before).toBeLessThan(64 * 1024 * 1024);

      // The others are unaffected: every event arrived and the healthy socket is still connected.
      await waitFor(() => healthyGot === sent, { timeout: 30_000 });
      expect(healthySocket.connected).toBe(true);
      expect((await ack(senderSocket, 'presence:query', { userIds: [] })).ok).toBe(true);

      // The slow client comes back and catches up with sync: nothing real is missing.
      slowSocket.disconnect();
      const back = await cluster.connect(slow!, 1);
      const synced = await ack<{
        conversations: Array<{ conversationId: string; messages: Message[] }>;
      }>(back, 'sync', {
        cursors: [{ conversationId: group.body.id, seq: 0 }],
      });
      expect(synced.ok).toBe(true);
      const got = synced.conversations
        .find((c) => c.conversationId === group.body.id)
        ?.messages.map((m) => m.id);
      expect(got).toEqual(real.map((m) => m.id));
    },
  );
});
